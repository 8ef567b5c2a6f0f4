"""Where a YOLO dataset keeps its class names, images and label files (the layouts listed in
insight/formats/yolo/reader.py), as `Split` objects: image files per split, or label folders alone.

Paths in data.yaml that do not exist as written are tried against the folder itself (Roboflow writes
`../train/images`); a symlink that git checked out as a small text file is followed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from insight.bounds import OK, Bounds
from insight.config import Config
from insight.errors import DatasetError
from insight.formats.shared.tables import relative
from insight.formats.shared.image_headers import IMAGE_SUFFIXES, is_image
from insight.formats.shared.splits import is_split_word, split_name
from insight.model.findings import Finding, Severity
from insight.safe_input import load_yaml, read_bytes

NAME_FILES = ("classes.txt", "obj.names", "classes.names", "_darknet.labels", "labels.txt")
NOT_LABELS = frozenset({*NAME_FILES, "train.txt", "val.txt", "valid.txt", "test.txt", "readme.txt",
                         "readme.dataset.txt", "readme.roboflow.txt", "notes.txt", "license.txt"})
LABEL_DIRS = ("labels", "Labels", "annotations", "Annotations")
YAML_LIMIT = 1 << 20  # bytes read from data.yaml or obj.data (a few hundred; 1,000 class names ~ 20 kB)
LIST_LIMIT = 256 << 20  # bytes read from an image list (train.txt) or a names file (1M lines ~ 60 MB)


@dataclass
class Split:
    """One split: its image files, or (label-only) the label folder alone."""

    name: str
    images: list[str] = field(default_factory=list)
    label_dirs: list[Path] = field(default_factory=list)
    image_dir: Path | None = None  # the folder the images were listed from, if any
    txt_under_image_dir: list[str] | None = None  # the .txt files met while listing image_dir
    symlinked: list[str] = field(default_factory=list)  # linked folders met below image_dir, not entered


def has_txt(folder: Path) -> bool:
    return any(True for _ in walk(folder, limit=1))


def walk(folder: Path | str, limit: int | None = None, images: bool = False, exclude: frozenset = frozenset(),
         also_txt: bool = False, symlinked: list[str] | None = None):
    """Paths (str) of files under `folder`: .txt files, or images with `images=True`, but none whose
    lower-case name is in `exclude`. Hidden entries are skipped; each folder's files come in name order,
    then its sub-folders. A symbolic link to a folder below `folder` is not entered (a link back up
    would go round, one across would count files twice), as in the other layouts; it is added to
    `symlinked`. `folder` itself may be a link."""
    wanted = _is_image_name if images else _is_txt_name
    if also_txt:
        wanted = _is_image_or_txt_name
    found = 0
    stack = [str(folder)]
    while stack:
        current = stack.pop()
        names, dirs = [], []
        try:
            with os.scandir(current) as it:
                for entry in it:
                    name = entry.name
                    if name.startswith("."):
                        continue
                    if entry.is_dir():
                        if not entry.is_symlink():
                            dirs.append(name)
                        elif symlinked is not None:
                            symlinked.append(os.path.join(current, name))
                    elif wanted(name) and not (exclude and name.lower() in exclude):
                        names.append(name)
        except OSError:
            continue
        head = current + os.sep
        stack += [head + d for d in sorted(dirs)]
        names.sort()
        if limit is not None and found + len(names) >= limit:
            yield from [head + n for n in names[:limit - found]]
            return
        found += len(names)
        yield from [head + n for n in names]


def _is_txt_name(name: str) -> bool:
    return name.endswith(".txt")


def _is_image_or_txt_name(name: str) -> bool:
    return name.endswith(".txt") or _is_image_name(name)


def _is_image_name(name: str) -> bool:
    return name[name.rfind("."):].lower() in IMAGE_SUFFIXES


# ---------------------------------------------------------------- class names

def dataset_yaml(root: Path) -> tuple[Path, dict] | None:
    """data.yaml (or dataset.yaml), else the one *.yaml in the folder that declares `names` or `nc`."""
    bounds = Bounds.of(root)
    found = [p for p in sorted(root.glob("*.yaml")) + sorted(root.glob("*.yml")) if bounds.check(p) == OK]
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
    """A YAML file read with its size, nesting and alias expansion bounded (insight/safe_input.py)."""
    return load_yaml(_text(path, YAML_LIMIT), path, DatasetError)


def _text(path: Path, limit: int) -> str:
    """A text file of the layout (a regular file of at most `limit` bytes); bytes that are not UTF-8
    read as U+FFFD, as a file name would be."""
    return read_bytes(path, limit, DatasetError).decode("utf-8-sig", errors="replace")


def names_file(root: Path) -> Path | None:
    for name in NAME_FILES:
        if (root / name).is_file():
            return root / name
    extra = sorted(root.glob("*.names"))
    return extra[0] if extra else None


def class_names(root: Path, spec: dict | None, config: Config, notes: list,
                yaml_path: Path | None = None) -> tuple[dict[int, str] | None, Path]:
    """(class id -> name, or None when nothing names the classes; the file the names came from)."""
    source = yaml_path or root
    if config.classes_file:
        return dict(enumerate(_lines(Path(config.classes_file)))), Path(config.classes_file)
    if spec is not None and spec.get("names") is not None:
        names = spec["names"]
        if isinstance(names, dict):
            try:
                return {int(k): str(v) for k, v in names.items()}, source
            except (TypeError, ValueError):
                raise DatasetError("`names` keys must be class ids (whole numbers), e.g. {0: cat, 1: dog}",
                                   source) from None
        if isinstance(names, (list, tuple)):
            return {i: str(v) for i, v in enumerate(names)}, source
        if isinstance(names, str) and (root / names).is_file():
            return dict(enumerate(_lines(root / names))), root / names
        raise DatasetError("`names` must be a list or a mapping of class id to name", source)
    if spec is not None and isinstance(spec.get("nc"), int):
        notes.append(f"data.yaml gives nc: {spec['nc']} but no names: classes are named by id")
        return {i: str(i) for i in range(spec["nc"])}, source
    listed = names_file(root)
    if listed is not None:
        return dict(enumerate(_lines(listed))), listed
    return None, root


def _lines(path: Path) -> list[str]:
    text = _text(path, LIST_LIMIT)
    return [line.strip() for line in text.splitlines() if line.strip()]


# ---------------------------------------------------------------- where images and labels are

def label_dir_candidates(root: Path) -> list[Path]:
    dirs = [root / d for d in LABEL_DIRS]
    dirs += [sub / d for sub in _subdirs(root) for d in ("labels", "Labels")]
    dirs += sorted(root.glob("obj_*_data"))
    return [d for d in dirs if d.is_dir()]


def _subdirs(folder: Path) -> list[Path]:
    try:
        return sorted(Path(e.path) for e in os.scandir(folder) if e.is_dir() and not e.name.startswith("."))
    except OSError:
        return []


def side_by_side_dirs(root: Path) -> list[Path]:
    """Folders (the root or a split folder) holding both images and .txt files."""
    found = []
    for folder in [root] + [d for d in _subdirs(root) if is_split_word(d.name)]:
        names = [e.name for e in os.scandir(folder) if e.is_file()]
        if any(is_image(n) for n in names) and any(n.endswith(".txt") and n.lower() not in NOT_LABELS
                                                   for n in names):
            found.append(folder)
    return found


def label_dir_of(image_dir: Path) -> Path | None:
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
    symlinked: list[str] = []
    images, txt = _images_and_txt(real_dir, symlinked) if real_dir else ([], [])
    label_dirs = [d for d in (label_dir,) if d is not None]
    if image_dir is not None and not label_dirs:
        label_dirs = [real_dir]  # labels beside the images
    return Split(name, images, label_dirs, real_dir, txt, symlinked)


def _images_and_txt(folder: Path, symlinked: list[str] | None = None) -> tuple[list[str], list[str]]:
    """walk(folder, images=True) and walk(folder, exclude=NOT_LABELS) in one pass over the folder."""
    images, txt = [], []
    for path in walk(folder, images=True, also_txt=True, symlinked=symlinked):
        if path.endswith(".txt"):
            if os.path.basename(path).lower() not in NOT_LABELS:
                txt.append(path)
        else:
            images.append(path)
    return images, txt


def _scan(root: Path) -> list[Split]:
    """The splits the folder's own layout shows, with no YAML to say where they are."""
    if (root / "obj.data").is_file():
        return _darknet(root)
    image_roots = [d for d in (root / "images", root / "Images") if d.is_dir()]
    if image_roots:
        top = image_roots[0]
        subs = [d for d in _subdirs(top) if next(walk(d, 1, images=True), None)]
        if subs and not any(is_image(e.name) for e in os.scandir(top)):
            return [_split_from_dir(split_name(d.name), d, label_dir_of(d)) for d in subs]
        return [_split_from_dir("train", top, label_dir_of(top))]
    per_split = [d for d in _subdirs(root) if (d / "images").is_dir() and is_split_word(d.name)]
    if per_split:
        return [_split_from_dir(split_name(d.name), d / "images", label_dir_of(d / "images"))
                for d in per_split]
    darknet = sorted(root.glob("obj_*_data"))
    if darknet:
        return [_split_from_dir(split_name(d.name[4:-5]), d, d) for d in darknet]
    side = side_by_side_dirs(root)
    if side:
        return [_split_from_dir("train" if d == root or not is_split_word(d.name) else split_name(d.name),
                                d, d) for d in side]
    label_root = next((d for d in (root / "labels", root / "Labels") if d.is_dir()), None)
    if label_root is not None:
        subs = [d for d in _subdirs(label_root) if has_txt(d)]
        return [Split(split_name(d.name), [], [d]) for d in subs] or [Split("train", [], [label_root])]
    return []


def _darknet(root: Path) -> list[Split]:
    """obj.data: `train = data/train.txt`, `valid = data/valid.txt` (paths written from the parent)."""
    splits = []
    for line in _text(root / "obj.data", YAML_LIMIT).splitlines():
        key, _, value = line.partition("=")
        key = key.strip().lower()
        if key in ("train", "valid", "val", "test") and value.strip():
            listed = _resolve(value.strip(), [root], root)
            if listed is not None and (listed := _real(listed, root)).is_file():
                splits.append(Split(split_name(key), _image_list(listed, [root]), []))
    return splits


def _resolve(raw: str, bases: list[Path], root: Path, avoid: tuple[Path, ...] = (),
             follow_outside: bool = False) -> Path | None:
    """`raw` under the first base where it exists; else its trailing parts under the root (Roboflow
    writes `../train/images`), but never a folder that holds, or lies in, one of `avoid` (the folders
    other splits read): `val: ../elsewhere/images` must not become the train images. As written, a
    path outside the root is taken only with `follow_outside`."""
    raw = str(raw).replace("\\", "/")
    pure = PurePosixPath(raw)
    written = [Path(pure)] if pure.is_absolute() else [b / raw for b in bases]
    for candidate in written:
        if (follow_outside or _inside(candidate, root)) and (candidate.exists() or _through_link_file(candidate, root)):
            return candidate
    parts = [p for p in pure.parts if p not in ("..", ".", "/")]
    for candidate in (b.joinpath(*parts[i:]) for i in range(len(parts)) for b in bases):
        if _inside(candidate, root) and not any(_overlap(candidate, a) for a in avoid):
            found = candidate if candidate.exists() else _through_link_file(candidate, root)
            if found is not None:
                return candidate
    return None


def _overlap(a: Path, b: Path) -> bool:
    a, b = os.path.normpath(os.path.abspath(a)), os.path.normpath(os.path.abspath(b))
    return a == b or a.startswith(b + os.sep) or b.startswith(a + os.sep)


def leaves(raw: str, bases: list[Path], root: Path) -> bool:
    """Whether `raw`, as written, names a place outside the root (from every base)."""
    pure = PurePosixPath(str(raw).replace("\\", "/"))
    written = [Path(pure)] if pure.is_absolute() else [b / pure for b in bases]
    return not any(_inside(c, root) for c in written)


def _real(path: Path, root: Path) -> Path:
    """The path itself, or where a link file along it points."""
    return path if path.exists() else (_through_link_file(path, root) or path)


def _through_link_file(path: Path, root: Path) -> Path | None:
    """A symlink that git checked out as a small file holding the target (core.symlinks=false)."""
    rel = path.relative_to(root) if _inside(path, root) else None
    if rel is None or not rel.parts:
        return None
    head = root / rel.parts[0]
    if head.is_symlink() or not head.is_file() or head.stat().st_size > 256:
        return None  # a link file is a small regular file (a real symlink is no link file)
    target = _text(head, 256).strip()
    followed = (head.parent / target).joinpath(*rel.parts[1:])
    return followed if "\n" not in target and followed.exists() else None


def _inside(path: Path, root: Path) -> bool:
    """Lexically inside the root (a symlinked folder inside the root counts as inside)."""
    inner = os.path.normpath(os.path.abspath(path))
    outer = os.path.normpath(os.path.abspath(root))
    return inner == outer or inner.startswith(outer + os.sep)


def _image_list(listed: Path, bases: list[Path]) -> list[str]:
    """Images named in a .txt list; the first resolvable line decides how the others are read."""
    lines = [ln.strip() for ln in _text(listed, LIST_LIMIT).splitlines() if ln.strip()]
    root = bases[-1]
    search = [listed.parent] + bases
    for line in lines[:20]:
        found = _resolve(line, search, root)
        if found is None:
            continue
        drop = len(PurePosixPath(line.replace("\\", "/")).parts) - len(found.relative_to(root).parts)
        return [str(root.joinpath(*PurePosixPath(ln.replace("\\", "/")).parts[max(drop, 0):])) for ln in lines]
    return []


def _yaml_splits(root: Path, yaml_path: Path, spec: dict, notes: list,
                 follow_outside: bool = False) -> tuple[list[Split], list]:
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
            taken = tuple(d for s in splits for d in [s.image_dir, *s.label_dirs] if d is not None)
            split = _yaml_entry(root, split_name(key), str(raw), bases, taken, follow_outside)
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


def _yaml_entry(root: Path, split: str, raw: str, bases: list[Path], taken: tuple[Path, ...] = (),
                follow_outside: bool = False) -> Split | None:
    found = _resolve(raw, bases, root, taken, follow_outside)
    if found is not None and _real(found, root).is_dir():
        return _split_from_dir(split, found, label_dir_of(found), _real(found, root))
    if found is not None and found.suffix == ".txt":
        return Split(split, _image_list(_real(found, root), bases), [])
    as_labels = raw.replace("images", "labels")
    if found is None and as_labels != raw:
        labels = _resolve(as_labels, bases, root, taken, follow_outside)
        if labels is not None and labels.is_dir():
            return Split(split, [], [labels])
    return None


def find_splits(root: Path, spec: tuple[Path, dict] | None, notes: list, findings: list | None = None,
                follow_outside: bool = False) -> list[Split]:
    """The splits to read. A data.yaml entry that leads outside the dataset is not read (unless
    `follow_outside`): the folder's own layout gives the split of that name if it has one (Roboflow's
    `../valid/images` beside a `valid/images`), else the split is missing, with a `split_outside`
    finding in `findings`; another split's folder never stands in for it."""
    if spec is None or not any(spec[1].get(k) for k in ("train", "val", "test")):
        return _scan(root)
    yaml_path, data = spec
    splits, missing = _yaml_splits(root, yaml_path, data, notes, follow_outside)
    if not missing:
        return splits
    scanned = _scan(root)
    outside = []
    for key, raw in missing:
        match = [s for s in scanned if s.name == split_name(key) and s.name not in {x.name for x in splits}]
        if not match and leaves(raw, [yaml_path.parent, root], root):
            outside.append((key, raw))
            continue
        where = ", ".join(relative((os.path.dirname(s.images[0]) if s.images else s.label_dirs[0]), root)
                          for s in match)
        notes.append(f"{yaml_path.name} {key}: {raw} does not exist here; "
                     + (f"read {where} from the folder's layout instead" if match else "split left out"))
        splits += match
    if outside and findings is not None:
        findings.append(Finding("split_outside", Severity.WARNING, len(outside),
                                values={"file": yaml_path.name, "splits": [split_name(k) for k, _ in outside]},
                                examples=[f"{yaml_path.name} {k}: {raw}" for k, raw in outside]))
    if not splits:
        keys = ", ".join(f"{k}: {v}" for k, v in missing)
        why = "exist" if not outside else "exist inside the dataset folder (pass --follow-outside to read outside it)"
        raise DatasetError(f"none of the image folders it names {why} ({keys}), and the folder has no "
                           f"images/ or labels/ of its own", yaml_path)
    return splits
