"""Semantic segmentation as one mask PNG per image: class-index (8- or 16-bit), palette or colour masks.

    ROOT/
      images/<split>/a.jpg          (or JPEGImages/, leftImg8bit/, train/ beside trainannot/, RGB/)
      masks/<split>/a.png           (or labels/, SegmentationClass/, annotations/, gtFine/, trainannot/, GT/)
      classes.txt | labelmap.txt | label_colors.txt | class_dict.csv | dataset_meta.json | data.yaml

Layouts and pairing: insight/formats/masks/layout.py. Label maps: insight/formats/shared/label_maps.py.
- class-index masks (L, I;16, P): the pixel value is the class; `Config.ignore_index` (255) is void.
- palette PNGs: the palette index is the class; with no label map, a VOC palette names the classes.
- colour (RGB) masks: each colour is mapped through the label map's colours; unknown colours are a
  finding with their pixel counts.
One `mask` label per (image, class present): pixel count in `area`, area_pct = area / (W*H) * 100 of
the mask, x, y, w, h the class's bounding box in the mask.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from insight.config import Config
from insight.errors import DatasetError
from insight.formats.protocol import FormatReader
from insight.detection import LIKELY, SURE, UNSURE, Detection
from insight.formats.shared import label_maps as lm
from insight.formats.shared.files import missing_image_findings
from insight.bounds import NOT_OPENED, Bounds, merged
from insight.formats.shared.files import remote_source
from insight.formats.shared.image_headers import read_sizes
from insight.formats.shared.tables import ignored_symlink_folders
from insight.formats.masks.layout import SURE_MASK_DIRS, Layout, Pair, find_layout, voc_splits
from insight.formats.masks.pairing import has_images, pair_source, sample_pairs
from insight.formats.masks.scan import COLOR, INDEX, MaskCounts, scan_masks
from insight.model import Dataset, Finding, Severity
from insight.progress import Progress, no_progress

NAME = "masks"
TASK = "segmentation"
TOP_UNKNOWN = 10  # unknown values/colours listed in a finding


def detect(root: Path) -> Detection:
    layout = find_layout(Path(root))
    if layout is None:
        return Detection.no("no mask folder (masks/, labels/, SegmentationClass/, annotations/, gtFine/, "
                            "*annot/ holding PNG files)")
    first = layout.sources[0]
    where = first.mask_dir.relative_to(root) if Path(root) in first.mask_dir.parents else first.mask_dir
    if layout.kind == "beside":
        return Detection(SURE, f"{where}/ holds x_mask.png masks beside their images (Roboflow semantic "
                               "segmentation export)")
    looked, paired = sample_pairs(layout)
    if layout.kind == "config":
        return Detection(SURE, f"a config names mask folders ({where}/)")
    if layout.kind == "ade20k":
        return Detection(SURE, "x_seg.png masks beside their images (ADE20K full release)")
    if paired and paired * 2 >= looked:
        return Detection(SURE, f"{where}/ holds masks whose names match the images'")
    if first.mask_dir.name.lower() in SURE_MASK_DIRS or layout.kind == "camvid":
        return Detection(LIKELY, f"{where}/ is a mask folder, but few masks match an image by name")
    if looked and not paired and first.image_dir is not None and has_images(first.image_dir):
        return Detection(UNSURE, f"{where}/ holds PNG files, but none matches an image in {first.image_dir.name}/")
    return Detection(LIKELY, f"{where}/ holds PNG masks")


class _Fold:
    """What the mask scan leaves, never a pixel array: each mask's size, one row of integers per
    (mask, key) kept in blocks (int32, the pixel count int64: memory grows with the labels only), and
    the problems met. Keys fit int32: 16-bit and 32-bit ("I") values, colours packed as 0xRRGGBB."""

    COLUMNS = ("pair", "encoding", "key", "x0", "y0", "x1", "y1", "area")  # encoding: 0 index, 1 colour
    BLOCK = 1024  # masks whose rows are joined into one block

    def __init__(self, n: int):
        self.width = np.full(n, -1, np.int64)
        self.height = np.full(n, -1, np.int64)
        self.palette: tuple[int, ...] | None = None
        self.encodings: Counter = Counter()
        self.unreadable: list[str] = []
        self.first_color: str | None = None  # the first colour-coded mask, named when no colour map reads it
        self._blocks: list[np.ndarray] = []
        self._pending: list[np.ndarray] = []

    def add(self, i: int, result: MaskCounts) -> None:
        if result.error:
            self.unreadable.append(f"{result.path}: {result.error}")
            return
        self.width[i], self.height[i] = result.width, result.height
        self.encodings[result.encoding] += 1
        if result.encoding == COLOR and self.first_color is None:
            self.first_color = result.path
        if result.palette and self.palette is None:
            self.palette = result.palette
        block = np.empty((result.keys.size, len(self.COLUMNS) - 1), np.int32)  # area apart, as int64
        block[:, 0], block[:, 1], block[:, 2] = i, int(result.encoding == COLOR), result.keys
        block[:, 3:7] = result.boxes
        self._pending.append((block, result.counts.astype(np.int64)))
        if len(self._pending) >= self.BLOCK:
            self._join_pending()

    def _join_pending(self) -> None:
        if self._pending:
            self._blocks.append((np.concatenate([b for b, _ in self._pending]),
                                 np.concatenate([a for _, a in self._pending])))
            self._pending = []

    def size(self, i: int) -> tuple[int, int] | None:
        return (int(self.width[i]), int(self.height[i])) if i < self.width.size and self.width[i] >= 0 else None

    def table(self) -> pd.DataFrame:
        """The rows as a table; the blocks are handed over (a fold gives its table once)."""
        self._join_pending()
        parts, self._blocks = self._blocks, []
        rows = np.concatenate([b for b, _ in parts]) if parts else np.zeros((0, len(self.COLUMNS) - 1), np.int32)
        area = np.concatenate([a for _, a in parts]) if parts else np.zeros(0, np.int64)
        del parts
        table = pd.DataFrame({name: rows[:, j] for j, name in enumerate(self.COLUMNS[:-1])} | {"area": area})
        del rows
        table["encoding"] = pd.Categorical.from_codes(table["encoding"].to_numpy(), [INDEX, COLOR])
        return table


def load(root: Path, config: Config = Config(), progress: Progress = no_progress) -> Dataset:
    given = Path(root)
    root = Path(os.path.abspath(given))  # file paths come out absolute and are made relative to ROOT
    layout = find_layout(root)
    if layout is None:
        raise DatasetError(detect(given).reason, given)
    pairs, lonely, symlinked = _pairs(layout)
    pairs, lonely, bounded, refused = _bounded(root, pairs, lonely, Bounds.of(root, config.follow_outside))
    if not pairs:
        skipped = f" (symlinked folders are not entered: {', '.join(symlinked[:3])})" if symlinked else ""
        raise DatasetError("no mask files found in " + ", ".join(_rel(s.mask_dir, root) for s in layout.sources)
                           + skipped, given)
    label_map = _declared_map(layout, config, pairs)
    fold = _scan(pairs, label_map, config, progress, layout)
    if not fold.encodings:
        raise DatasetError(f"no mask could be read (first: {_rel_example(fold.unreadable[0], root)})", given)
    raw = fold.table()
    label_map = _final_map(label_map, fold, raw, config)
    images, findings = _images(root, pairs, lonely, fold, progress, config, refused)
    findings = bounded + findings + ignored_symlink_folders(symlinked, "mask and image folders")
    ids = images["image_id"].to_numpy()[: len(pairs)]
    images = images.drop_duplicates("image_id", keep="first").reset_index(drop=True)
    groups, map_findings, notes = _labels(raw, label_map, config)
    del raw  # the labels table is built without it
    labels = _label_table(pairs, ids, fold, groups)
    del groups
    notes = list(layout.notes) + [f"classes from {_rel(label_map.source, root)}"] + notes
    has_files = bool(images.pop("has_file").any()) if len(images) else False
    return Dataset(root=str(given), task=TASK, format=NAME, classes=label_map.names, images=images,
                   labels=labels, health=tuple(findings + map_findings), notes=tuple(notes),
                   has_image_files=has_files,
                   extras={"mask_layout": layout.kind, NOT_OPENED: [_rel(p, root) for p in sorted(refused)]},
                   background=lm.background_of(label_map))


def _bounded(root: Path, pairs: list[Pair], lonely: list[Pair], bounds: Bounds):
    """Masks and images that lead outside the dataset or are no regular file are not opened
    (insight/bounds.py). A pair whose mask is refused keeps its image as an image without a mask; an
    image refused keeps its row (its mask is in the dataset), unopened. Returns the pairs, the lonely
    images, the findings and the refused image paths."""
    masks = bounds.screen([p.mask for p in pairs])
    images = [p.image for p in pairs + lonely if p.image is not None]
    screened = bounds.screen(images)
    refused = frozenset(images[i] for i in screened.refused)
    findings = merged([*masks.findings(lambda i: _rel(pairs[i].mask, root), "mask files"),
                       *screened.findings(lambda i: _rel(images[i], root), "image files")])
    if not masks.refused:
        return pairs, lonely, findings, refused
    dropped = set(masks.refused)
    kept = [p for i, p in enumerate(pairs) if i not in dropped]
    lonely = list(lonely) + [Pair(p.split, None, p.image) for i, p in enumerate(pairs) if i in dropped and p.image]
    return kept, lonely, findings, refused


def _pairs(layout: Layout) -> tuple[list[Pair], list[Pair], list[str]]:
    """The pairs, the lonely images and the symlinked folders not entered (relative to ROOT, once each)."""
    fixed = voc_splits(layout.root) if layout.kind == "voc" else None
    pairs, lonely, symlinked = [], [], []
    for source in layout.sources:
        p, lo = pair_source(source, layout.root, layout.cityscapes_kind, fixed or None, symlinked)
        pairs += p
        lonely += lo
    return pairs, lonely, sorted({_rel(s, layout.root) + "/" for s in symlinked})



def _declared_map(layout: Layout, config: Config, pairs: list[Pair]) -> lm.LabelMap | None:
    """--classes, else a label-map file beside the masks, else a built-in for the layout (or None)."""
    ade_void = frozenset({0}) if layout.kind == "ade20k" else frozenset()  # ADE20K: 0 is unlabeled
    if config.classes_file:
        return _with_void(lm.read_label_map(Path(config.classes_file)), ade_void)
    found = lm.find_label_map(layout.label_map_dirs)
    if found is not None:
        return _with_void(lm.read_label_map(found), ade_void)
    if layout.kind == "ade20k":
        jsons = [Path(p.mask[:-len("_seg.png")] + ".json") for p in pairs]
        return _with_void(lm.ade20k_json_names([j for j in jsons if j.is_file()]), ade_void)
    if layout.kind == "cityscapes":
        return lm.cityscapes_label_map(train_ids=layout.cityscapes_kind == "labelTrainIds")
    if layout.kind == "voc":  # VOC's colours name RGB masks; a palette is checked after the scan
        return replace(lm.voc_label_map(), by_value={})
    if layout.kind == "camvid":
        return replace(lm.camvid_label_map(), by_value={})  # CamVid's colours; index masks stay numbered
    return None


def _with_void(label_map: lm.LabelMap | None, void: frozenset[int]) -> lm.LabelMap:
    label_map = label_map or lm.LabelMap((), source="the mask values (no label map found: classes are named by value)")
    return replace(label_map, void_values=label_map.void_values | void) if void else label_map


def _scan(pairs: list[Pair], label_map: lm.LabelMap | None, config: Config, progress: Progress,
          layout: Layout) -> _Fold:
    rgb_as_color = bool(label_map and label_map.has_colors)
    decode = "ade20k" if layout.kind == "ade20k" else "raw"
    if any(p.mask.endswith("_gtFine_instanceIds.png") for p in pairs[:1]):
        decode = "cityscapes_instance"
    fold = _Fold(len(pairs))
    for i, result in enumerate(scan_masks([p.mask for p in pairs], rgb_as_color, decode, config.workers, progress,
                                                   config.executor, remote_source(config))):
        fold.add(i, result)
    return fold


def _final_map(label_map, fold: _Fold, raw: pd.DataFrame, config: Config) -> lm.LabelMap:
    """The declared map, or one made from what the masks hold: a VOC palette, else their values."""
    void = {config.ignore_index} | set(label_map.void_values if label_map else ())
    index_keys = sorted(set(raw.loc[raw["encoding"] == INDEX, "key"].tolist()) - void)
    if fold.encodings[COLOR] and not (label_map and label_map.has_colors):
        raise DatasetError("colour (RGB) masks need a colour-to-class map: label_colors.txt, labelmap.txt "
                           "(name:r,g,b::), class_dict.csv or dataset_meta.json with segmentation_colors",
                           fold.first_color)
    if label_map is not None and (label_map.by_value or not fold.encodings[INDEX]):
        return label_map
    if fold.palette and lm.palette_is_voc(list(fold.palette), index_keys):
        return lm.voc_label_map()
    entries = [(k, str(k), None) for k in index_keys]
    numbered = lm.from_entries(entries, "the mask values (no label map found: classes are named by value)")
    return replace(numbered, void_values=frozenset(void - {config.ignore_index}))


def _images(root: Path, pairs, lonely, fold: _Fold, progress, config,
            refused: frozenset[str] = frozenset()) -> tuple[pd.DataFrame, list[Finding]]:
    """One row per pair, then per lonely image (a mask without an image stands for its image); size
    from the image header, else the mask's (an image in `refused` is not opened). Not yet deduplicated."""
    all_pairs = list(pairs) + list(lonely)
    has_file = np.array([p.image is not None for p in all_pairs], dtype=bool)
    read = has_file & np.array([p.image not in refused for p in all_pairs], dtype=bool)
    sizes = read_sizes([p.image for p, r in zip(all_pairs, read) if r], config.workers, progress,
                       config.executor, source=remote_source(config))
    header_w, header_h = np.full(len(all_pairs), np.nan), np.full(len(all_pairs), np.nan)
    header_w[read], header_h[read] = sizes.width, sizes.height
    mask_w, mask_h = _mask_sizes(fold, len(all_pairs))
    unknown = np.isnan(header_w)
    width, height = np.where(unknown, mask_w, header_w), np.where(unknown, mask_h, header_h)
    rel = [_rel(p.image if p.image is not None else p.mask, root) for p in all_pairs]  # the id is the path
    images = pd.DataFrame({"image_id": rel, "split": [p.split for p in all_pairs], "path": rel,
                           "width": width, "height": height, "has_file": has_file})
    findings = _pair_findings(root, pairs, lonely, fold, header_w, header_h, sizes.failed)
    return images, findings


def _mask_sizes(fold: _Fold, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's mask size (NaN for a lonely image or a mask that could not be read)."""
    w, h = np.full(n, np.nan), np.full(n, np.nan)
    read = np.flatnonzero(fold.width >= 0)
    w[read], h[read] = fold.width[read], fold.height[read]
    return w, h


def _pair_findings(root, pairs, lonely, fold: _Fold, header_w, header_h, failed) -> list[Finding]:
    out = []
    if fold.unreadable:
        out.append(Finding("mask_unreadable", Severity.ERROR, len(fold.unreadable),
                           examples=[_rel_example(e, root) for e in fold.unreadable]))
    if failed:
        out.append(Finding("unreadable_image", Severity.ERROR, len(failed),
                           examples=[f"{_rel(p, root)}: {why}" for p, why in failed]))
    n = len(pairs)
    mask_w, mask_h = _mask_sizes(fold, n)
    differ = ~np.isnan(mask_w) & ~np.isnan(header_w[:n]) & ((mask_w != header_w[:n]) | (mask_h != header_h[:n]))
    mismatched = [f"{_rel(pairs[i].mask, root)} is {int(mask_w[i])}x{int(mask_h[i])}, "
                  f"{_rel(pairs[i].image, root)} is {int(header_w[i])}x{int(header_h[i])}" for i in np.flatnonzero(differ)]
    if mismatched:
        out.append(Finding("mask_size_mismatch", Severity.ERROR, len(mismatched), examples=mismatched))
    found = np.array([p.image is not None for p in pairs] + [True] * len(lonely), dtype=bool)
    if not found.all():  # paths made relative only here (relpath costs 10 us a file)
        paths = ["" if p.image is not None else _rel(p.mask, root) for p in pairs] + [""] * len(lonely)
        sources = [] if found.any() else list(dict.fromkeys(os.path.dirname(p) + "/" for p in paths if p))
        out += missing_image_findings(paths, [p.split for p in pairs + list(lonely)], found, sources)
    if lonely:
        out.append(Finding("image_without_mask", Severity.WARNING, len(lonely),
                           examples=[_rel(p.image, root) for p in lonely]))
    return out


def _labels(raw: pd.DataFrame, label_map: lm.LabelMap, config: Config):
    """The (mask, class) groups of the scan's rows (see _per_mask_and_class), the findings on unknown
    keys (with pixel counts) and a note on void keys, which are dropped."""
    cls = _classes_of(raw, label_map)
    void = _is_void(raw, label_map, config)
    unknown = pd.isna(cls) & ~void.to_numpy()
    findings = _unknown_findings(raw[unknown])
    notes = []
    if void.any():
        values = sorted(set(raw.loc[void & (raw["encoding"] == INDEX), "key"]))
        colors = sorted(set(raw.loc[void & (raw["encoding"] == COLOR), "key"]))
        what = ", ".join([str(v) for v in values] + [lm.color_text(c) for c in colors])
        notes.append(f"{int(raw.loc[void, 'area'].sum()):,} void pixels (mask value {what}) are not counted "
                     "as a class")
    keep = ~void.to_numpy() & ~unknown
    return _per_mask_and_class(raw, cls, keep), findings, notes


def _label_table(pairs, ids: np.ndarray, fold: _Fold, groups) -> pd.DataFrame:
    """The labels table from _labels' groups: one mask row per (image, class)."""
    pair, names, box, area = groups
    split_of = np.array([p.split for p in pairs], dtype=object)
    return pd.DataFrame({
        "image_id": ids[pair], "split": split_of[pair], "class": names, "kind": np.full(len(pair), "mask", object),
        "x": box[:, 0].astype(float), "y": box[:, 1].astype(float),
        "w": (box[:, 2] - box[:, 0] + 1).astype(float), "h": (box[:, 3] - box[:, 1] + 1).astype(float),
        "area": area.astype(float), "area_pct": area * 100.0 / (fold.width[pair] * fold.height[pair]),
    }, copy=False)


def _per_mask_and_class(raw: pd.DataFrame, cls: np.ndarray, keep: np.ndarray):
    """The kept rows of one (mask, class) joined (several values or colours can name one class): per
    group, in (mask, class name) order, the mask, the class name, the union box x0 y0 x1 y1 and the
    pixel sum. numpy reductions over one sort (a pandas groupby needs several times the memory)."""
    codes, names = pd.factorize(cls[keep], sort=True)
    pair = raw["pair"].to_numpy()[keep]
    order = np.lexsort((codes, pair))
    pair, codes = pair[order], codes[order]
    group = pair * (len(names) + 1) + codes
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(group) else np.zeros(0, np.intp)
    if not len(starts):
        return np.zeros(0, np.int64), np.zeros(0, object), np.zeros((0, 4), np.int64), np.zeros(0, np.int64)
    rows = np.flatnonzero(keep)[order]
    box = np.empty((len(starts), 4), np.int64)
    for j, (column, reduce) in enumerate((("x0", np.minimum), ("y0", np.minimum), ("x1", np.maximum),
                                          ("y1", np.maximum))):
        box[:, j] = reduce.reduceat(raw[column].to_numpy()[rows], starts)
    area = np.add.reduceat(raw["area"].to_numpy()[rows], starts)
    return pair[starts], np.asarray(names, dtype=object)[codes[starts]], box, area


def _classes_of(raw: pd.DataFrame, label_map: lm.LabelMap) -> np.ndarray:
    """The class name of each row (None where the map has no entry): a lookup per distinct key."""
    keys = raw["key"].to_numpy()
    colour = (raw["encoding"] == COLOR).to_numpy()
    out = np.full(len(keys), None, dtype=object)
    for rows, names in ((~colour, label_map.by_value), (colour, label_map.by_color)):
        if rows.any():
            distinct, inverse = np.unique(keys[rows], return_inverse=True)
            out[rows] = np.array([names.get(int(k)) for k in distinct] + [None], dtype=object)[:-1][inverse]
    return out


def _is_void(raw: pd.DataFrame, label_map: lm.LabelMap, config: Config) -> pd.Series:
    index_void = raw["key"].isin(set(label_map.void_values) | {config.ignore_index})
    color_void = raw["key"].isin(set(label_map.void_colors))
    return (index_void & (raw["encoding"] == INDEX)) | (color_void & (raw["encoding"] == COLOR))


def _unknown_findings(unknown: pd.DataFrame) -> list[Finding]:
    out = []
    for encoding, code in ((INDEX, "mask_unknown_value"), (COLOR, "mask_unknown_color")):
        part = unknown[unknown["encoding"] == encoding]
        if part.empty:
            continue
        per_key = part.groupby("key").agg(pixels=("area", "sum"), masks=("pair", "nunique"))
        per_key = per_key.sort_values("pixels", ascending=False)
        shown = [{"value": lm.color_text(int(k)) if encoding == COLOR else int(k),
                  "pixels": int(r.pixels), "masks": int(r.masks)} for k, r in per_key.head(TOP_UNKNOWN).iterrows()]
        out.append(Finding(code, Severity.WARNING, int(part["pair"].nunique()),
                           values={"keys": shown, "distinct": int(len(per_key)), "pixels": int(part["area"].sum())},
                           examples=[str(s["value"]) for s in shown]))
    return out


def _rel(path, root: Path) -> str:
    """A path relative to ROOT (with `..` when outside it); a description that is no path stays as is."""
    text = str(path)
    if not os.path.isabs(text):
        return text
    return Path(os.path.relpath(text, root)).as_posix()


def _rel_example(example: str, root: Path) -> str:
    path, _, why = example.partition(": ")
    return f"{_rel(path, root)}: {why}"


READER = FormatReader(NAME, TASK, ("segmentation",), detect, load)
