"""Mask statistics (DESIGN.md §3.3), per split and class: how much of each image a class covers.

Pure functions of a Dataset's tables. For every image of a split and every declared class, area_pct is
the share of the image the class's mask rows cover (instance rows of one class in one image are added
up, capped at 100). An image without the class is a zero-mask and falls in the `0` bin. `images` counts
the images whose class area is above zero; the mean and median are taken over those images only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from insight.model import Dataset
from insight.model.insight import Histogram

STEP = 5  # bin width in percent of the image
AREA_BINS = ("0", "(0,5)") + tuple(f"[{a},{a + STEP})" for a in range(STEP, 100 - STEP, STEP)) + ("[95,100]",)


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


def area_per_image_class(ds: Dataset) -> pd.DataFrame:
    """One row per (image, class) with mask rows: image_id, split, class, area_pct (summed, capped at 100)."""
    masks = ds.labels[ds.labels["kind"] == "mask"]
    if masks.empty:
        return pd.DataFrame({"image_id": [], "split": [], "class": [], "area_pct": []})
    grouped = masks.groupby(["image_id", "split", "class"], sort=False)["area_pct"].sum(min_count=1)
    out = grouped.reset_index()
    out["area_pct"] = out["area_pct"].clip(upper=100.0)
    return out


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
        area_pct=Histogram(bins=AREA_BINS, counts=tuple(int(c) for c in counts)),
    )


def mask_stats(ds: Dataset) -> dict[str, dict[str, MaskClassStats]]:
    """split -> class -> MaskClassStats, every declared class in declared order, splits in reading order."""
    per_pair = area_per_image_class(ds)
    images_per_split = ds.images["split"].value_counts()
    out: dict[str, dict[str, MaskClassStats]] = {}
    for split in ds.splits:
        n_images = int(images_per_split.get(split, 0))
        rows = per_pair[per_pair["split"] == split]
        by_class = {c: g["area_pct"].to_numpy(dtype=float) for c, g in rows.groupby("class", sort=False)}
        out[split] = {c: class_stats(by_class.get(c, np.zeros(0)), n_images) for c in ds.classes}
    return out
