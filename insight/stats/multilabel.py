"""Multi-label statistics, per split: labels per image and how often the most common classes co-occur.

Pure functions of a Dataset's tables. A label is a `tag` row (one per image and positive class; a class
repeated for one image counts once). The co-occurrence matrix uses the same top classes (most images
over all splits, then name) in every split, so train and val can be compared cell by cell; its diagonal
is the number of images with the class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from insight.model import Dataset
from insight.model.insight import Histogram, bins

PER_IMAGE_BINS = ("0", "1", "2", "3", "4", "5-9", ">=10")
PER_IMAGE_RANGES = bins(PER_IMAGE_BINS, ((0, 0, "both"), (1, 1, "both"), (2, 2, "both"), (3, 3, "both"),
                                         (4, 4, "both"), (5, 9, "both"), (10, None, "left")))
TOP_CLASSES = 15  # classes in the co-occurrence matrix


@dataclass(frozen=True)
class CoOccurrence:
    """counts[i][j]: images of the split with both classes[i] and classes[j] positive."""

    classes: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class MultiLabelStats:
    images: int
    labels: int
    mean_labels_per_image: float | None
    labels_per_image: Histogram
    cooccurrence: CoOccurrence


def per_image_bin(n: np.ndarray) -> np.ndarray:
    n = np.asarray(n, dtype=int)
    return np.select([n <= 4, n <= 9], [n, 5], default=6)


def tags(ds: Dataset) -> pd.DataFrame:
    """image_id, split, class: one row per image and positive class."""
    rows = ds.labels[ds.labels["kind"] == "tag"][["image_id", "split", "class"]]
    return rows.drop_duplicates(["image_id", "class"])


def top_classes(ds: Dataset, k: int = TOP_CLASSES) -> tuple[str, ...]:
    counts = tags(ds)["class"].value_counts()
    ranked = sorted(ds.classes, key=lambda c: (-int(counts.get(c, 0)), c))
    return tuple(ranked[:k])


def cooccurrence(rows: pd.DataFrame, classes: tuple[str, ...]) -> CoOccurrence:
    """X.T @ X over the image x class indicator of `classes`."""
    rows = rows[rows["class"].isin(classes)]
    if rows.empty:
        zero = tuple(tuple(0 for _ in classes) for _ in classes)
        return CoOccurrence(classes, zero)
    indicator = pd.crosstab(rows["image_id"], rows["class"]).reindex(columns=list(classes), fill_value=0)
    x = (indicator.to_numpy() > 0).astype(np.int64)
    both = x.T @ x
    return CoOccurrence(classes, tuple(tuple(int(v) for v in row) for row in both))


def split_stats(ds: Dataset, split: str, classes: tuple[str, ...]) -> MultiLabelStats:
    rows = tags(ds)
    rows = rows[rows["split"] == split]
    image_ids = ds.images.loc[ds.images["split"] == split, "image_id"]
    per_image = rows["image_id"].value_counts().reindex(image_ids, fill_value=0).to_numpy()
    counts = np.bincount(per_image_bin(per_image), minlength=len(PER_IMAGE_BINS)) if per_image.size \
        else np.zeros(len(PER_IMAGE_BINS), int)
    return MultiLabelStats(
        images=int(per_image.size),
        labels=int(len(rows)),
        mean_labels_per_image=float(per_image.mean()) if per_image.size else None,
        labels_per_image=Histogram(PER_IMAGE_RANGES, tuple(int(c) for c in counts)),
        cooccurrence=cooccurrence(rows, classes),
    )


def multilabel_stats(ds: Dataset) -> dict[str, MultiLabelStats]:
    """split -> MultiLabelStats, splits in reading order."""
    classes = top_classes(ds)
    return {split: split_stats(ds, split, classes) for split in ds.splits}
