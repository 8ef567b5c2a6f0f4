"""Data-health checks on a Dataset's tables, for every task (docs/numbers.md, "Data health").

`check_dataset(ds)` returns findings about the tables themselves: boxes with no area, boxes outside
their image, NaN or infinite values, images with no label, declared classes never used. What a
loader found while reading (files that do not parse, class ids outside the declared classes, label
files without an image, ...) is already in `ds.health`; report/build.py shows both.

Pure: reads only the tables, never a file. Each finding has a count, per-split counts in
`values["by_split"]` and up to five example files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from insight.model import Dataset, Finding, Severity
from insight.model.findings import MAX_EXAMPLES

NAMED_CLASSES = 20  # unused classes named in the finding; the rest are counted
OUTSIDE_TOLERANCE_PX = 1.0  # a box may overhang its image by this much (rounding) before it is a finding
_COORDS = ("x", "y", "w", "h")
_MISSING = {"classification": "class", "multilabel": "positive tag", "detection": "box",
            "segmentation": "mask"}  # what an unlabelled image has none of


def check_dataset(ds: Dataset) -> list[Finding]:
    sizes = _ImageSizes.of(ds)
    kind = ds.labels["kind"].to_numpy()
    found = [
        _non_finite(ds, sizes, kind != "tag"),
        _zero_size(ds, sizes, kind == "box"),
        _outside(ds, sizes, kind == "box"),
        _unlabelled(ds),
        _never_used(ds),
    ]
    return [f for f in found if f is not None]


class _ImageSizes:
    """Per label row: its image's row, width and height (NaN where unknown), as arrays: a joined copy
    of the labels table would cost its size twice over at 900,000 boxes."""

    def __init__(self, row: np.ndarray, width: np.ndarray, height: np.ndarray):
        self.row, self.width, self.height = row, width, height

    @classmethod
    def of(cls, ds: Dataset) -> "_ImageSizes":
        row = ds.label_image_rows()  # every label has its image: Dataset validation sees to it
        return cls(row, ds.images["width"].to_numpy(dtype=float)[row],
                   ds.images["height"].to_numpy(dtype=float)[row])


def _column(ds: Dataset, name: str) -> np.ndarray:
    return ds.labels[name].to_numpy(dtype=float)


def _non_finite(ds: Dataset, sizes: _ImageSizes, geometric: np.ndarray) -> Finding | None:
    """Box and mask values that are infinite, or NaN where the image size is known.

    A box read from normalised YOLO values has no pixel values when its image size is unknown; that
    NaN is "unknown", not bad data, and area_pct is still given.
    """
    size_known = ~np.isnan(sizes.width) & ~np.isnan(sizes.height)
    coords = [_column(ds, c) for c in _COORDS]
    area, area_pct = _column(ds, "area"), _column(ds, "area_pct")
    bad = np.zeros(len(geometric), dtype=bool)
    for values in coords + [area, area_pct]:
        bad |= np.isinf(values)
    for values in coords:
        bad |= np.isnan(values) & size_known
    bad |= np.isnan(area_pct) & ~np.isnan(area) & size_known
    return _finding("non_finite_values", Severity.ERROR, bad & geometric, ds, sizes)


def _zero_size(ds: Dataset, sizes: _ImageSizes, boxes: np.ndarray) -> Finding | None:
    bad = (_column(ds, "w") <= 0) | (_column(ds, "h") <= 0)
    return _finding("box_zero_size", Severity.WARNING, bad & boxes, ds, sizes)


def _outside(ds: Dataset, sizes: _ImageSizes, boxes: np.ndarray) -> Finding | None:
    tol = OUTSIDE_TOLERANCE_PX
    x, y, w, h = (_column(ds, c) for c in _COORDS)
    bad = (x < -tol) | (y < -tol) | (x + w > sizes.width + tol) | (y + h > sizes.height + tol)
    return _finding("box_outside_image", Severity.WARNING, bad & boxes, ds, sizes, tolerance_px=tol)


def _unlabelled(ds: Dataset) -> Finding | None:
    images = ds.images[~ds.images["image_id"].isin(ds.labels["image_id"])]
    if images.empty:
        return None
    severity = Severity.INFO if ds.task in ("detection", "multilabel", "segmentation") else Severity.WARNING
    return Finding("images_without_labels", severity, len(images),
                   values={"task": ds.task, "missing": _MISSING[ds.task],
                           "by_split": _by_split(images, ds), "total_images": len(ds.images)},
                   examples=tuple(images["path"].astype(str).head(MAX_EXAMPLES)))


def _never_used(ds: Dataset) -> Finding | None:
    codes = ds.label_codes("class")
    used = np.bincount(codes[codes >= 0], minlength=len(ds.classes)) > 0
    unused = [c for c, u in zip(ds.classes, used) if not u and c not in ds.background]
    if not unused:
        return None
    return Finding("class_never_used", Severity.WARNING, len(unused),
                   values={"classes": unused[:NAMED_CLASSES], "more": max(0, len(unused) - NAMED_CLASSES),
                           "declared": len(ds.classes)})


def _finding(code: str, severity: Severity, bad: np.ndarray, ds: Dataset, sizes: _ImageSizes,
             **values) -> Finding | None:
    if not bad.any():
        return None
    rows = ds.labels.loc[bad, ["image_id", "split", "kind"]]
    paths = ds.images["path"].to_numpy(dtype=object)[sizes.row[bad]]
    examples = tuple(dict.fromkeys(str(p) for p in paths[:MAX_EXAMPLES * 50]))[:MAX_EXAMPLES]
    return Finding(code, severity, len(rows),
                   values={"by_split": _by_split(rows, ds), "kind": _kinds(rows), **values},
                   examples=examples)


def _by_split(rows: pd.DataFrame, ds: Dataset) -> dict[str, int]:
    counts = rows["split"].value_counts()
    return {s: int(counts[s]) for s in ds.splits if s in counts.index}


def _kinds(rows: pd.DataFrame) -> str:
    kinds = sorted(rows["kind"].astype(str).unique())
    return kinds[0] if len(kinds) == 1 else "label"
