"""Class representation (DESIGN.md §3.1): label counts per class, the cutoff, tiers and labels to add.

Pure functions of a Dataset's tables. Counts are taken over all splits together (the images a user can
add to) and also reported per split.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd

from insight.config import Config
from insight.model import Dataset, Finding, Severity
from insight.model.insight import ClassCount, Representation

WELL, MILD, SERIOUS = "well", "mild", "serious"
TIER_ORDER = (SERIOUS, MILD, WELL)
# A class's val share "differs" from its train share when the gap exceeds this fraction of the larger share.
SPLIT_SHARE_TOLERANCE = Fraction(1, 2)

COUNT_OF = {
    "classification": "images",
    "multilabel": "images with the class",
    "detection": "boxes",
    "segmentation": "images containing the class",
}


def label_counts(ds: Dataset) -> pd.DataFrame:
    """Class x split table of label counts, every declared class present (zeros included).

    Boxes count one each; tags and masks count the images that carry the class (a class with three
    instance masks in one image counts once).
    """
    classes, splits = list(ds.classes), ds.splits
    cls, split = ds.label_codes("class"), ds.label_codes("split")
    if ds.task != "detection":
        first = ~ds.labels.duplicated(["image_id", "class"]).to_numpy()
        cls, split = cls[first], split[first]
    # one bincount over (class, split) codes
    known = (cls >= 0) & (split >= 0)
    counts = np.bincount(cls[known] * len(splits) + split[known], minlength=len(classes) * len(splits))
    return pd.DataFrame(counts.reshape(len(classes), len(splits)), index=pd.Index(classes, name="class"),
                        columns=pd.Index(splits, name="split"), dtype="int64")


def cutoff(total: int, n_classes: int, factor: float) -> int:
    """ceil(factor * N / K), computed exactly (0.75 is 3/4, not 0.75000000001)."""
    return math.ceil(_exact(factor) * total / n_classes)


def tier(count: int, cut: int, serious_factor: float) -> str:
    if count == 0 or count < _exact(serious_factor) * cut:
        return SERIOUS
    return WELL if count >= cut else MILD


def labels_to_add(count: int, total: int, n_classes: int, factor: float) -> int:
    """Smallest x with count + x >= ceil(factor * (total + x) / K): the cutoff rises as labels are added.

    As count + x is an integer, the condition is count + x >= f (N + x) / K, i.e.
    x >= (f N - K count) / (K - f).
    """
    f = _exact(factor)
    if count >= cutoff(total, n_classes, factor) and count > 0:
        return 0
    if n_classes <= f:  # one class with factor 1: the class is every label there is
        return 0 if count > 0 else 1
    x = max(0, math.ceil((f * total - n_classes * count) / (n_classes - f)))
    return max(x, 1) if count == 0 else x


def representation(ds: Dataset, config: Config = Config()) -> Representation:
    counts = label_counts(ds)
    per_class = counts.sum(axis=1)
    total, k = int(per_class.sum()), len(ds.classes)
    cut = cutoff(total, k, config.cutoff_factor) if k else 0
    rows = tuple(
        ClassCount(name=name, count=int(per_class[name]),
                   share=float(per_class[name] / total) if total else 0.0,
                   tier=tier(int(per_class[name]), cut, config.serious_factor),
                   to_add=labels_to_add(int(per_class[name]), total, k, config.cutoff_factor),
                   by_split={s: int(counts.at[name, s]) for s in counts.columns})
        for name in ds.classes)
    return Representation(cutoff=cut, total=total, cutoff_factor=config.cutoff_factor,
                          serious_factor=config.serious_factor, count_of=COUNT_OF[ds.task],
                          classes=rows, verdict=verdict(rows), split_findings=tuple(split_checks(counts)))


def verdict(rows: tuple[ClassCount, ...]) -> Finding:
    """'balanced', or which classes to fix first (serious, then mild, fewest labels first)."""
    to_fix = {t: [{"name": r.name, "count": r.count, "to_add": r.to_add}
                  for r in sorted(rows, key=lambda r: (r.count, r.name)) if r.tier == t]
              for t in (SERIOUS, MILD)}
    if not to_fix[SERIOUS] and not to_fix[MILD]:
        return Finding("balanced", Severity.INFO, len(rows))
    severity = Severity.WARNING
    return Finding("underrepresented", severity, len(to_fix[SERIOUS]) + len(to_fix[MILD]),
                   values={"serious": to_fix[SERIOUS], "mild": to_fix[MILD],
                           "total_to_add": sum(r["to_add"] for t in to_fix.values() for r in t)})


def split_checks(counts: pd.DataFrame) -> list[Finding]:
    """A class absent from val, or whose val share is far from its train share (DESIGN.md §3.1)."""
    if "train" not in counts.columns or "val" not in counts.columns:
        return [Finding("no_validation_split", Severity.WARNING, 1,
                        values={"splits": list(counts.columns)})]
    train, val = counts["train"], counts["val"]
    findings = []
    missing = [c for c in counts.index if train[c] > 0 and val[c] == 0]
    if missing:
        findings.append(Finding("class_missing_from_val", Severity.WARNING, len(missing),
                                values={"classes": missing}, examples=missing))
    if train.sum() and val.sum():
        shifted = []
        for c in counts.index:
            ts, vs = Fraction(int(train[c]), int(train.sum())), Fraction(int(val[c]), int(val.sum()))
            if c not in missing and abs(ts - vs) > SPLIT_SHARE_TOLERANCE * max(ts, vs):
                shifted.append({"name": c, "train_share": float(ts), "val_share": float(vs)})
        if shifted:
            findings.append(Finding("split_share_mismatch", Severity.WARNING, len(shifted),
                                    values={"classes": shifted}, examples=[s["name"] for s in shifted]))
    return findings


def _exact(value: float) -> Fraction:
    return Fraction(str(value))
