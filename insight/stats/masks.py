"""Mask statistics (docs/numbers.md, masks), per split and class: how much of each image a class covers.

Pure functions of a Dataset's tables. For every image of a split and every declared class, area_pct is
the share of the image the class's mask rows cover (instance rows of one class in one image are added
up, capped at 100). An image without the class is a zero-mask and falls in the `0` bin. `images` counts
the images whose class area is above zero; the mean and median are taken over those images only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from insight.model import Dataset
from insight.model.insight import Histogram, bins

STEP = 5  # bin width in percent of the image
AREA_BINS = ("0", "(0,5)") + tuple(f"[{a},{a + STEP})" for a in range(STEP, 100 - STEP, STEP)) + ("[95,100]",)
AREA_RANGES = bins(AREA_BINS, ((0, 0, "both"), (0, STEP, "neither"))
                   + tuple((a, a + STEP, "left") for a in range(STEP, 100 - STEP, STEP)) + ((100 - STEP, 100, "both"),))


@dataclass(frozen=True)
class MaskClassStats:
    """insight.json `masks.SPLIT.CLASS`: images containing the class, mean and median area_pct where
    present (None when absent from the split), and the area_pct histogram over every image of the split."""

    images: int
    mean_area_pct: float | None
    median_area_pct: float | None
    area_pct: Histogram


def area_bin(pct: np.ndarray) -> np.ndarray:
    """Bin index in AREA_BINS: 0 for 0, 1 for (0,5), then one per 5 %, and 100 in the last bin."""
    pct = np.clip(np.asarray(pct, dtype=float), 0.0, 100.0)
    index = np.where(pct <= 0, 0, 1 + np.floor(pct / STEP).astype(int))
    return np.minimum(index, len(AREA_BINS) - 1)


def area_per_image_class(ds: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(image row, class position, area_pct summed over the rows of that pair and capped at 100), one
    entry per (image, class) with mask rows: numpy on the Dataset's label codes, no table copy."""
    mask = (ds.labels["kind"] == "mask").to_numpy()
    image = ds.label_image_rows()[mask].astype(np.int64)
    cls = ds.label_codes("class")[mask].astype(np.int64)
    area = ds.labels["area_pct"].to_numpy(dtype=float)[mask]
    known = cls >= 0
    image, cls, area = image[known], cls[known], area[known]
    pairs, inverse = np.unique(image * max(len(ds.classes), 1) + cls, return_inverse=True)
    missing = np.bincount(inverse, weights=np.isnan(area), minlength=len(pairs)) == \
        np.bincount(inverse, minlength=len(pairs))  # every row of the pair has no area: NaN, as min_count=1
    summed = np.bincount(inverse, weights=np.nan_to_num(area), minlength=len(pairs))
    summed = np.where(missing, np.nan, np.minimum(summed, 100.0))
    k = max(len(ds.classes), 1)
    return pairs // k, pairs % k, summed


def class_stats(present: np.ndarray, n_images: int) -> MaskClassStats:
    """Statistics of one class in one split from the area_pct of the images that have its mask rows."""
    present = present[~np.isnan(present)]
    counts = np.bincount(area_bin(present), minlength=len(AREA_BINS))
    positive = present[present > 0]
    counts[0] += n_images - present.size
    return MaskClassStats(
        images=int(positive.size),
        mean_area_pct=float(positive.mean()) if positive.size else None,
        median_area_pct=float(np.median(positive)) if positive.size else None,
        area_pct=Histogram(bins=AREA_RANGES, counts=tuple(int(c) for c in counts)),
    )


def mask_stats(ds: Dataset) -> dict[str, dict[str, MaskClassStats]]:
    """split -> class -> MaskClassStats, every declared class in declared order, splits in reading order."""
    image, cls, area = area_per_image_class(ds)
    image_split = ds.images["split"].to_numpy()
    pair_split = image_split[image] if len(image) else np.zeros(0, object)
    images_per_split = ds.images["split"].value_counts()
    out: dict[str, dict[str, MaskClassStats]] = {}
    for split in ds.splits:
        n_images = int(images_per_split.get(split, 0))
        here = pair_split == split
        split_cls, split_area = cls[here], area[here]
        order = np.argsort(split_cls, kind="stable")
        bounds = np.searchsorted(split_cls[order], np.arange(len(ds.classes) + 1))
        ordered = split_area[order]
        out[split] = {c: class_stats(ordered[bounds[k]:bounds[k + 1]], n_images) for k, c in enumerate(ds.classes)}
    return out
