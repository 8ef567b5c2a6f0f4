"""Where the masks of a segmentation dataset are, which image each belongs to, and which split it is in.

    ROOT/images/<split>/a.jpg + ROOT/masks/<split>/a.png     (or labels/, annotations/, gt/; or
    ROOT/<split>/images/ + ROOT/<split>/masks/)              pairs by file stem, in any sub-folder
    ROOT/JPEGImages/ + ROOT/SegmentationClass/               Pascal VOC; splits from
                                                             ImageSets/Segmentation/{train,val,test}.txt
    ROOT/train/ + ROOT/trainannot/ (val, test likewise)      CamVid
    ROOT/leftImg8bit/<split>/<city>/x_leftImg8bit.png        Cityscapes; one mask kind is read, in the
    ROOT/gtFine/<split>/<city>/x_gtFine_labelTrainIds.png    order labelTrainIds, labelIds, instanceIds, color
    ROOT/<split>/images/ + ROOT/<split>/v2.0/labels/         Mapillary Vistas (the newest version folder)
    ROOT/config.yaml  train: {images: DIR, masks: DIR}       LightlyTrain semantic-segmentation config
    ROOT/training/<scene>/x.jpg + x_seg.png                  ADE20K full release (class = R/10*256 + G);
                                                             x_parts_N.png and instance masks are skipped
    ROOT/<split>/x.jpg + x_mask.png + _classes.csv           Roboflow "Semantic Segmentation Masks" export
                                                             (`Pixel Value, Class`); also the split folder

Panoptic folders (segment ids, not classes) are skipped. A mask and an image pair when their stems
match, after dropping a mask suffix (`_mask`, `_seg`, `_gt`, `_label`, `_L`, Cityscapes' `_gtFine_*`,
`_leftImg8bit`) or, failing that, a prefix every file of a folder shares (`gt_0001.png` with
`image_0001.png`): see insight/formats/masks/pairing.py. Splits are the first split word in the path.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from insight.errors import DatasetError, InsightError
from insight.formats.shared.splits import is_split_word, split_name
from insight.safe_input import load_yaml, read_bytes, read_text

MASK_SUFFIXES = frozenset({".png", ".bmp", ".tif", ".tiff"})
MASK_DIR_NAMES = frozenset({"masks", "mask", "labels", "label", "annotations", "segmentationclass",
                            "segmentationclassaug", "gt", "gtfine", "groundtruth", "ground_truth"})
IMAGE_DIR_NAMES = ("images", "image", "imgs", "img", "jpegimages", "leftimg8bit", "rgb")
SURE_MASK_DIRS = frozenset({"segmentationclass", "segmentationclassaug", "gtfine"})
CITYSCAPES_KINDS = ("labelTrainIds", "labelIds", "instanceIds", "color")
_MAX_DEPTH = 3


@dataclass(frozen=True)
class Source:
    """One folder of masks and the folder of its images (None when there is none)."""

    mask_dir: Path
    image_dir: Path | None
    split: str | None = None  # fixed by the layout (CamVid `trainannot`, a config key), else from paths
    kind: str = "generic"  # generic | voc | camvid | cityscapes | config


@dataclass(frozen=True, slots=True)
class Pair:
    """A mask and its image (absolute paths as str: many thousands are kept), either may be None."""

    split: str
    mask: str | None
    image: str | None


@dataclass
class Layout:
    root: Path
    kind: str
    sources: list[Source]
    label_map_dirs: list[Path]
    cityscapes_kind: str | None = None
    notes: list[str] = field(default_factory=list)


def is_mask_file(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in MASK_SUFFIXES


def _subdirs(folder: Path, limit: int | None = None) -> list[Path]:
    """Sub-folders, sorted; with `limit`, only among the first `limit` entries of the folder."""
    found = []
    try:
        with os.scandir(folder) as entries:
            for i, e in enumerate(entries):
                if limit is not None and i >= limit:
                    break
                if e.is_dir() and not e.name.startswith("."):
                    found.append(Path(e.path))
    except OSError:
        return []
    return sorted(found)


_SEARCH_ENTRIES = 5000  # entries of a folder looked at for mask sub-folders: a folder of 100,000
# images holds its images, not the masks


def _skipped(name: str) -> bool:
    """Sub-folders that hold no class masks: hidden ones, and panoptic segment-id PNGs (COCO, Mapillary)."""
    return name.startswith(".") or name.lower().startswith("panoptic")


_LOOK_AT = 500  # entries looked at per folder when asking whether it holds masks: a mask folder's
# files are masks, so a folder whose first 500 files hold none (YOLO's labels/ of .txt) holds none


def _names(folder: str, limit: int = _LOOK_AT) -> tuple[list[str], list[str]]:
    """Up to `limit` (file names, sub-folder paths) of `folder`, in directory order."""
    files, dirs = [], []
    try:
        with os.scandir(folder) as entries:
            for i, entry in enumerate(entries):
                if i >= limit:
                    break
                if entry.is_dir():
                    dirs.append(entry.path)
                else:
                    files.append(entry.name)
    except OSError:
        pass
    return files, dirs


def _holds_masks(folder: Path, limit: int = 200) -> bool:
    stack, seen = [str(folder)], 0
    while stack and seen <= limit:
        files, dirs = _names(stack.pop())
        if any(is_mask_file(f) for f in files):
            return True
        stack += [d for d in dirs if not _skipped(os.path.basename(d))]
        seen += 1
    return False


def _is_mask_dir_name(name: str) -> bool:
    low = name.lower()
    return low in MASK_DIR_NAMES or (low.endswith("annot") and len(low) > 5)


def find_mask_dirs(root: Path) -> list[Path]:
    """Folders named like mask folders that hold mask files, down to three levels below ROOT."""
    found, frontier = [], [(root, 0)]
    while frontier:
        folder, depth = frontier.pop(0)
        for sub in _subdirs(folder, _SEARCH_ENTRIES):
            if _is_mask_dir_name(sub.name):
                if _holds_masks(sub):
                    found.append(sub)
            elif depth + 1 < _MAX_DEPTH:
                frontier.append((sub, depth + 1))
    return sorted(found)


def _image_dir_for(mask_dir: Path, root: Path) -> Path | None:
    low = mask_dir.name.lower()
    siblings = {d.name.lower(): d for d in _subdirs(mask_dir.parent)}
    if low.endswith("annot") and low[:-5] in siblings:
        return siblings[low[:-5]]
    folder = mask_dir.parent
    while True:
        children = {d.name.lower(): d for d in _subdirs(folder)}
        for name in IMAGE_DIR_NAMES:
            if name in children:
                return children[name]
        if folder == root or root not in folder.parents:
            return None
        folder = folder.parent


def _config_sources(root: Path) -> list[Source]:
    """LightlyTrain-style config: top-level split keys mapping to {images: DIR, masks: DIR}."""
    for name in ("config.yaml", "data.yaml", "config.yml", "data.yml"):
        path = root / name
        if not path.is_file():
            continue
        try:  # a regular file, capped; YAML with bounded aliases (insight/safe_input.py)
            obj = load_yaml(read_text(path, 1 << 20, DatasetError), path, DatasetError)
        except InsightError:  # not this layout; another loader may read the file
            continue
        if not isinstance(obj, dict):
            continue
        sources = [Source((root / str(v["masks"])).resolve(),
                          (root / str(v["images"])).resolve() if v.get("images") else None,
                          split_name(str(k)), "config")
                   for k, v in obj.items() if isinstance(v, dict) and v.get("masks")]
        if sources:
            return sources
    return []


def find_layout(root: Path) -> Layout | None:
    """The mask layout under ROOT, or None when there is no mask folder."""
    root = Path(root)
    sources = _config_sources(root)
    if sources:
        return Layout(root, "config", sources, [root])
    dirs = find_mask_dirs(root)
    if not dirs:
        if has_ade20k_masks(root):
            return Layout(root, "ade20k", [Source(root, root, None, "ade20k")], [root])
        beside = beside_mask_folders(root)
        if beside:
            sources = [Source(f, f, split_name(f.name) if is_split_word(f.name) else None, "beside") for f in beside]
            return Layout(root, "beside", sources, [root] + [f for f in beside if f != root])
        return None
    by_image_dir: dict[Path | None, list[Path]] = {}
    for d in dirs:
        by_image_dir.setdefault(_image_dir_for(d, root), []).append(d)
    notes, sources = [], []
    for image_dir, mask_dirs in by_image_dir.items():
        if image_dir is not None and len(mask_dirs) > 1:  # Mapillary v1.2/labels and v2.0/labels
            notes.append(f"read masks from {mask_dirs[-1].relative_to(root)}, not "
                         + ", ".join(str(m.relative_to(root)) for m in mask_dirs[:-1]))
            mask_dirs = mask_dirs[-1:]
        for m in mask_dirs:
            sources.append(Source(m, image_dir, _fixed_split(m), _kind(m)))
    kinds = {s.kind for s in sources}
    kind = kinds.pop() if len(kinds) == 1 else "generic"
    map_dirs = [root] + sorted({p for s in sources for p in _ancestors(s.mask_dir, root)}, key=lambda p: -len(p.parts))
    layout = Layout(root, kind, sources, map_dirs, notes=notes)
    if kind == "cityscapes":
        layout.cityscapes_kind = _cityscapes_kind(sources)
    return layout


def _ancestors(folder: Path, root: Path) -> list[Path]:
    out = []
    while folder != root and root in folder.parents:
        out.append(folder)
        folder = folder.parent
    return out


def _fixed_split(mask_dir: Path) -> str | None:
    low = mask_dir.name.lower()
    if low.endswith("annot") and len(low) > 5:
        return split_name(mask_dir.name[:-5])
    return None


def _kind(mask_dir: Path) -> str:
    low = mask_dir.name.lower()
    if low == "gtfine":
        return "cityscapes"
    if low.startswith("segmentationclass"):
        return "voc"
    if low.endswith("annot") and len(low) > 5:
        return "camvid"
    return "generic"


def _cityscapes_kind(sources: list[Source]) -> str | None:
    present = set()
    for s in sources:
        for _, _, files in os.walk(s.mask_dir):
            for f in files:
                m = re.search(r"_gtFine_(\w+)\.png$", f)
                if m:
                    present.add(m.group(1))
    return next((k for k in CITYSCAPES_KINDS if k in present), None)


_ADE_SEG = re.compile(r"_seg\.png$")
BESIDE_MASK = re.compile(r"_mask\.png$", re.IGNORECASE)  # Roboflow: x_mask.png beside x.jpg


def beside_mask_folders(root: Path) -> list[Path]:
    """The folder itself and its split folders where `x_mask.png` files sit beside their image `x.*`
    (among the first _LOOK_AT entries of each)."""
    found = []
    for folder in [root] + [d for d in _subdirs(root) if is_split_word(d.name)]:
        files, _ = _names(str(folder))
        stems = {os.path.splitext(f)[0] for f in files if not BESIDE_MASK.search(f)}
        if any(BESIDE_MASK.search(f) and f[:-len("_mask.png")] in stems for f in files):
            found.append(folder)
    return found


def has_ade20k_masks(root: Path) -> bool:
    """ADE20K's full release: `x_seg.png` beside `x.jpg`, up to four folders down (the first
    _LOOK_AT entries of each folder are looked at: there, a third of the files are `_seg.png`)."""
    frontier = [str(root)]
    for _ in range(4):
        below = []
        for folder in frontier:
            files, dirs = _names(folder)
            for name in files:
                if name.endswith("_seg.png") and any(
                        os.path.isfile(os.path.join(folder, name[:-8] + ext)) for ext in (".jpg", ".jpeg", ".png")):
                    return True
            below += [d for d in dirs if not os.path.basename(d).startswith(".")]
        frontier = below
    return False


def mask_files(source: Source, cityscapes_kind: str | None, symlinked: list[str] | None = None) -> list[str]:
    """Absolute paths (str: tens of thousands are kept) of the source's mask files, in walk order.
    Symlinked sub-folders are not entered (as below a class folder: no loop, no mask counted twice);
    their paths are added to `symlinked`."""
    found = []
    for dirpath, dirnames, files in os.walk(source.mask_dir, followlinks=False):
        dirnames[:] = [] if source.kind == "beside" else sorted(d for d in dirnames if not _skipped(d))
        if symlinked is not None:
            symlinked += [os.path.join(dirpath, d) for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        for f in sorted(files):
            if f.startswith(".") or not is_mask_file(f):
                continue
            if cityscapes_kind and source.kind == "cityscapes" and not f.endswith(f"_gtFine_{cityscapes_kind}.png"):
                continue
            if source.kind == "ade20k" and not _ADE_SEG.search(f):
                continue
            if source.kind == "beside" and not BESIDE_MASK.search(f):
                continue
            found.append(os.path.join(dirpath, f))
    return found


def split_of(path: Path | str, base: Path | str) -> str | None:
    """The first split word among the folders between `base` and the file."""
    path, base = str(path), str(base)
    rel = path[len(base) + 1:] if path.startswith(base + os.sep) else path
    for part in rel.split(os.sep)[:-1]:
        if is_split_word(part):
            return split_name(part)
        if part.lower().endswith("annot") and is_split_word(part[:-5]):
            return split_name(part[:-5])
    return None


def voc_splits(root: Path) -> dict[str, str]:
    """stem -> split from ImageSets/Segmentation/{train,val,test}.txt (trainval only without train/val)."""
    folder = root / "ImageSets" / "Segmentation"
    lists = {p.stem.lower(): p for p in folder.glob("*.txt")} if folder.is_dir() else {}
    use = [n for n in ("train", "val", "test") if n in lists] or (["trainval"] if "trainval" in lists else [])
    out: dict[str, str] = {}
    for name in use:
        split = "train" if name == "trainval" else name
        for line in read_bytes(lists[name], 256 << 20, DatasetError).decode("utf-8", "replace").splitlines():
            if line.split():
                out.setdefault(line.split()[0], split)
    return out
