"""YOLO detection labels: one `cls cx cy w h` text file per image, values normalised to 0..1.

Layouts read (class names from data.yaml `names` (list or dict), or classes.txt / obj.names / --classes):

    root/data.yaml (or another *.yaml with `names`; `path`, `train`/`val`/`test` as folders,
    │               *.txt lists of images, or lists of either)
    ├── images/<split>/*.jpg        Ultralytics: the label of .../images/x.jpg is .../labels/x.txt
    └── labels/<split>/*.txt
    root/<split>/images/  root/<split>/labels/        YOLOv5 / Roboflow export
    root/images/  root/labels/ (or Images/ Annotations/)   one split, train
    root/obj.data  root/obj.names  root/obj_<split>_data/   Darknet (CVAT, Datumaro)
    root/*.jpg + root/*.txt, root/<split>/*.jpg + *.txt    images and labels side by side
    root/labels/<split>/*.txt without images               label-only: no image sizes

Paths in data.yaml that do not exist as written (Roboflow writes `../train/images`) are tried against
the folder itself, then the folder's own layout is used, and a note says so. Pixel x, y, w, h need the
image size, read from the image header; area_pct = w * h * 100 needs none.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from insight.config import Config
from insight.errors import DatasetError
from insight.formats.protocol import FormatReader
from insight.detection import LIKELY, SURE, UNSURE, Detection
from insight.formats.shared.instance_masks import (YoloShapes, parse_segment_lines, rectangle, yolo_box_rows,
                                                  yolo_mask_rows)
from insight.formats.shared.tables import box_labels, finding, ignored_symlink_folders, images_table, relative
from insight.bounds import NOT_OPENED, Bounds, merged
from insight.formats.shared.files import missing_image_findings
from insight.safe_input import head_bytes
from insight.formats.shared.image_headers import FILE_NOT_FOUND
from insight.formats.yolo.layout import (NOT_LABELS, Split, class_names, dataset_yaml, find_splits,
                                         has_txt, label_dir_candidates, label_dir_of, names_file,
                                         side_by_side_dirs, walk)
from insight.formats.shared.files import remote_source
from insight.formats.yolo.files import read_label_files
from insight.formats.yolo.orphans import keep_labels_of_missing_images
from insight.model.dataset import Dataset
from insight.model.findings import Severity
from insight.progress import Progress, no_progress

NAME = "yolo"
TASK = "detection"

# ---------------------------------------------------------------- detection

def detect(root: Path) -> Detection:
    root = Path(root)
    try:
        spec = dataset_yaml(root)
    except DatasetError as exc:
        return Detection(UNSURE, exc.reason)
    names = names_file(root)
    label_dirs = [d for d in label_dir_candidates(root) if has_txt(d)]
    if spec is not None and spec[1].get("names") is not None:
        return Detection(SURE if label_dirs else LIKELY, f"{spec[0].name} declares names")
    if label_dirs and _first_txt_is_yolo(label_dirs[0]):
        how = f"names in {names.name}" if names else "no class names file"
        return Detection(SURE if names else LIKELY, f"{relative(label_dirs[0], root)}/ holds YOLO "
                                                      f"label files ({how})")
    if (root / "obj.data").is_file():
        return Detection(SURE, "Darknet obj.data")
    side = side_by_side_dirs(root)
    if side and _first_txt_is_yolo(side[0]):
        return Detection(LIKELY if names else UNSURE + 0.1,
                         f"images and YOLO .txt labels side by side in {relative(side[0], root)}")
    if names:
        return Detection(UNSURE, f"{names.name} but no YOLO label files")
    return Detection.no("no data.yaml with names, classes.txt or obj.names, and no labels/ folder "
                        "or images with .txt files beside them")


def _first_txt_is_yolo(folder: Path) -> bool:
    """The first label file under `folder` with any content starts with `<int> <x> <y> ...`."""
    for txt in walk(folder, limit=50):
        if os.path.basename(txt).lower() in NOT_LABELS:
            continue
        for line in head_bytes(Path(txt), 4096).splitlines():  # never a FIFO or a device
            parts = line.split()
            if parts:
                return len(parts) >= 5 and parts[0].isdigit()
    return False


# ---------------------------------------------------------------- loading

@dataclass
class _Files:
    split: list[str] = field(default_factory=list)
    image: list[str | None] = field(default_factory=list)  # absolute path, None for label-only
    label: list[str | None] = field(default_factory=list)  # absolute path, None for a background image
    orphans: list[str] = field(default_factory=list)  # label files no image claims


def load(root: Path, config: Config = Config(), progress: Progress = no_progress) -> Dataset:
    root = Path(root)
    notes: list[str] = []
    spec = dataset_yaml(root)
    names, names_source = class_names(root, spec[1] if spec else None, config, notes, spec[0] if spec else None)
    _refuse_repeated_names(names, names_source)
    listing = LabelListing.aside(root / "labels", config.workers)  # listed while the images are
    findings: list = []
    splits = find_splits(root, spec, notes, findings, config.follow_outside)
    if not splits:
        raise DatasetError("no YOLO layout found (images/ + labels/, <split>/images + <split>/labels, "
                           "obj.data, or images with .txt labels beside them)", root)
    bounds = Bounds.of(root, config.follow_outside)
    files = _match(splits, listing, bounds)
    linked = {relative(p, root) + "/" for p in [p for s in splits for p in s.symlinked] + listing.symlinked}
    findings += ignored_symlink_folders(sorted(linked), "image and label folders")  # after _match: listed
    keep_labels_of_missing_images(root, files)
    has_images = any(p is not None for p in files.image)
    if has_images and not any(files.label):
        extra = " (labelTxt/ holds DOTA oriented boxes, which are not read)" if any(
            root.glob("*/labelTxt")) else ""
        raise DatasetError(f"no YOLO label file found for any of the {len(files.image):,} images{extra}", root)
    keypoints = bool(spec and spec[1].get("kpt_shape"))
    to_read, refused = _bounded(root, files, bounds, findings)
    read = read_label_files(*to_read, config.workers, progress, keypoints, config.executor, remote_source(config))
    if read.unreadable_labels:
        path, why = read.unreadable_labels[0]
        raise DatasetError(f"cannot read label file ({why})", path)
    contents, parsed = read.contents, read.parsed
    label_row = np.flatnonzero([c is not None for c in contents])  # image row of each parsed file
    images = _images_table(root, files, read.width, read.height)
    if has_images:
        findings += _unreadable_images(root, read.unreadable_images)
    else:
        notes.append("no image files: image sizes are unknown, so boxes have no pixel values "
                     "(area_pct is still known from the normalised sizes)")
    id_names = names
    names, labels, boxes = _labels(root, files, parsed, label_row, images, names, findings, notes)
    findings += _file_findings(root, files, parsed, label_row)
    segmentation = config.task == "segmentation" or (
        config.task is None and len(parsed.polygon_line) > 0 and len(parsed.values) == 0)
    if segmentation or len(parsed.polygon_line):
        shapes = parse_segment_lines(_segment_lines(root, files.label, contents, parsed, label_row), id_names)
        findings += shapes.findings
        names += [n for n in shapes.extra if n not in names]
        labels = _with_shapes(labels, boxes, shapes, images, segmentation, notes)
    return Dataset(root=str(root), task="segmentation" if segmentation else TASK, format=NAME,
                   classes=tuple(names), images=images, labels=labels, health=tuple(findings),
                   notes=tuple(notes), has_image_files=has_images,
                   extras={NOT_OPENED: images["path"].to_numpy()[refused].tolist()})


def _bounded(root: Path, files: _Files, bounds: Bounds, findings: list) -> tuple[tuple[list, list], list[int]]:
    """The (label files, images) to read: None in place of a file outside the dataset or no regular file
    (a list-file line `../elsewhere/x.jpg`, a symlink out, a FIFO), each kind a finding; and the rows
    whose image is not opened (their labels still count: the label file is in the dataset)."""
    labels, images = list(files.label), list(files.image)
    refused_images: list[int] = []
    found = []
    for paths, what in ((images, "image files the layout or a list file names"), (labels, "label files")):
        rows = [i for i, p in enumerate(paths) if p is not None]
        original = [paths[i] for i in rows]
        screened = bounds.screen(original)
        for i in screened.refused:
            paths[rows[i]] = None
        found += screened.findings(lambda i: relative(original[i], root), what)
        if paths is images:
            refused_images = [rows[i] for i in screened.refused]
    findings += merged(found)
    return (labels, images), refused_images


def _refuse_repeated_names(names: dict[int, str] | None, source: Path) -> None:
    """Two class ids with one name would merge two classes: refused before any label file is read."""
    ordered = [names[i] for i in sorted(names)] if names else []
    repeated = sorted({n for n in ordered if ordered.count(n) > 1})
    if repeated:
        raise DatasetError("class names are not unique: " + ", ".join(repeated), source)


def _unreadable_images(root: Path, failed: list[tuple[str, str]]) -> list:
    """An `unreadable_image` finding for headers Pillow could not read (an image listed in a .txt
    that does not exist keeps an unknown size, as in the other loaders)."""
    failed = [(p, why) for p, why in failed if why != FILE_NOT_FOUND]
    if not failed:
        return []
    return [finding("unreadable_image", Severity.ERROR, (relative(p, root) for p, _ in failed),
                    count=len(failed), reasons=sorted({why for _, why in failed})[:3])]


class LabelListing:
    """The label files under one folder (walk(folder, exclude=NOT_LABELS)), listed in a forked process
    while this one lists the images: at COCO scale each listing is a fifth of a second. `under(f)`
    lists a folder's label files, from the listing when `f` is inside the listed folder."""

    def __init__(self, folder: str | None = None, job=None):
        self._folder, self._job, self._paths = folder, job, None
        self.symlinked: list[str] = []  # linked folders met while listing, not entered (layout.walk)

    @classmethod
    def aside(cls, folder: Path, workers: int | None) -> "LabelListing":
        if workers == 1 or not folder.is_dir():
            return cls()
        from insight.pool import Forked

        return cls(str(folder), Forked(partial(_listed, str(folder))))

    def under(self, folder: str) -> Iterator[str]:
        if self._folder is None or not _under(folder, self._folder):
            return walk(folder, exclude=NOT_LABELS, symlinked=self.symlinked)
        if self._paths is None:
            self._paths, symlinked = self._job.result()
            self.symlinked += symlinked
        head = folder + os.sep
        return (p for p in self._paths if p.startswith(head))


def _listed(folder: str) -> tuple[list[str], list[str]]:
    symlinked: list[str] = []
    return list(walk(folder, exclude=NOT_LABELS, symlinked=symlinked)), symlinked


def _match(splits: list[Split], listing: LabelListing | None = None, bounds: Bounds | None = None) -> _Files:
    """Pair each image with its label file; list label files that no image claims. Label files are
    looked for only in folders inside `bounds` (an image named outside the dataset has none)."""
    listing = listing or LabelListing()
    files = _Files()
    universe: set[str] = set()
    claimed: set[str] = set()
    for split in splits:
        if not split.images:
            labels = [t for d in split.label_dirs for t in listing.under(str(d))]
            files.split += [split.name] * len(labels)
            files.image += [None] * len(labels)
            files.label += labels
            continue
        parents = {p[:p.rfind(os.sep)] for p in split.images}
        beside = {str(d) for p in parents if (d := label_dir_of(Path(p))) is not None}  # Ultralytics rule
        folders = {str(d) for d in split.label_dirs} | parents | beside
        if split.txt_under_image_dir is not None:  # the image folder's .txt files are known already
            universe.update(split.txt_under_image_dir)
            folders = {f for f in folders if not _under(f, str(split.image_dir))}
        for folder in folders:
            if bounds is None or bounds.follow_outside or bounds.folder_inside(folder):
                universe.update(listing.under(folder))
        images = list(dict.fromkeys(split.images))  # an image listed twice is read once
        labels = _find_labels(images, split, universe)
        files.split += [split.name] * len(images)
        files.image += images
        files.label += labels
        claimed.update(labels)
    claimed.discard(None)
    files.orphans = sorted(universe - claimed)
    return files


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder + os.sep)


def _find_labels(images: list[str], split: Split, universe: set[str]) -> list[str | None]:
    """The label file of each image, or None. The same relative path under the first label folder is
    tried first, as plain string slicing (the common case, 120,000 images at COCO scale)."""
    label_dirs = [str(d) for d in split.label_dirs]
    image_dir = str(split.image_dir) if split.image_dir is not None else None
    head = image_dir + os.sep if image_dir is not None else None
    first = label_dirs[0] + os.sep if label_dirs else None
    found: list[str | None] = []
    for image in images:
        if head is not None and first is not None and image.startswith(head):
            dot = image.rfind(".")
            if dot > image.rfind(os.sep):
                candidate = first + image[len(head):dot] + ".txt"
                if candidate in universe:
                    found.append(candidate)
                    continue
        found.append(next((c for c in _label_candidates(image, image_dir, label_dirs) if c in universe), None))
    return found


_RULES = tuple((f"{os.sep}{images}{os.sep}", f"{os.sep}{labels}{os.sep}")
               for images, labels in (("images", "labels"), ("Images", "Annotations"), ("images", "annotations")))


def _label_candidates(image: str, image_dir: str | None, label_dirs: list[str]) -> Iterator[str]:
    """Where the label of `image` may be, most likely first: same relative path under a label folder,
    the Ultralytics rule (last /images/ -> /labels/), or beside the image."""
    stem = image[:image.rfind(".")] if "." in os.path.basename(image) else image
    if image_dir is not None:
        inner = stem[len(image_dir) + 1:] if stem.startswith(image_dir + os.sep) else \
            os.path.splitext(os.path.relpath(image, image_dir))[0]
        for d in label_dirs:
            yield os.path.join(d, inner) + ".txt"
    for a, b in _RULES:
        if a in stem:
            yield b.join(stem.rsplit(a, 1)) + ".txt"
    yield stem + ".txt"


def _relative_fast(path: str, base: str) -> str:
    """relpath for the common case of a path under `base` (a string slice), else os.path.relpath."""
    if path.startswith(base + os.sep):
        return path[len(base) + 1:].replace(os.sep, "/")
    return relative(path, Path(base))


def _images_table(root: Path, files: _Files, width: np.ndarray, height: np.ndarray):
    base = str(root)
    head = base + os.sep
    cut = len(head)
    plain = os.sep == "/"  # a path under ROOT is then a slice; others go through relpath
    paths = [f[cut:] if plain and f.startswith(head) else _relative_fast(f, base)
             for f in (img if img is not None else lbl for img, lbl in zip(files.image, files.label))]
    ids = paths
    if len(set(ids)) != len(ids):  # one image listed in two splits
        ids = [f"{s}/{p}" for s, p in zip(files.split, paths)]
    if len(set(ids)) != len(ids):  # one file named twice in a split, spelt two ways (`../x/a.jpg`, `/abs/x/a.jpg`)
        seen: dict[str, int] = {}
        ids = [f"{i}#{seen[i]}" if (seen.__setitem__(i, seen.get(i, 0) + 1) or seen[i] > 1) else i for i in ids]
    return images_table(ids, files.split, paths, width, height)


def _labels(root, files, parsed, label_row, images, names, findings, notes):
    """Box rows from the parsed lines; class ids outside the declared classes go to a finding."""
    row = label_row[parsed.file]
    cls = parsed.values[:, 0]
    if names is None:
        top = int(cls[(cls >= 0) & (cls == np.floor(cls))].max()) if len(cls) else -1
        names = {i: str(i) for i in range(top + 1)}
        notes.append("no class names (data.yaml, classes.txt or obj.names): classes are named by id")
    lookup = np.array([names.get(i) for i in range(max(names, default=-1) + 1)] + [None], dtype=object)
    as_int = np.where((cls >= 0) & (cls == np.floor(cls)) & (cls < len(lookup) - 1), cls, -1).astype(int)
    cls_name = lookup[as_int]
    declared = np.array([n is not None for n in lookup], dtype=bool)  # per id (the last entry: -1)
    bad = ~declared[as_int]
    if bad.any():
        where = [f"{relative(files.label[row[i]], root)}:{parsed.line[i]}" for i in np.flatnonzero(bad)[:5]]
        ids = sorted({float(c) for c in cls[bad]})[:10]
        findings.append(finding("class_id_out_of_range", Severity.ERROR, where, count=int(bad.sum()),
                                ids=[int(c) if c == int(c) else c for c in ids], classes=len(names),
                                last_id=max(names, default=-1)))
    v = parsed.values
    if bad.any():
        v, row, cls_name = v[~bad], row[~bad], cls_name[~bad]
    boxes = (row, cls_name, v[:, 1:])
    width, height = images["width"].to_numpy()[row], images["height"].to_numpy()[row]
    cx, cy, nw, nh = v[:, 1], v[:, 2], v[:, 3], v[:, 4]
    w, h = nw * width, nh * height
    labels = box_labels(images["image_id"].to_numpy()[row], images["split"].to_numpy()[row], cls_name,
                        (cx - nw / 2) * width, (cy - nh / 2) * height, w, h, width, height,
                        area_pct=nw * nh * 100, iscrowd=np.zeros(len(v), dtype=np.int64))
    return [names[i] for i in sorted(names)], labels, boxes


def _segment_lines(root: Path, label_paths: list, contents: list, parsed, label_row) -> list[tuple[int, str, str]]:
    """The segment lines (more than five values) as (image row, text, "file:line")."""
    present = [c for c in contents if c is not None]
    split_cache: dict[int, list[bytes]] = {}
    lines = []
    for f, ln in zip(parsed.polygon_file.tolist(), parsed.polygon_line.tolist()):
        text = split_cache.setdefault(f, present[f].split(b"\n"))[ln - 1]
        row = int(label_row[f])
        lines.append((row, text.decode("latin-1"), f"{relative(label_paths[row], root)}:{ln}"))
    return lines


def _with_shapes(labels, boxes, shapes: YoloShapes, images, segmentation: bool, notes: list):
    """Segmentation: every shape, box lines as rectangles, as one mask row per (image, class).
    Detection: the box rows and each polygon's extent as a box, as Ultralytics trains a detector."""
    if segmentation:
        row, cls_name, values = boxes
        shapes.row += row.tolist()
        shapes.cls += cls_name.tolist()
        shapes.vertices += [rectangle(*v) for v in values]
        return yolo_mask_rows(shapes, images)
    if shapes.row:
        notes.append(f"{len(shapes.row):,} polygon lines read as boxes: each polygon's extent, as Ultralytics "
                     "trains a detector on them (--task segmentation reads them as masks)")
    extents = yolo_box_rows(shapes, images, list(labels.columns))
    return pd.concat([labels, extents], ignore_index=True) if len(extents) else labels


def _file_findings(root: Path, files: _Files, parsed, label_row) -> list:
    found = []
    label_of = lambda f: relative(files.label[label_row[f]], root)  # noqa: E731
    if len(parsed.bad_line):
        where = [f"{label_of(f)}:{ln} ({why})" for f, ln, why in
                 zip(parsed.bad_file[:5], parsed.bad_line[:5], parsed.bad_reason[:5])]
        found.append(finding("bad_label_line", Severity.ERROR, where, count=len(parsed.bad_line),
                             reasons=sorted(set(parsed.bad_reason))[:5]))
    if files.orphans:
        found.append(finding("label_without_image", Severity.WARNING,
                             (relative(p, root) for p in files.orphans), count=len(files.orphans)))
    on_disk = np.fromiter((i is not None for i in files.image), dtype=bool, count=len(files.image))
    if not on_disk.all():  # paths made relative only here: relpath costs 10 us a file at COCO scale
        paths = ["" if img is not None else relative(lbl, root) for img, lbl in zip(files.image, files.label)]
        sources = [] if on_disk.any() else list(dict.fromkeys(os.path.dirname(p) + "/" for p in paths if p))
        found += missing_image_findings(paths, files.split, on_disk, sources)
    return found


READER = FormatReader(NAME, TASK, ("detection", "segmentation"), detect, load)
