"""COCO instance annotations (detection): one or several JSON files with images, annotations, categories.

Layouts read, in this order of preference (the first that is present is used):

    root/annotations/instances_<split>*.json   (COCO, mmdetection; images in root/<split>/,
    root/instances_<split>*.json                 root/images/<split>/ or root/images/)
    root/<split>/_annotations.coco.json        (Roboflow; images next to the JSON)
    root/<split>.json, root/annotations/<split>.json
    root/annotations.json                      (relaxed: images next to it; one split, train)
    root/*.json, root/annotations/*.json       (any file with images + annotations keys)

Image sizes come from `images[]` (header of the image file only where they are 0 or missing); no
image file is needed. Category ids need not be contiguous. `iscrowd` boxes are kept with
`iscrowd = 1`. Decoding is typed (msgspec) with only the fields the statistics need, so polygon
coordinates are skipped unless the task is segmentation.

Segmentation (`config.task == "segmentation"`): `read(path, segmentation=True)` decodes
`SegmentedCocoFile`, whose annotations keep `segmentation` as raw JSON bytes (`msgspec.Raw`), and
`_labels` turns them into one mask row per (image, class): the union of the class's polygons and RLEs
(insight/formats/shared/instance_masks.py).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import msgspec
import numpy as np
import pandas as pd

from insight.config import Config
from insight.errors import DatasetError, InsightError
from insight.safe_input import open_regular, read_bytes
from insight.formats.coco.decode import Annotations, Category, Decoded, Image, decode
from insight.formats.coco.split import SPLIT_ABOVE, split_decode
from insight.formats.protocol import FormatReader
from insight.detection import LIKELY, SURE, UNSURE, Detection
from insight.formats.shared.files import remote_source
from insight.formats.shared.tables import (PLACEHOLDER_NAMES, box_labels, fill_sizes, finding,
                                       images_table)
from insight.bounds import MISSING, NOT_OPENED, OUTSIDE, Bounds, Screened, screen_images
from insight.formats.shared.files import missing_image_findings
from insight.formats.shared.splits import is_split_word, split_name
from insight.model.dataset import Dataset
from insight.model.findings import Severity
from insight.progress import Progress, no_progress

NAME = "coco"
TASK = "detection"

ANNOTATION_LIMIT = 2 << 30  # bytes read from one annotation file (COCO 2017 train: 448 MB; LVIS train: 1.1 GB)
_PEEK = 1 << 16  # bytes looked at to tell a COCO file from another JSON
_SAMPLE = 50  # file names tried when looking for the image folder


@dataclass(frozen=True)
class Source:
    path: Path
    raw_split: str  # the split as the layout spells it (folder or file name part)
    split: str


# ---------------------------------------------------------------- detection

def detect(root: Path) -> Detection:
    sources, layout = find_sources(root)
    if not sources:
        return Detection.no(layout)
    confidence = SURE if layout in ("instances", "roboflow") else LIKELY
    if layout == "any json":
        confidence = UNSURE + 0.1
    names = ", ".join(str(s.path.relative_to(root)) for s in sources[:3])
    return Detection(confidence, f"{layout} layout: {names}")


def find_sources(root: Path) -> tuple[list[Source], str]:
    """The annotation files to read and the layout's name, or ([], why none was found)."""
    root = Path(root)
    ann_dir = root / "annotations"
    top = _jsons(root)
    inner = _jsons(ann_dir) if ann_dir.is_dir() else []
    instances = [p for p in inner + top if p.name.lower().startswith("instances_")]
    if instances:
        return [_source(p, p.stem[len("instances_"):]) for p in instances], "instances"
    roboflow = sorted(root.glob("*/_annotations.coco.json"))
    if (root / "_annotations.coco.json").is_file():
        own = root.name if split_name(root.name) in ("train", "val", "test") else "train"
        roboflow = [root / "_annotations.coco.json"] + roboflow
        return [_source(p, own if p.parent == root else p.parent.name) for p in roboflow], "roboflow"
    if roboflow:
        return [_source(p, p.parent.name) for p in roboflow], "roboflow"
    named = [p for p in inner + top if is_split_word(p.stem) and _looks_like_coco(p)]
    if named:
        return [_source(p, p.stem) for p in named], "<split>.json"
    if (root / "annotations.json").is_file() and _looks_like_coco(root / "annotations.json"):
        return [Source(root / "annotations.json", "", "train")], "annotations.json"
    anyjson = [p for p in inner + top if _looks_like_coco(p)]
    if len(anyjson) == 1:
        return [Source(anyjson[0], "", "train")], "any json"
    if anyjson:
        return [_source(p, p.stem) for p in anyjson], "any json"
    if not top and not inner:
        return [], "no *.json in the folder or in annotations/"
    return [], "no *.json with images and annotations keys"


def _jsons(folder: Path) -> list[Path]:
    try:
        return sorted(Path(e.path) for e in os.scandir(folder)
                      if e.is_file() and e.name.lower().endswith(".json"))
    except OSError:
        return []


def _source(path: Path, raw: str) -> Source:
    return Source(path, raw, split_name(raw) if raw else "train")


def _looks_like_coco(path: Path) -> bool:
    """The head holds an "images" key and the head or tail an "annotations" or "categories" key."""
    try:
        with open_regular(path, ANNOTATION_LIMIT) as f:  # never a FIFO or a device
            head = f.read(_PEEK)
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - _PEEK))
            tail = f.read()
    except (OSError, InsightError):
        return False
    both = head + tail
    return b'"images"' in head and (b'"annotations"' in both or b'"categories"' in both)


# ---------------------------------------------------------------- loading

def load(root: Path, config: Config = Config(), progress: Progress = no_progress) -> Dataset:
    root = Path(root)
    sources, layout = find_sources(root)
    if not sources:
        raise DatasetError(f"no COCO annotation file found ({layout})", root)
    segmentation = config.task == "segmentation"
    bounds = Bounds.of(root, config.follow_outside)
    sources, findings = _bounded_sources(root, sources, bounds)
    parts, notes = [], []
    shared = {s.split for s in sources if sum(o.split == s.split for o in sources) > 1}
    for source in progress(sources, total=len(sources), desc="COCO files"):
        prefix = f"{source.split}/{source.path.stem}" if source.split in shared else source.split
        parts.append(_read_part(root, source, read(source.path, segmentation), findings, prefix, bounds, config))
    classes, notes = _classes(parts, notes)
    images = pd.concat([p.images for p in parts], ignore_index=True)
    labels = pd.concat([p.labels for p in parts], ignore_index=True)
    has_files = any(p.has_files for p in parts)
    screened = _screen(root, parts, images, bounds, findings)
    if has_files:
        images, unreadable = fill_sizes(images, root, config.workers, progress, bounds, config.executor,
                                        remote_source(config))
        findings += unreadable
        labels = _refresh_area_pct(labels, images)
    findings += _missing_images(root, parts, images, screened)
    notes.insert(0, f"COCO {layout} layout: " + ", ".join(
        f"{p.source.path.relative_to(root)} ({p.source.split})" for p in parts))
    labels = labels[labels["class"].isin(classes)]  # undeclared categories are counted in a finding
    refused = images["path"].to_numpy()[screened.refused].tolist()
    return Dataset(root=str(root), task="segmentation" if segmentation else TASK, format=NAME, classes=tuple(classes), images=images,
                   labels=labels.reset_index(drop=True), health=tuple(findings), notes=tuple(notes),
                   has_image_files=has_files, extras={NOT_OPENED: refused})


def _bounded_sources(root: Path, sources: list[Source], bounds: Bounds) -> tuple[list[Source], list]:
    """The annotation files that are regular files inside the dataset; a finding for the others (an
    error when none is left)."""
    screened = bounds.screen([s.path for s in sources])
    names = [str(s.path.relative_to(root)) for s in sources]
    kept = [s for s, ok in zip(sources, screened.ok) if ok]
    if not kept:
        why = "outside the dataset folder" if screened.outside else "not a regular file"
        raise DatasetError(f"{names[0]} leads {why}: not read (no other COCO annotation file here)"
                           if why.startswith("outside") else f"{names[0]} is {why}: not read", root)
    return kept, screened.findings(names, "COCO annotation files")


def _screen(root: Path, parts: list[_Part], images: pd.DataFrame, bounds: Bounds, findings: list) -> Screened:
    """Which image files may be opened: regular files inside the dataset (insight/bounds.py); findings
    for the others."""
    screened, found = screen_images(images["path"].tolist(), root, bounds, "image files named by the annotations")
    findings += found
    return screened


def read(path: Path, segmentation: bool = False) -> Decoded:
    """Decode one annotation file (insight/formats/coco/decode.py); a malformed file is a DatasetError
    naming the line."""
    with open_regular(path, ANNOTATION_LIMIT, DatasetError) as handle:  # a regular file within the cap
        size = os.fstat(handle.fileno()).st_size
    if not segmentation and size > SPLIT_ABOVE:
        from insight.pool import mp_context

        decoded = split_decode(path, mp_context())
        if decoded is not None:
            return decoded
    data = read_bytes(path, ANNOTATION_LIMIT, DatasetError)
    if not data.strip():
        raise DatasetError("the file is empty (expected a COCO JSON object)", path)
    if not data.isascii():  # msgspec checks UTF-8 only in the fields it decodes, not in skipped ones
        _refuse_non_utf8(data, path)
    try:
        return decode(data, segmentation)
    except RecursionError:
        raise DatasetError("JSON nested too deeply to read (arrays or objects inside each other thousands of "
                           "levels deep)", path) from None
    except msgspec.ValidationError as exc:
        raise DatasetError(f"not a COCO instances file: {exc}", path) from None
    except msgspec.DecodeError as exc:
        _refuse_non_utf8(data, path)
        found = re.search(r"byte (\d+)", str(exc))
        line = data.count(b"\n", 0, int(found.group(1))) + 1 if found else None
        reason = re.sub(r"\s*\(byte \d+\)", "", str(exc))
        raise DatasetError(reason, path, line) from None


def _refuse_non_utf8(data: bytes, path: Path) -> None:
    """A DatasetError naming the first byte that is not UTF-8 and its line (a full decode: ~1 GB/s)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DatasetError(f"not UTF-8 text (byte {exc.start}); JSON must be UTF-8", path, line) from None


@dataclass
class _Part:
    source: Source
    categories: list[Category]
    images: pd.DataFrame
    labels: pd.DataFrame
    has_files: bool


def _read_part(root: Path, source: Source, coco: Decoded, findings: list, prefix: str, bounds: Bounds,
               config: Config) -> _Part:
    name = source.path.relative_to(root)
    if not len(coco.annotations) and not coco.categories:
        raise DatasetError("no categories and no annotations (an image-info file, not instances)",
                           source.path)
    if len(coco.annotations) and coco.annotations.no_bbox.all():
        raise DatasetError("annotations have no bbox (a captions, labels or panoptic file, "
                           "not instances)", source.path)
    image_dir, has_files = _image_dir(root, source, coco.images, bounds)
    images = _images(root, source, coco.images, image_dir, prefix)
    invalid = [i for i, img in enumerate(coco.images)
               if (img.width is not None and img.width <= 0) or (img.height is not None and img.height <= 0)]
    if invalid:
        findings.append(finding("image_size_invalid", Severity.WARNING,
                                (images["path"].iat[i] for i in invalid), count=len(invalid), file=str(name)))
    categories = _categories(coco)
    findings += _duplicate_categories(coco.categories, str(name))
    labels = _labels(source, coco, images, categories, findings, str(name), config)
    return _Part(source, categories, images, labels, has_files)


def _missing_images(root: Path, parts: list[_Part], images: pd.DataFrame, screened: Screened) -> list:
    """image_missing per split, or label_only when no annotation file has its images here. A file that
    was not opened (outside the dataset, not a regular file) has its own finding: it is not missing."""
    exists = np.array(screened.ok, dtype=bool)
    exists[screened.refused] = True
    start = 0
    for part in parts:
        end = start + len(part.images)
        if not part.has_files:
            exists[start:end] = False
        start = end
    sources = [str(p.source.path.relative_to(root)) for p in parts]
    return missing_image_findings(images["path"].tolist(), images["split"].tolist(), exists, sources)


def _image_dir(root: Path, source: Source, images: list[Image], bounds: Bounds) -> tuple[Path, bool]:
    """The folder `file_name` is relative to: the one where most of a sample of names exist (names
    that lead outside the dataset are not looked for)."""
    raw = source.raw_split
    here = source.path.parent
    candidates = [here, root / "images" / raw, root / "images" / source.split, root / raw,
                  root / source.split, root / "images", root, here.parent]
    candidates = list(dict.fromkeys(c for c in candidates if c.is_dir()))
    sample = [i.file_name for i in images[:_SAMPLE] if i.file_name]
    best, hits = here, 0
    for folder in candidates:
        found = sum(bounds.check(folder / n) not in (MISSING, OUTSIDE) for n in sample)
        if found > hits:
            best, hits = folder, found
    return best, hits > 0


def image_paths(root: Path, image_dir: Path, images: list[Image]) -> list[str]:
    """Where each image's `file_name` points, relative to the root (an absolute one as it is): the one
    place an annotation's image reference becomes a path."""
    rel = os.path.relpath(image_dir, root)
    prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
    return [i.file_name if os.path.isabs(i.file_name) else prefix + i.file_name for i in images]


def _images(root: Path, source: Source, images: list[Image], image_dir: Path, id_prefix: str) -> pd.DataFrame:
    ids = [f"{id_prefix}/{i.id}" for i in images]
    if len(set(ids)) != len(ids):
        dup = pd.Series(ids)[pd.Series(ids).duplicated()].iloc[0]
        raise DatasetError(f"image id {dup.rsplit('/', 1)[1]} appears twice in images[]", source.path)
    return images_table(ids, [source.split] * len(images), image_paths(root, image_dir, images),
                        [i.width if i.width and i.width > 0 else np.nan for i in images],
                        [i.height if i.height and i.height > 0 else np.nan for i in images])


def _categories(coco: Decoded) -> list[Category]:
    seen: dict[int, Category] = {}
    for c in coco.categories:
        seen.setdefault(c.id, c)
    return list(seen.values())


def _duplicate_categories(categories: list[Category], name: str) -> list:
    """A category id declared twice (the first declaration names its boxes; the others are ignored),
    and a name given to several ids (their boxes are counted as one class)."""
    by_id: dict[int, list[str]] = {}
    by_name: dict[str, list[int]] = {}
    for c in categories:
        by_id.setdefault(c.id, []).append(c.name)
        by_name.setdefault(c.name, []).append(c.id)
    examples = [f"{name}: category id {i} declared {len(n)} times ({', '.join(map(repr, n))}); "
                f"its boxes are counted as {n[0]!r}" for i, n in by_id.items() if len(n) > 1]
    examples += [f"{name}: category name {n!r} given to ids {', '.join(map(str, ids))}; their boxes are "
                 "counted as one class" for n, ids in by_name.items() if len(set(ids)) > 1]
    if not examples:
        return []
    return [finding("duplicate_category", Severity.WARNING, examples, file=name,
                    ids=sum(len(n) > 1 for n in by_id.values()),
                    names=sum(len(set(i)) > 1 for i in by_name.values()))]


def _labels(source: Source, coco: Decoded, images: pd.DataFrame, categories: list[Category],
            findings: list, name: str, config: Config) -> pd.DataFrame:
    anns: Annotations = coco.annotations
    n = len(anns)
    good_box = anns.good_box
    row = pd.Index([i.id for i in coco.images]).get_indexer(anns.image_ref) if n else np.empty(0, int)
    cat_row = pd.Index([c.id for c in categories]).get_indexer(anns.category) if n else np.empty(0, int)
    _report(findings, anns, name, ~good_box, "bad_bbox", Severity.WARNING)
    _report(findings, anns, name, good_box & (row < 0), "annotation_without_image", Severity.WARNING)
    undeclared = good_box & (row >= 0) & (cat_row < 0)
    if undeclared.any():
        ids = sorted({int(i) for i in anns.category[undeclared]})
        findings.append(finding("undeclared_class", Severity.WARNING,
                                (f"{name}: annotation {anns.ann_id[i]}" for i in np.flatnonzero(undeclared)),
                                ids=ids[:10], file=name))
    keep = good_box & (row >= 0)
    names = np.array([c.name for c in categories] + ["\0undeclared"], dtype=object)
    image_row = row[keep]
    b = anns.bbox[keep]
    width, height = images["width"].to_numpy()[image_row], images["height"].to_numpy()[image_row]
    table = box_labels(images["image_id"].to_numpy()[image_row], images["split"].to_numpy()[image_row],
                       names[cat_row[keep]], b[:, 0], b[:, 1], b[:, 2], b[:, 3], width, height,
                       iscrowd=anns.crowd[keep])
    if anns.segmentation is not None:  # segmentation: per (image, class) the union of its polygons and RLEs
        from insight.formats.shared.instance_masks import coco_mask_labels

        kept = np.flatnonzero(keep)
        table, invalid = coco_mask_labels(table, [anns.segmentation[i] for i in kept], image_row, images,
                                          [f"{name}: annotation {anns.ann_id[i]}" for i in kept],
                                          config.workers, config.executor)
        findings += invalid
    return table


def _report(findings: list, anns: Annotations, name: str, mask: np.ndarray, code: str, severity) -> None:
    if mask.any():
        findings.append(finding(code, severity, (f"{name}: annotation {anns.ann_id[i]}"
                                                 for i in np.flatnonzero(mask)[:5]),
                                count=int(mask.sum()), file=name))


def _classes(parts: list[_Part], notes: list[str]) -> tuple[list[str], list[str]]:
    """Declared class names in file order; placeholders that no box uses are left out, with a note."""
    classes: list[str] = []
    for part in parts:
        for c in part.categories:
            if c.name not in classes:
                classes.append(c.name)
    used = set(pd.concat([p.labels["class"] for p in parts]).unique()) if parts else set()
    all_cats = [c for p in parts for c in p.categories]
    dropped = [c.name for c in all_cats if _is_roboflow_placeholder(c, all_cats) and c.name not in used]
    if dropped:
        notes.append(f"Roboflow's placeholder category {dropped[0]!r} (supercategory of every other "
                     f"category, no annotations) is not a class")
    unused_bg = [c for c in classes if c.lower() in PLACEHOLDER_NAMES and c not in used]
    if unused_bg:
        notes.append(f"category {unused_bg[0]!r} has no annotations and names a background; "
                     f"it is not counted as a class")
    drop = set(dropped) | set(unused_bg)
    return [c for c in classes if c not in drop], notes


def _is_roboflow_placeholder(cat: Category, cats: list[Category]) -> bool:
    others = [c for c in cats if c.name != cat.name]
    return (cat.supercategory == "none" and bool(others)
            and all(c.supercategory == cat.name for c in others))


def _refresh_area_pct(labels: pd.DataFrame, images: pd.DataFrame) -> pd.DataFrame:
    """area_pct after header sizes filled what images[] left at 0 or missing."""
    if labels.empty or labels["area_pct"].notna().all():
        return labels
    size = images.set_index("image_id")
    area = size["width"] * size["height"]
    labels = labels.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        labels["area_pct"] = labels["area"].to_numpy() * 100 / area.reindex(labels["image_id"]).to_numpy()
    return labels


READER = FormatReader(NAME, TASK, ("detection", "segmentation"), detect, load)
