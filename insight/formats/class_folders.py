"""Classification datasets laid out as one folder per class.

    ROOT/                         ROOT/
      train/                        dog/
        dog/  a.jpg b.png ...         a.jpg  more/b.jpg   (nested folders belong to the class)
        cat/  ...                   cat/
      val/  (or valid/)             ...
        dog/ ...                  (no split folders: one split, `train`)
      test/ ...

Image extensions (any case): jpg jpeg png bmp gif tif tiff webp. Hidden files and other files are
ignored and counted; an empty class folder is a declared class with zero images; a class present in
only one split is still declared. Image headers are read to find unreadable files and sizes.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from insight.config import Config
from insight.bounds import NOT_OPENED, Bounds, merged, screen_images
from insight.errors import DatasetError
from insight.formats.protocol import FormatReader
from insight.detection import LIKELY, UNSURE, Detection
from insight.formats.shared.files import remote_source
from insight.formats.shared.image_headers import read_sizes, too_large
from insight.formats.shared.splits import is_split_word, split_name
from insight.model import Dataset, Finding, Severity
from insight.progress import Progress, no_progress

NAME = "class-folders"
TASK = "classification"
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
# Folder names that mean another format's layout (YOLO, VOC, masks), never a class.
NOT_CLASS_NAMES = frozenset({"images", "labels", "annotations", "masks", "jpegimages", "imagesets",
                             "segmentationclass", "segmentationobject", "labeltxt", "gtfine"})
ANNOTATION_SUFFIXES = frozenset({".txt", ".xml", ".json", ".csv"})


def is_image_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def _subdirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not _is_hidden(p.name) and not _is_loop(p))


def _is_loop(path: Path) -> bool:
    """A symlink to a folder that contains it would make the walk go round forever."""
    if not path.is_symlink():
        return False
    target, here = path.resolve(), path.parent.resolve()
    return target == here or target in here.parents


def _split_roots(root: Path) -> list[tuple[str, Path]]:
    """[(split, folder)] — the split folders, or the root itself as `train` when there are none."""
    splits = [(split_name(d.name), d) for d in _subdirs(root) if is_split_word(d.name)]
    return splits or [("train", root)]


def detect(root: Path) -> Detection:
    class_dirs = [c for _, folder in _split_roots(root) for c in _subdirs(folder)]
    bounds = Bounds.of(root)  # look inside class folders that are in the dataset, when there are any
    class_dirs = [c for c in class_dirs if bounds.folder_inside(str(c))] or class_dirs
    if not class_dirs:
        return Detection.no("no class folders (expected ROOT/<class>/ or ROOT/<split>/<class>/)")
    names = {c.name.lower() for c in class_dirs}
    if names & NOT_CLASS_NAMES:
        return Detection.no(f"folders named {sorted(names & NOT_CLASS_NAMES)} belong to another layout")
    for folder in class_dirs:
        marker = dataset_marker(folder)
        if marker:
            return Detection.no(f"{folder.name}/ holds a dataset of its own ({marker}), not images of one class")
    with_images = [c for c in class_dirs if _has_image(c)]
    if not with_images:
        return Detection.no("no image files inside the class folders")
    annotations = [c for c in class_dirs if _has_annotation_files(c)]
    if annotations:
        return Detection(UNSURE, f"class folders, but {annotations[0].name}/ holds annotation files")
    return Detection(LIKELY, f"{len(class_dirs)} class folders holding images")


DATASET_FILES = ("data.yaml", "dataset.yaml", "_annotations.coco.json")


def dataset_marker(folder: Path) -> str:
    """What shows that `folder` is a dataset's root rather than a class's images: a dataset file
    (data.yaml), an images/, labels/ or annotations/ folder in it or in one of its split folders, or
    split folders that hold folders of their own (ROOT/<split>/<class>/: class folders one level down).
    "" when nothing does."""
    for name in DATASET_FILES:
        if (folder / name).is_file():
            return name
    try:
        subs = _subdirs(folder)
    except OSError:
        return ""
    for sub in subs:
        if sub.name.lower() in NOT_CLASS_NAMES:
            return f"{sub.name}/"
    for split in (s for s in subs if is_split_word(s.name)):
        try:
            inner = _subdirs(split)
        except OSError:
            continue
        for sub in inner:
            if sub.name.lower() in NOT_CLASS_NAMES:
                return f"{split.name}/{sub.name}/"
    splits = [s.name for s in subs if is_split_word(s.name)]
    if splits and all(_has_subdirs(folder / name) for name in splits):
        return f"split folders {', '.join(n + '/' for n in splits)} with class folders in them"
    return ""


def _has_subdirs(folder: Path) -> bool:
    try:
        return bool(_subdirs(folder))
    except OSError:
        return False


def _has_image(folder: Path, limit: int = 2000) -> bool:
    for i, (_, _, files) in enumerate(os.walk(folder)):
        if any(is_image_name(f) for f in files):
            return True
        if i > limit:
            break
    return False


def _has_annotation_files(folder: Path) -> bool:
    try:
        return any(os.path.splitext(e.name)[1].lower() in ANNOTATION_SUFFIXES
                   for e in os.scandir(folder) if e.is_file())
    except OSError:
        return False


@dataclass
class _Walk:
    """What a walk of the class folders found."""

    rows: list[tuple[str, str, str]] = field(default_factory=list)  # (relative path, split, class)
    classes: list[str] = field(default_factory=list)
    ignored: Counter = field(default_factory=Counter)  # reason -> count
    ignored_examples: dict[str, list[str]] = field(default_factory=dict)
    outside: list[str] = field(default_factory=list)  # class folders that are symlinks out of the dataset

    def ignore(self, reason: str, path: str) -> None:
        self.ignored[reason] += 1
        self.ignored_examples.setdefault(reason, []).append(path)


def _walk(root: Path, bounds: Bounds) -> _Walk:
    found = _Walk()
    for split, folder in _split_roots(root):
        for entry in sorted(folder.iterdir()):
            rel = entry.relative_to(root).as_posix()
            if entry.is_dir():
                if _is_loop(entry):
                    found.ignore("symlink_loop", rel)
                elif not bounds.follow_outside and not bounds.folder_inside(str(entry)):
                    found.outside.append(rel + "/")
                elif not _is_hidden(entry.name) and not (folder == root and is_split_word(entry.name)):
                    _walk_class(root, entry, split, found)
            elif _is_hidden(entry.name):
                found.ignore("hidden_file", rel)
            else:
                found.ignore("outside_class_folder" if is_image_name(entry.name) else "not_an_image", rel)
    return found


def _walk_class(root: Path, class_dir: Path, split: str, found: _Walk) -> None:
    name = class_name(class_dir.name)
    if name not in found.classes:
        found.classes.append(name)
    for dirpath, dirnames, filenames in os.walk(class_dir, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not _is_hidden(d))
        for d in dirnames:
            if (Path(dirpath) / d).is_symlink():
                found.ignore("symlink_folder", (Path(dirpath) / d).relative_to(root).as_posix())
        base = Path(dirpath)
        for f in sorted(filenames):
            rel = (base / f).relative_to(root).as_posix()
            if _is_hidden(f):
                found.ignore("hidden_file", rel)
            elif is_image_name(f):
                found.rows.append((rel, split, name))
            else:
                found.ignore("not_an_image", rel)


TOO_LARGE = "too large"
SKIPPED = "not opened"  # outside the dataset or no regular file: the loader's bounds findings say so


def _read_sizes(root: Path, paths: list[str], progress: Progress, config: Config, ok: list[bool]):
    """Per image, (width, height) from the header as stored (no EXIF rotation: torchvision's
    ImageFolder loads it so); TOO_LARGE past Pillow's decompression-bomb limit (which stays on); None
    when the file does not decode as an image; SKIPPED for a file `ok` does not allow (insight/bounds.py)."""
    allowed = [str(root / p) for p, allowed in zip(paths, ok) if allowed]
    sizes = read_sizes(allowed, config.workers, progress, config.executor, exif_rotation=False,
                       source=remote_source(config))
    why = dict(sizes.failed)
    read = iter(zip(allowed, sizes.width, sizes.height))
    out = []
    for allowed_here in ok:
        if not allowed_here:
            out.append(SKIPPED)
            continue
        path, w, h = next(read)
        out.append(TOO_LARGE if too_large(w, h, why.get(path, "")) else None if np.isnan(w) else (w, h))
    return out


def class_name(folder: str) -> str:
    """A folder's name as a class name: bytes that are not UTF-8 (a Latin-1 `caf\xe9`, read with
    surrogate escapes) written as `\xe9`, so that every chart, table and file prints it and two such
    folders stay two classes."""
    if folder.isascii():
        return folder
    return folder.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def load(root: Path, config: Config = Config(), progress: Progress = no_progress) -> Dataset:
    root = Path(root)
    bounds = Bounds.of(root, config.follow_outside)
    found = _walk(root, bounds)
    if not found.rows:
        raise DatasetError("no images found in the class folders (looked for "
                           + " ".join(sorted(IMAGE_EXTENSIONS)) + ")", root)
    paths = [r[0] for r in found.rows]
    screened, bounded = screen_images(paths, root, bounds, "image files in the class folders")
    if found.outside:
        bounded = merged([Finding("outside_dataset", Severity.WARNING, len(found.outside),
                                  values={"what": ["class folders (symbolic links)"]}, examples=found.outside),
                          *bounded])
    sizes = _read_sizes(root, paths, progress, config, screened.ok)
    unreadable = [p for p, s in zip(paths, sizes) if s is None]
    too_large = [p for p, s in zip(paths, sizes) if s == TOO_LARGE]
    sizes = [s if isinstance(s, tuple) else (float("nan"), float("nan")) for s in sizes]
    images = pd.DataFrame({
        "image_id": paths,
        "split": [r[1] for r in found.rows],
        "path": paths,
        "width": [s[0] for s in sizes],
        "height": [s[1] for s in sizes],
    })
    labels = pd.DataFrame({
        "image_id": paths, "split": images["split"], "class": [r[2] for r in found.rows], "kind": "tag",
        **{c: float("nan") for c in ("x", "y", "w", "h", "area", "area_pct")},
    })
    return Dataset(root=str(root), task=TASK, format=NAME, classes=tuple(sorted(found.classes)),
                   images=images, labels=labels, health=tuple(bounded + _findings(found, unreadable, too_large)),
                   extras={NOT_OPENED: [paths[i] for i in screened.refused]})


def _findings(found: _Walk, unreadable: list[str], too_large: list[str]) -> list[Finding]:
    findings = []
    if unreadable:
        findings.append(Finding("unreadable_image", Severity.ERROR, len(unreadable), examples=unreadable))
    if too_large:
        findings.append(Finding("image_too_large", Severity.ERROR, len(too_large), examples=too_large))
    severity = {"outside_class_folder": Severity.WARNING, "symlink_loop": Severity.WARNING}
    values = {"symlink_folder": {"where": "class folders"}}
    for reason, count in sorted(found.ignored.items()):
        findings.append(Finding(f"ignored_{reason}", severity.get(reason, Severity.INFO), count,
                                values=values.get(reason, {}), examples=found.ignored_examples[reason]))
    return findings


READER = FormatReader(NAME, TASK, ("classification",), detect, load)
