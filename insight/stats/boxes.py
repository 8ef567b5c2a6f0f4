"""Box statistics (docs/numbers.md, boxes), per split: the same pure function runs on each split's tables.

- area_pct = box area / image area * 100, DeepQ bins [0,0.16) [0.16,1.44) [1.44,2.56) [2.56,10.24)
  [10.24,40.96) [40.96,100] (closed on the left; above 100 goes to the last bin, and the box is a
  health finding); boxes whose image size is unknown are counted apart (`area_pct_unknown`).
- COCO size from the box's pixel area w*h: small < 32^2, medium < 96^2, large >= 96^2, unknown when
  pixels are unknown. (COCO's own evaluation uses the segment `area`; for boxes w*h is what we have.)
- aspect ratio w / h, bins <0.25 ... >=4; a box with w <= 0 or h <= 0 or unknown pixels has none
  (counted in `aspect_unknown`).
- boxes per image, bins 0 1 2 3 4 5-9 >=10; images without a box count in 0.
- per class: boxes, images containing the class, quantiles of area_pct and aspect ratio.
Crowd boxes (COCO iscrowd = 1) are boxes like any other in every number (they are labels in the class
counts too); `crowd` says how many of them are crowd.
Never opens a file; imports neither matplotlib nor jinja2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from insight.model import Dataset
from insight.model.insight import Histogram, bins

AREA_EDGES = (0.16, 1.44, 2.56, 10.24, 40.96)
AREA_BINS = ("[0, 0.16)", "[0.16, 1.44)", "[1.44, 2.56)", "[2.56, 10.24)", "[10.24, 40.96)", "[40.96, 100]")
ASPECT_EDGES = (0.25, 0.5, 0.67, 0.8, 1.25, 1.5, 2.0, 4.0)
ASPECT_BINS = ("<0.25", "[0.25, 0.5)", "[0.5, 0.67)", "[0.67, 0.8)", "[0.8, 1.25)", "[1.25, 1.5)",
               "[1.5, 2)", "[2, 4)", ">=4")
PER_IMAGE_EDGES = (1, 2, 3, 4, 5, 10)
PER_IMAGE_BINS = ("0", "1", "2", "3", "4", "5-9", ">=10")
COCO_SMALL, COCO_MEDIUM = 32 ** 2, 96 ** 2
COCO_BINS = ("small", "medium", "large", "unknown")
# The same bins as numbers (insight.json): below 0 joins the first area bin and above 100 the last (a
# health finding says so); the unknown COCO size has no range.
AREA_RANGES = bins(AREA_BINS, tuple(zip((0,) + AREA_EDGES, AREA_EDGES + (100,), ("left",) * 5 + ("both",))))
ASPECT_RANGES = bins(ASPECT_BINS, ((None, 0.25, "neither"),) + tuple(zip(ASPECT_EDGES, ASPECT_EDGES[1:], ("left",) * 7))
                     + ((4.0, None, "left"),))
PER_IMAGE_RANGES = bins(PER_IMAGE_BINS, ((0, 0, "both"), (1, 1, "both"), (2, 2, "both"), (3, 3, "both"),
                                         (4, 4, "both"), (5, 9, "both"), (10, None, "left")))
COCO_RANGES = bins(COCO_BINS, ((0, COCO_SMALL, "left"), (COCO_SMALL, COCO_MEDIUM, "left"), (COCO_MEDIUM, None, "left"),
                               (None, None, "neither")))
QUANTILES = (0.0, 0.05, 0.5, 0.95, 1.0)
_DECIMALS = 9


@dataclass(frozen=True)
class Quantiles:
    """min, p5, median, p95, max (None when there are no values)."""

    min: float | None
    p5: float | None
    median: float | None
    p95: float | None
    max: float | None


@dataclass(frozen=True)
class ClassBoxStats:
    name: str
    boxes: int  # boxes of the class, crowd boxes included
    images: int  # images containing at least one such box
    crowd: int  # how many of `boxes` are crowd
    area_pct: Quantiles
    aspect_ratio: Quantiles
    per_image: Quantiles  # boxes of the class per image that contains it


@dataclass(frozen=True)
class BoxStats:
    """One split: insight.json `boxes.SPLIT` (docs/json.md)."""

    count: int  # boxes, crowd boxes included
    area_pct: Histogram
    aspect_ratio: Histogram
    per_image: Histogram
    images: int
    crowd: int  # how many of `count` are crowd
    area_pct_unknown: int  # boxes whose image size is unknown
    aspect_unknown: int  # boxes with no pixel size or w <= 0 or h <= 0
    coco_size: Histogram
    quantiles: dict[str, Quantiles]  # area_pct, aspect_ratio, per_image
    per_class: tuple[ClassBoxStats, ...]


def box_stats(ds: Dataset) -> dict[str, BoxStats]:
    """Split -> BoxStats, splits in report order; every declared class appears in per_class.

    Splits and image rows are looked up once for all boxes (one hash pass each over ~900,000 rows
    at COCO scale), then each split is a boolean selection."""
    is_box = (ds.labels["kind"] == "box").to_numpy()
    every = is_box.all()
    boxes = ds.labels if every else ds.labels[is_box]
    split_code = ds.label_codes("split") if every else ds.label_codes("split")[is_box]
    class_code = ds.label_codes("class") if every else ds.label_codes("class")[is_box]
    image_row = ds.label_image_rows() if every else ds.label_image_rows()[is_box]
    image_split = ds.images["split"].to_numpy()
    out = {}
    for k, split in enumerate(ds.splits):
        rows = np.flatnonzero(image_split == split)
        local = np.full(len(image_split) + 1, -1, np.int64)  # global image row -> row in the split
        local[rows] = np.arange(len(rows))
        selected = split_code == k
        part = boxes if selected.all() else boxes[selected]
        out[split] = split_box_stats(part, ds.images["image_id"].iloc[rows], ds.classes,
                                     image_index=local[image_row[selected]], class_code=class_code[selected])
    return out


def split_box_stats(boxes: pd.DataFrame, image_ids: pd.Series, classes,
                    image_index: np.ndarray | None = None, class_code: np.ndarray | None = None) -> BoxStats:
    """Statistics of one split's box rows; `image_ids` lists every image of the split.
    `image_index` (optional) is each box's row in `image_ids`, -1 for none, and `class_code` its
    class's position in `classes`, when already known.
    Crowd boxes count like any other and are also counted apart; columns are read as arrays (no copy
    of the table)."""
    crowd_mask = _crowd(boxes)
    area, w, h = (boxes[name].to_numpy(dtype=float) for name in ("area_pct", "w", "h"))
    aspect = aspect_ratio(w, h)
    classes_of = boxes["class"].to_numpy()
    if image_index is None:
        image_index = pd.Index(image_ids).get_indexer(boxes["image_id"])  # -1: not an image of the split
    per_image = np.bincount(image_index[image_index >= 0], minlength=len(image_ids)).astype(float)
    known_area = area[~np.isnan(area)]
    known_aspect = aspect[~np.isnan(aspect)]
    table = pd.DataFrame({"class": pd.Series(classes_of, dtype=object, copy=False),
                          "image": image_index, "area_pct": area, "aspect_ratio": aspect}, copy=False)
    return BoxStats(
        count=len(area),
        area_pct=Histogram(AREA_RANGES, area_counts(known_area)),
        aspect_ratio=Histogram(ASPECT_RANGES, aspect_counts(known_aspect)),
        per_image=Histogram(PER_IMAGE_RANGES, per_image_counts(per_image)),
        images=len(image_ids),
        crowd=int(crowd_mask.sum()),
        area_pct_unknown=int(np.isnan(area).sum()),
        aspect_unknown=int(np.isnan(aspect).sum()),
        coco_size=Histogram(COCO_RANGES, coco_size_counts(w * h)),
        quantiles={"area_pct": quantiles(known_area), "aspect_ratio": quantiles(known_aspect),
                   "per_image": quantiles(per_image)},
        per_class=per_class(table, boxes.loc[crowd_mask, "class"], classes, class_code),
    )


def _crowd(boxes: pd.DataFrame) -> np.ndarray:
    if "iscrowd" not in boxes.columns:
        return np.zeros(len(boxes), dtype=bool)
    return boxes["iscrowd"].fillna(0).to_numpy().astype(bool)


def aspect_ratio(w: np.ndarray, h: np.ndarray) -> np.ndarray:
    """w / h; NaN where either is unknown or not positive."""
    valid = (w > 0) & (h > 0)
    out = np.full(len(w), np.nan)
    out[valid] = w[valid] / h[valid]
    return out


def area_counts(area_pct: np.ndarray) -> tuple[int, ...]:
    """Counts in the six area_pct bins; below 0 joins the first bin, above 100 the last."""
    return _binned(area_pct, AREA_EDGES)


def aspect_counts(ratio: np.ndarray) -> tuple[int, ...]:
    return _binned(ratio, ASPECT_EDGES)


def per_image_counts(per_image: np.ndarray) -> tuple[int, ...]:
    return _binned(per_image, PER_IMAGE_EDGES)


def coco_size_counts(pixel_area: np.ndarray) -> tuple[int, ...]:
    known = pixel_area[~np.isnan(pixel_area)]
    small = int((known < COCO_SMALL).sum())
    medium = int(((known >= COCO_SMALL) & (known < COCO_MEDIUM)).sum())
    return small, medium, int((known >= COCO_MEDIUM).sum()), int(np.isnan(pixel_area).sum())


def _binned(values: np.ndarray, edges) -> tuple[int, ...]:
    """Bins closed on the left: edges (e1, e2, ...) give (-inf, e1) [e1, e2) ... [ek, inf).

    Values are rounded to 9 decimals first, so 0.04 * 0.04 * 100 (0.15999999999999998 in floating
    point) counts as the 0.16 it stands for.
    """
    rounded = np.round(np.asarray(values, dtype=float), _DECIMALS)
    index = np.searchsorted(np.asarray(edges, dtype=float), rounded, side="right")
    return tuple(int(c) for c in np.bincount(index, minlength=len(edges) + 1))


def boxes_per_image(box_image_ids: pd.Series, image_ids: pd.Series) -> np.ndarray:
    """Boxes per image for every image of the split (0 for an image without boxes)."""
    index = pd.Index(image_ids).get_indexer(box_image_ids)
    return np.bincount(index[index >= 0], minlength=len(image_ids)).astype(float)


def quantiles(values: np.ndarray) -> Quantiles:
    if len(values) == 0:
        return Quantiles(None, None, None, None, None)
    q = np.quantile(np.asarray(values, dtype=float), QUANTILES)
    return Quantiles(*(float(v) for v in q))


def per_class(table: pd.DataFrame, crowd_classes: pd.Series, classes,
              class_code: np.ndarray | None = None) -> tuple[ClassBoxStats, ...]:
    """One entry per declared class, in declared order (vectorised: one sort, no per-class scan)."""
    crowd = crowd_classes.value_counts()
    cls = (pd.Categorical(table["class"], categories=list(classes)).codes if class_code is None
           else class_code).astype(np.int64)  # class * images + image below must not overflow
    image = table["image"].to_numpy() if "image" in table else pd.factorize(table["image_id"])[0]
    order = np.argsort(cls, kind="stable")
    bounds = np.searchsorted(cls[order], np.arange(len(classes) + 1))
    area = table["area_pct"].to_numpy(dtype=float)[order]
    aspect = table["aspect_ratio"].to_numpy(dtype=float)[order]
    pairs, per_pair = np.unique(cls * (int(image.max(initial=0)) + 1) + image, return_counts=True)
    pair_class = pairs // (int(image.max(initial=0)) + 1)
    pair_bounds = np.searchsorted(pair_class, np.arange(len(classes) + 1))
    out = []
    for k, name in enumerate(classes):
        a, b = bounds[k], bounds[k + 1]
        counts = per_pair[pair_bounds[k]:pair_bounds[k + 1]].astype(float)
        class_area, class_aspect = area[a:b], aspect[a:b]
        out.append(ClassBoxStats(name=str(name), boxes=int(b - a), images=len(counts),
                                 crowd=int(crowd.get(name, 0)),
                                 area_pct=quantiles(class_area[~np.isnan(class_area)]),
                                 aspect_ratio=quantiles(class_aspect[~np.isnan(class_aspect)]),
                                 per_image=quantiles(counts)))
    return tuple(out)
