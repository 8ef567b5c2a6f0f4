"""Class representation (docs/numbers.md): label counts per class, the cutoff, tiers and labels to add.

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

# The one definition of a label count per task: every count of labels (representation, insight.json
# `dataset.splits.*.labels`, the report) is this one. Background classes are never counted.
COUNT_OF = {
    "classification": "images",
    "multilabel": "images with the class",
    "detection": "boxes",
    "segmentation": "images containing the class",
}


def label_counts(ds: Dataset) -> pd.DataFrame:
    """Class x split table of label counts over the classes to represent (declared order, zeros
    included; background classes left out).

    Boxes count one each, crowd boxes included; tags and masks count the images that carry the class
    (a class with three instance masks in one image counts once).
    """
    classes, splits = list(ds.classes), ds.splits
    cls, split = ds.label_codes("class"), ds.label_codes("split")
    if ds.task != "detection":
        first = ~ds.labels.duplicated(["image_id", "class"]).to_numpy()
        cls, split = cls[first], split[first]
    # one bincount over (class, split) codes
    known = (cls >= 0) & (split >= 0)
    counts = np.bincount(cls[known] * len(splits) + split[known], minlength=len(classes) * len(splits))
    table = pd.DataFrame(counts.reshape(len(classes), len(splits)), index=pd.Index(classes, name="class"),
                         columns=pd.Index(splits, name="split"), dtype="int64")
    return table.loc[list(ds.represented)] if ds.background else table


def label_counts_by_split(ds: Dataset) -> dict[str, int]:
    """Split -> label count (COUNT_OF for the task), every split present: the sum of label_counts."""
    return {str(s): int(n) for s, n in label_counts(ds).sum(axis=0).items()}


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
    total, k = int(per_class.sum()), len(ds.represented)
    cut = cutoff(total, k, config.cutoff_factor) if k else 0
    rows = tuple(
        ClassCount(name=name, count=int(per_class[name]),
                   share_pct=float(100 * per_class[name] / total) if total else 0.0,
                   tier=tier(int(per_class[name]), cut, config.serious_factor),
                   to_add=labels_to_add(int(per_class[name]), total, k, config.cutoff_factor),
                   by_split={s: int(counts.at[name, s]) for s in counts.columns})
        for name in ds.represented)
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


SPLIT_SHARE_MIN_COUNT = 10
"""A class's val share is compared with its train share only when its val count, or the count its
train share predicts for val (train share x val labels), is at least this. Drawn from one distribution,
a class's val count is close to Poisson: with 10 expected, half or less (<= 5) happens by chance 7 % of
the time (and double or more 0.3 %); with 5 expected, half or less happens 12 % of the time, so a
finding there would mostly be noise."""


def split_checks(counts: pd.DataFrame) -> list[Finding]:
    """Missing train or val splits; classes absent from val, or present in val but not in train; a val
    share far from the train share (docs/numbers.md, split checks)."""
    missing = [s for s in ("train", "val") if s not in counts.columns]
    if missing:
        found = list(counts.columns)
        return [Finding("no_validation_split" if s == "val" else "no_training_split", Severity.WARNING, 1,
                        values={"splits": found}) for s in reversed(missing)]
    train, val = counts["train"], counts["val"]
    findings = []
    for code, here, absent in (("class_missing_from_val", train, val), ("class_missing_from_train", val, train)):
        names = [c for c in counts.index if here[c] > 0 and absent[c] == 0]
        if names:
            findings.append(Finding(code, Severity.WARNING, len(names), values={"classes": names}, examples=names))
    shifted = _share_shifts(train, val)
    if shifted:
        findings.append(Finding("split_share_mismatch", Severity.WARNING, len(shifted),
                                values={"classes": shifted, "min_count": SPLIT_SHARE_MIN_COUNT},
                                examples=[s["name"] for s in shifted]))
    return findings


def _share_shifts(train: pd.Series, val: pd.Series) -> list[dict]:
    """Classes in both splits whose val share differs from the train share by more than
    SPLIT_SHARE_TOLERANCE of the larger share, among those with SPLIT_SHARE_MIN_COUNT labels to go by."""
    train_total, val_total = int(train.sum()), int(val.sum())
    if not train_total or not val_total:
        return []
    shifted = []
    for c in train.index:
        t, v = int(train[c]), int(val[c])
        if not t or not v:
            continue  # a class missing from a split has its own finding
        ts, vs = Fraction(t, train_total), Fraction(v, val_total)
        if max(v, ts * val_total) < SPLIT_SHARE_MIN_COUNT:
            continue
        if abs(ts - vs) > SPLIT_SHARE_TOLERANCE * max(ts, vs):
            shifted.append({"name": c, "train_share": float(ts), "val_share": float(vs),
                            "train": t, "val": v})
    return shifted


def _exact(value: float) -> Fraction:
    return Fraction(str(value))
