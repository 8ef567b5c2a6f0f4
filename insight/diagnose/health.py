"""Data-health checks on a Dataset's tables, for every task (DESIGN.md §3.4).

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
    labels = _with_image_size(ds)
    found = [
        _non_finite(ds, labels),
        _zero_size(ds, labels),
        _outside(ds, labels),
        _unlabelled(ds),
        _never_used(ds),
    ]
    return [f for f in found if f is not None]


def _with_image_size(ds: Dataset) -> pd.DataFrame:
    sizes = ds.images.set_index("image_id")[["width", "height", "path"]]
    sizes.columns = ["image_width", "image_height", "image_path"]
    return ds.labels.join(sizes, on="image_id")


def _non_finite(ds: Dataset, labels: pd.DataFrame) -> Finding | None:
    """Box and mask values that are infinite, or NaN where the image size is known.

    A box read from normalised YOLO values has no pixel values when its image size is unknown; that
    NaN is "unknown", not bad data, and area_pct is still given.
    """
    geometric = labels[labels["kind"] != "tag"]
    values = geometric[list(_COORDS) + ["area", "area_pct"]].to_numpy(dtype=float)
    size_known = (geometric["image_width"].notna() & geometric["image_height"].notna()).to_numpy()
    bad = np.isinf(values).any(axis=1)
    bad |= np.isnan(values[:, :4]).any(axis=1) & size_known
    bad |= np.isnan(values[:, 5]) & ~np.isnan(values[:, 4]) & size_known
    return _finding("non_finite_values", Severity.ERROR, geometric[bad], ds)


def _zero_size(ds: Dataset, labels: pd.DataFrame) -> Finding | None:
    boxes = labels[labels["kind"] == "box"]
    bad = (boxes["w"] <= 0) | (boxes["h"] <= 0)
    return _finding("box_zero_size", Severity.WARNING, boxes[bad], ds)


def _outside(ds: Dataset, labels: pd.DataFrame) -> Finding | None:
    boxes = labels[labels["kind"] == "box"]
    tol = OUTSIDE_TOLERANCE_PX
    bad = ((boxes["x"] < -tol) | (boxes["y"] < -tol)
           | (boxes["x"] + boxes["w"] > boxes["image_width"] + tol)
           | (boxes["y"] + boxes["h"] > boxes["image_height"] + tol))
    return _finding("box_outside_image", Severity.WARNING, boxes[bad], ds, tolerance_px=tol)


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
    used = set(ds.labels["class"].astype(str).unique())
    unused = [c for c in ds.classes if c not in used]
    if not unused:
        return None
    return Finding("class_never_used", Severity.WARNING, len(unused),
                   values={"classes": unused[:NAMED_CLASSES], "more": max(0, len(unused) - NAMED_CLASSES),
                           "declared": len(ds.classes)})


def _finding(code: str, severity: Severity, rows: pd.DataFrame, ds: Dataset, **values) -> Finding | None:
    if rows.empty:
        return None
    examples = tuple(dict.fromkeys(rows["image_path"].astype(str)))[:MAX_EXAMPLES]
    return Finding(code, severity, len(rows),
                   values={"by_split": _by_split(rows, ds), "kind": _kinds(rows), **values},
                   examples=examples)


def _by_split(rows: pd.DataFrame, ds: Dataset) -> dict[str, int]:
    counts = rows["split"].value_counts()
    return {s: int(counts[s]) for s in ds.splits if s in counts.index}


def _kinds(rows: pd.DataFrame) -> str:
    kinds = sorted(rows["kind"].astype(str).unique())
    return kinds[0] if len(kinds) == 1 else "label"
