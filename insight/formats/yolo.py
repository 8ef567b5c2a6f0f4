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
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import yaml

from insight.config import Config
from insight.errors import DatasetError
from insight.formats import LIKELY, SURE, UNSURE, Detection
from insight.formats.detection import box_labels, fill_sizes, finding, images_table, relative
from insight.formats.image_headers import is_image, list_images
from insight.formats.splits import is_split_word, split_name
from insight.formats.yolo_txt import parse
from insight.model.dataset import Dataset
from insight.model.findings import Severity
from insight.progress import Progress, no_progress

NAME = "yolo"
TASK = "detection"

_NAME_FILES = ("classes.txt", "obj.names", "classes.names", "_darknet.labels", "labels.txt")
_NOT_LABELS = frozenset({*_NAME_FILES, "train.txt", "val.txt", "valid.txt", "test.txt", "readme.txt",
                         "readme.dataset.txt", "readme.roboflow.txt", "notes.txt", "license.txt"})
_LABEL_DIRS = ("labels", "Labels", "annotations", "Annotations")


@dataclass
class Split:
    """One split: its image files, or (label-only) the label folder alone."""

    name: str
    images: list[str] = field(default_factory=list)
    label_dirs: list[Path] = field(default_factory=list)
    image_dir: Path | None = None  # the folder the images were listed from, if any


# ---------------------------------------------------------------- detection

def detect(root: Path) -> Detection:
    root = Path(root)
    try:
        spec = _dataset_yaml(root)
    except DatasetError as exc:
        return Detection(UNSURE, exc.reason)
    names = _names_file(root)
    label_dirs = [d for d in _label_dir_candidates(root) if _has_txt(d)]
    if spec is not None and spec[1].get("names") is not None:
        return Detection(SURE if label_dirs else LIKELY, f"{spec[0].name} declares names")
    if label_dirs and _first_txt_is_yolo(label_dirs[0]):
        how = f"names in {names.name}" if names else "no class names file"
        return Detection(SURE if names else LIKELY, f"{relative(label_dirs[0], root)}/ holds YOLO "
                                                      f"label files ({how})")
    if (root / "obj.data").is_file():
        return Detection(SURE, "Darknet obj.data")
    side = _side_by_side_dirs(root)
    if side and _first_txt_is_yolo(side[0]):
        return Detection(LIKELY if names else UNSURE + 0.1,
                         f"images and YOLO .txt labels side by side in {relative(side[0], root)}")
    if names:
        return Detection(UNSURE, f"{names.name} but no YOLO label files")
    return Detection.no("no data.yaml with names, classes.txt or obj.names, and no labels/ folder "
                        "or images with .txt files beside them")


def _first_txt_is_yolo(folder: Path) -> bool:
    """The first label file under `folder` with any content starts with `<int> <x> <y> ...`."""
    for txt in _walk(folder, limit=50):
        if os.path.basename(txt).lower() in _NOT_LABELS:
            continue
        with open(txt, "rb") as f:
            for line in f.read(4096).splitlines():
                parts = line.split()
                if parts:
                    return len(parts) >= 5 and parts[0].isdigit()
    return False


def _has_txt(folder: Path) -> bool:
    return any(True for _ in _walk(folder, limit=1))


def _walk(folder: Path | str, limit: int | None = None, images: bool = False):
    """Paths (str) of files under `folder`, following symlinks: .txt files, or images with `images=True`."""
    found = 0
    stack = [folder]
    while stack:
        try:
            entries = sorted(os.scandir(stack.pop()), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                stack.append(entry.path)
            elif (is_image(entry.name) if images else entry.name.endswith(".txt")):
                yield entry.path
                found += 1
                if limit and found >= limit:
                    return


# ---------------------------------------------------------------- class names

def _dataset_yaml(root: Path) -> tuple[Path, dict] | None:
    """data.yaml (or dataset.yaml), else the one *.yaml in the folder that declares `names` or `nc`."""
    found = sorted(root.glob("*.yaml")) + sorted(root.glob("*.yml"))
    specs = [(p, spec) for p in found if isinstance(spec := _read_yaml(p), dict)
             and ("names" in spec or "nc" in spec)]
    preferred = [s for s in specs if s[0].stem.lower() in ("data", "dataset")]
    if preferred or len(specs) == 1:
        return (preferred or specs)[0]
    if specs:
        names = ", ".join(p.name for p, _ in specs)
        raise DatasetError(f"several dataset YAML files ({names}); name the one to read data.yaml", root)
    return None


def _read_yaml(path: Path):
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8", errors="replace"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DatasetError(f"YAML does not parse ({getattr(exc, 'problem', None) or exc})", path,
                           mark.line + 1 if mark else None) from None


def _names_file(root: Path) -> Path | None:
    for name in _NAME_FILES:
        if (root / name).is_file():
            return root / name
    extra = sorted(root.glob("*.names"))
    return extra[0] if extra else None


def _class_names(root: Path, spec: dict | None, config: Config, notes: list) -> dict[int, str] | None:
    if config.classes_file:
        return dict(enumerate(_lines(Path(config.classes_file))))
    if spec is not None and spec.get("names") is not None:
        names = spec["names"]
        if isinstance(names, dict):
            return {int(k): str(v) for k, v in names.items()}
        if isinstance(names, (list, tuple)):
            return {i: str(v) for i, v in enumerate(names)}
        if isinstance(names, str) and (root / names).is_file():
            return dict(enumerate(_lines(root / names)))
        raise DatasetError("`names` must be a list or a mapping of class id to name", root)
    if spec is not None and isinstance(spec.get("nc"), int):
        notes.append(f"data.yaml gives nc: {spec['nc']} but no names: classes are named by id")
        return {i: str(i) for i in range(spec["nc"])}
    names_file = _names_file(root)
    if names_file is not None:
        return dict(enumerate(_lines(names_file)))
    return None


def _lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise DatasetError(f"cannot read class names ({exc.strerror or exc})", path) from None
    return [line.strip() for line in text.splitlines() if line.strip()]


# ---------------------------------------------------------------- where images and labels are

def _label_dir_candidates(root: Path) -> list[Path]:
    dirs = [root / d for d in _LABEL_DIRS]
    dirs += [sub / d for sub in _subdirs(root) for d in ("labels", "Labels")]
    dirs += sorted(root.glob("obj_*_data"))
    return [d for d in dirs if d.is_dir()]


def _subdirs(folder: Path) -> list[Path]:
    try:
        return sorted(Path(e.path) for e in os.scandir(folder) if e.is_dir() and not e.name.startswith("."))
    except OSError:
        return []


def _side_by_side_dirs(root: Path) -> list[Path]:
    """Folders (the root or a split folder) holding both images and .txt files."""
    found = []
    for folder in [root] + [d for d in _subdirs(root) if is_split_word(d.name)]:
        names = [e.name for e in os.scandir(folder) if e.is_file()]
        if any(is_image(n) for n in names) and any(n.endswith(".txt") and n.lower() not in _NOT_LABELS
                                                   for n in names):
            found.append(folder)
    return found


def _label_dir_of(image_dir: Path) -> Path | None:
    """The Ultralytics rule: the last `images` part of the path becomes `labels`."""
    parts = image_dir.parts
    for i in range(len(parts) - 1, -1, -1):
        if parts[i].lower() == "images":
            for name in ("labels", "Labels", "Annotations", "annotations"):
                candidate = Path(*parts[:i], name, *parts[i + 1:])
                if candidate.is_dir():
                    return candidate
            return None
    return None


def _split_from_dir(name: str, image_dir: Path | None, label_dir: Path | None,
                    real_dir: Path | None = None) -> Split:
    """`real_dir` is where the images are when `image_dir` was reached through a link file."""
    real_dir = real_dir or image_dir
    images = list(_walk(real_dir, images=True)) if real_dir else []
    label_dirs = [d for d in (label_dir,) if d is not None]
    if image_dir is not None and not label_dirs:
        label_dirs = [real_dir]  # labels beside the images
    return Split(name, images, label_dirs, real_dir)


def _scan(root: Path) -> list[Split]:
    """The splits the folder's own layout shows, with no YAML to say where they are."""
    if (root / "obj.data").is_file():
        return _darknet(root)
    image_roots = [d for d in (root / "images", root / "Images") if d.is_dir()]
    if image_roots:
        top = image_roots[0]
        subs = [d for d in _subdirs(top) if next(_walk(d, 1, images=True), None)]
        if subs and not any(is_image(e.name) for e in os.scandir(top)):
            return [_split_from_dir(split_name(d.name), d, _label_dir_of(d)) for d in subs]
        return [_split_from_dir("train", top, _label_dir_of(top))]
    per_split = [d for d in _subdirs(root) if (d / "images").is_dir() and is_split_word(d.name)]
    if per_split:
        return [_split_from_dir(split_name(d.name), d / "images", _label_dir_of(d / "images"))
                for d in per_split]
    darknet = sorted(root.glob("obj_*_data"))
    if darknet:
        return [_split_from_dir(split_name(d.name[4:-5]), d, d) for d in darknet]
    side = _side_by_side_dirs(root)
    if side:
        return [_split_from_dir("train" if d == root or not is_split_word(d.name) else split_name(d.name),
                                d, d) for d in side]
    label_root = next((d for d in (root / "labels", root / "Labels") if d.is_dir()), None)
    if label_root is not None:
        subs = [d for d in _subdirs(label_root) if _has_txt(d)]
        return [Split(split_name(d.name), [], [d]) for d in subs] or [Split("train", [], [label_root])]
    return []


def _darknet(root: Path) -> list[Split]:
    """obj.data: `train = data/train.txt`, `valid = data/valid.txt` (paths written from the parent)."""
    splits = []
    for line in (root / "obj.data").read_text(encoding="utf-8", errors="replace").splitlines():
        key, _, value = line.partition("=")
        key = key.strip().lower()
        if key in ("train", "valid", "val", "test") and value.strip():
            listed = _resolve(value.strip(), [root], root)
            if listed is not None and (listed := _real(listed, root)).is_file():
                splits.append(Split(split_name(key), _image_list(listed, [root]), []))
    return splits


def _resolve(raw: str, bases: list[Path], root: Path) -> Path | None:
    """`raw` under the first base where it exists; else its trailing parts under the root."""
    raw = str(raw).replace("\\", "/")
    pure = PurePosixPath(raw)
    candidates = [Path(pure)] if pure.is_absolute() else [b / raw for b in bases]
    parts = [p for p in pure.parts if p not in ("..", ".", "/")]
    candidates += [b.joinpath(*parts[i:]) for i in range(len(parts)) for b in bases]
    for candidate in candidates:
        if _inside(candidate, root):
            found = candidate if candidate.exists() else _through_link_file(candidate, root)
            if found is not None:
                return candidate
    return None


def _real(path: Path, root: Path) -> Path:
    """The path itself, or where a link file along it points."""
    return path if path.exists() else (_through_link_file(path, root) or path)


def _through_link_file(path: Path, root: Path) -> Path | None:
    """A symlink that git checked out as a small file holding the target (core.symlinks=false)."""
    rel = path.relative_to(root) if _inside(path, root) else None
    if rel is None or not rel.parts:
        return None
    head = root / rel.parts[0]
    if not head.is_file() or head.stat().st_size > 256:
        return None
    target = head.read_text(encoding="utf-8", errors="replace").strip()
    followed = (head.parent / target).joinpath(*rel.parts[1:])
    return followed if "\n" not in target and followed.exists() else None


def _inside(path: Path, root: Path) -> bool:
    """Lexically inside the root (a symlinked folder inside the root counts as inside)."""
    inner = os.path.normpath(os.path.abspath(path))
    outer = os.path.normpath(os.path.abspath(root))
    return inner == outer or inner.startswith(outer + os.sep)


def _image_list(listed: Path, bases: list[Path]) -> list[str]:
    """Images named in a .txt list; the first resolvable line decides how the others are read."""
    lines = [ln.strip() for ln in listed.read_text(encoding="utf-8", errors="replace").splitlines()
             if ln.strip()]
    root = bases[-1]
    search = [listed.parent] + bases
    for line in lines[:20]:
        found = _resolve(line, search, root)
        if found is None:
            continue
        drop = len(PurePosixPath(line.replace("\\", "/")).parts) - len(found.relative_to(root).parts)
        return [str(root.joinpath(*PurePosixPath(ln.replace("\\", "/")).parts[max(drop, 0):])) for ln in lines]
    return []


def _yaml_splits(root: Path, yaml_path: Path, spec: dict, notes: list) -> tuple[list[Split], list]:
    """Splits as data.yaml names them; also the (key, value) pairs that could not be found."""
    bases = [yaml_path.parent, root]
    if spec.get("path"):
        given = Path(str(spec["path"]))
        given = given if given.is_absolute() else yaml_path.parent / given
        if given.is_dir() and _inside(given, root):
            bases.insert(0, given)
    splits, missing = [], []
    for key in ("train", "val", "test"):
        value = spec.get(key)
        for raw in (value if isinstance(value, list) else [value] if value else []):
            split = _yaml_entry(root, split_name(key), str(raw), bases)
            if split is None:
                missing.append((key, str(raw)))
                continue
            shown = ", ".join(relative(d, root) for d in split.label_dirs[:1]) if not split.images else ""
            if split.images and os.path.dirname(split.images[0]) != str(root):
                shown = relative(os.path.dirname(split.images[0]), root)
            if os.path.normpath(str(raw)) not in (shown, "."):
                notes.append(f"{yaml_path.name} {key}: {raw} read as {shown or 'the folder itself'}")
            splits.append(split)
    return splits, missing


def _yaml_entry(root: Path, split: str, raw: str, bases: list[Path]) -> Split | None:
    found = _resolve(raw, bases, root)
    if found is not None and _real(found, root).is_dir():
        return _split_from_dir(split, found, _label_dir_of(found), _real(found, root))
    if found is not None and found.suffix == ".txt":
        return Split(split, _image_list(_real(found, root), bases), [])
    as_labels = raw.replace("images", "labels")
    if found is None and as_labels != raw:
        labels = _resolve(as_labels, bases, root)
        if labels is not None and labels.is_dir():
            return Split(split, [], [labels])
    return None


def _splits(root: Path, spec: tuple[Path, dict] | None, notes: list) -> list[Split]:
    if spec is None or not any(spec[1].get(k) for k in ("train", "val", "test")):
        return _scan(root)
    yaml_path, data = spec
    splits, missing = _yaml_splits(root, yaml_path, data, notes)
    if not missing:
        return splits
    scanned = _scan(root)
    for key, raw in missing:
        match = [s for s in scanned if s.name == split_name(key) and s.name not in {x.name for x in splits}]
        where = ", ".join(relative((os.path.dirname(s.images[0]) if s.images else s.label_dirs[0]), root)
                          for s in match)
        notes.append(f"{yaml_path.name} {key}: {raw} does not exist here; "
                     + (f"read {where} from the folder's layout instead" if match else "split left out"))
        splits += match
    if not splits:
        keys = ", ".join(f"{k}: {v}" for k, v in missing)
        raise DatasetError(f"none of the image folders it names exist ({keys}), and the folder has no "
                           f"images/ or labels/ of its own", yaml_path)
    return splits


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
    spec = _dataset_yaml(root)
    names = _class_names(root, spec[1] if spec else None, config, notes)
    splits = _splits(root, spec, notes)
    if not splits:
        raise DatasetError("no YOLO layout found (images/ + labels/, <split>/images + <split>/labels, "
                           "obj.data, or images with .txt labels beside them)", root)
    files = _match(splits)
    has_images = any(p is not None for p in files.image)
    if has_images and not any(files.label):
        extra = " (labelTxt/ holds DOTA oriented boxes, which are not read)" if any(
            root.glob("*/labelTxt")) else ""
        raise DatasetError(f"no YOLO label file found for any of the {len(files.image)} images{extra}", root)
    contents = [_read(p) for p in progress(files.label, total=len(files.label), desc="YOLO labels")]
    keypoints = bool(spec and spec[1].get("kpt_shape"))
    parsed = parse([c for c in contents if c is not None], keypoints=keypoints)
    label_row = np.flatnonzero([c is not None for c in contents])  # image row of each parsed file
    findings: list = []
    images = _images_table(root, files)
    if has_images:
        images, unreadable = fill_sizes(images, root, config.workers, progress)
        findings += unreadable
    else:
        notes.append("no image files: image sizes are unknown, so boxes have no pixel values "
                     "(area_pct is still known from the normalised sizes)")
    id_names = names
    names, labels = _labels(root, files, parsed, label_row, images, names, findings, notes)
    findings += _file_findings(root, files, parsed, label_row)
    segmentation = config.task == "segmentation" or (len(parsed.polygon_line) > 0 and len(parsed.values) == 0)
    if segmentation:  # YOLO segment lines (`cls x1 y1 x2 y2 ...`) as mask rows
        from insight.formats.instance_masks import yolo_segmentation

        names, labels, findings = yolo_segmentation(root, files.label, contents, parsed, label_row, images,
                                                    id_names, names, labels, findings)
    return Dataset(root=str(root), task="segmentation" if segmentation else TASK, format=NAME,
                   classes=tuple(names), images=images, labels=labels, health=tuple(findings),
                   notes=tuple(notes), has_image_files=has_images)


def _read(path: str | None) -> bytes | None:
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise DatasetError(f"cannot read label file ({exc.strerror or exc})", path) from None


def _match(splits: list[Split]) -> _Files:
    """Pair each image with its label file; list label files that no image claims."""
    files = _Files()
    universe: set[str] = set()
    claimed: set[str] = set()
    for split in splits:
        if not split.images:
            for txt in (t for d in split.label_dirs for t in _walk(d)):
                if os.path.basename(txt).lower() not in _NOT_LABELS:
                    files.split.append(split.name)
                    files.image.append(None)
                    files.label.append(txt)
            continue
        parents = {os.path.dirname(p) for p in split.images}
        beside = {str(d) for p in parents if (d := _label_dir_of(Path(p))) is not None}  # Ultralytics rule
        folders = {str(d) for d in split.label_dirs} | parents | beside
        for folder in folders:
            universe.update(t for t in _walk(folder) if os.path.basename(t).lower() not in _NOT_LABELS)
        for image in dict.fromkeys(split.images):  # an image listed twice is read once
            label = next((c for c in _label_candidates(image, split) if c in universe), None)
            files.split.append(split.name)
            files.image.append(image)
            files.label.append(label)
            if label is not None:
                claimed.add(label)
    files.orphans = sorted(universe - claimed)
    return files


def _label_candidates(image: str, split: Split) -> list[str]:
    """Where the label of `image` may be: same relative path under a label folder, the Ultralytics
    rule (last /images/ -> /labels/), or beside the image."""
    stem = os.path.splitext(image)[0]
    found = []
    if split.image_dir is not None:
        inner = os.path.splitext(_relative_fast(image, str(split.image_dir)))[0] + ".txt"
        found += [str(d / inner) for d in split.label_dirs]
    for images, labels in (("images", "labels"), ("Images", "Annotations"), ("images", "annotations")):
        a, b = f"{os.sep}{images}{os.sep}", f"{os.sep}{labels}{os.sep}"
        if a in stem:
            found.append(b.join(stem.rsplit(a, 1)) + ".txt")
    return found + [stem + ".txt"]


def _relative_fast(path: str, base: str) -> str:
    """relpath for the common case of a path under `base` (a string slice), else os.path.relpath."""
    if path.startswith(base + os.sep):
        return path[len(base) + 1:].replace(os.sep, "/")
    return relative(path, Path(base))


def _images_table(root: Path, files: _Files):
    base = str(root)
    paths = [_relative_fast(img if img is not None else lbl, base) for img, lbl in zip(files.image, files.label)]
    ids = paths
    if len(set(ids)) != len(ids):  # one image listed in two splits
        ids = [f"{s}/{p}" for s, p in zip(files.split, paths)]
    nan = np.full(len(paths), np.nan)
    return images_table(ids, files.split, paths, nan, nan.copy())


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
    bad = np.array([n is None for n in cls_name], dtype=bool)
    if bad.any():
        where = [f"{relative(files.label[row[i]], root)}:{parsed.line[i]}" for i in np.flatnonzero(bad)[:5]]
        ids = sorted({float(c) for c in cls[bad]})[:10]
        findings.append(finding("class_id_out_of_range", Severity.ERROR, where, count=int(bad.sum()),
                                ids=[int(c) if c == int(c) else c for c in ids], classes=len(names),
                                last_id=max(names, default=-1)))
    keep = ~bad
    v, row = parsed.values[keep], row[keep]
    width, height = images["width"].to_numpy()[row], images["height"].to_numpy()[row]
    w, h = v[:, 3] * width, v[:, 4] * height
    labels = box_labels(images["image_id"].to_numpy()[row], images["split"].to_numpy()[row],
                        cls_name[keep], (v[:, 1] - v[:, 3] / 2) * width, (v[:, 2] - v[:, 4] / 2) * height,
                        w, h, width, height, area_pct=v[:, 3] * v[:, 4] * 100,
                        iscrowd=np.zeros(len(v), dtype=np.int64))
    ordered = [names[i] for i in sorted(names)]
    if len(set(ordered)) != len(ordered):
        raise DatasetError("class names are not unique: " + ", ".join(
            sorted({n for n in ordered if ordered.count(n) > 1})), root)
    return ordered, labels


def _file_findings(root: Path, files: _Files, parsed, label_row) -> list:
    found = []
    label_of = lambda f: relative(files.label[label_row[f]], root)  # noqa: E731
    if len(parsed.bad_line):
        where = [f"{label_of(f)}:{ln} ({why})" for f, ln, why in
                 zip(parsed.bad_file[:5], parsed.bad_line[:5], parsed.bad_reason[:5])]
        found.append(finding("bad_label_line", Severity.ERROR, where, count=len(parsed.bad_line),
                             reasons=sorted(set(parsed.bad_reason))[:5]))
    if len(parsed.polygon_line):
        where = [f"{label_of(f)}:{ln}" for f, ln in zip(parsed.polygon_file[:5], parsed.polygon_line[:5])]
        found.append(finding("polygon_lines_skipped", Severity.INFO, where, count=len(parsed.polygon_line),
                             files=len(set(parsed.polygon_file.tolist()))))
    if files.orphans:
        found.append(finding("label_without_image", Severity.WARNING,
                             (relative(p, root) for p in files.orphans), count=len(files.orphans)))
    return found
