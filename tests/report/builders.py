"""Tiny `Insight` objects built by hand for the report tests and for looking at the pages.

Numbers are worked out by hand from docs/numbers.md where they matter:
pets: dog/cat/bird/fish = 123/110/53/11, N = 297, K = 4: cutoff = ceil(0.75 * 297 / 4) =
ceil(55.69) = 56; bird 53 < 56 but >= 28 is mild, fish 11 < 28 is serious. Labels to add: bird needs
x with 53 + x >= ceil(0.75 (297 + x) / 4): x = 4 gives 57 >= ceil(56.44) = 57; fish: x = 55 gives
66 >= ceil(66.0) = 66 (x = 54: 65 < ceil(65.81) = 66).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from insight.model.findings import Finding
from insight.model.insight import (ClassCount, CurveDiagnosis, DatasetSummary, Insight, MetricSummary,
                                   Representation, SplitSize)

PETS = {"dog": (98, 25), "cat": (88, 22), "bird": (42, 11), "fish": (9, 2)}  # (train, val)
PETS_TIERS = {"dog": ("well", 0), "cat": ("well", 0), "bird": ("mild", 4), "fish": ("serious", 55)}
PETS_CUTOFF = 56
XSS_NAME = "<script>alert(1)</script>"
TEMPLATE_NAME = "{{7*7}}"


def finding(code: str, severity: str, message: str, count: int = 1, examples=(), epoch=None,
            **values) -> Finding:
    return Finding(code=code, severity=severity, count=count, values=values, examples=tuple(examples),
                   epoch=epoch, message=message)


def representation(counts: dict[str, tuple[int, ...]], tiers: dict[str, tuple[str, int]], cutoff: int,
                   splits=("train", "val"), verdict: str = "Add labels to fish first.") -> Representation:
    total = sum(sum(c) for c in counts.values())
    classes = tuple(ClassCount(name=n, count=sum(c), share_pct=100 * sum(c) / total, tier=tiers[n][0],
                               to_add=tiers[n][1], by_split=dict(zip(splits, c)))
                    for n, c in counts.items())
    return Representation(cutoff=cutoff, total=total, cutoff_factor=0.75, serious_factor=0.5,
                          count_of="images", classes=classes,
                          verdict=finding("class_verdict", "warning", verdict),
                          split_findings=(finding("val_share_differs", "warning",
                                                  "fish makes up 3.8 % of train but 3.3 % of val."),))


def dataset(classes, splits: dict[str, tuple[int, int]], path="/data/pets") -> DatasetSummary:
    return DatasetSummary(path=path, task="classification", format="class_folders", classes=tuple(classes),
                          splits={s: SplitSize(images=i, labels=n) for s, (i, n) in splits.items()})


def curve_table(epochs: int = 30, names=("loss",), nonfinite: bool = False,
                metrics=("accuracy",)) -> pd.DataFrame:
    """A plausible run: losses fall like 2 exp(-x/8) + 0.2 (val a bit higher, rising after 20),
    metrics rise towards 0.9; smoothed is a 3-point rolling mean (the diagnosis fills its own)."""
    rows = []
    x = np.arange(1, epochs + 1, dtype=float)
    for k, name in enumerate(names):
        train = (2.0 - 0.4 * k) * np.exp(-x / 8) + 0.2
        val = train + 0.1 + 0.02 * np.clip(x - 20, 0, None) + 0.03 * np.sin(x)
        if nonfinite and name == names[0]:
            train[5], val[12], val[13] = math.nan, math.inf, math.nan
        for split, values in (("train", train), ("val", val)):
            smooth = pd.Series(values).rolling(3, min_periods=1).mean().to_numpy()
            rows += [{"x": xi, "split": split, "name": name, "value": v, "smoothed": s}
                     for xi, v, s in zip(x, values, smooth)]
    for name in metrics:
        for split, scale in (("train", 0.95), ("val", 0.88)):
            values = scale * (1 - np.exp(-x / 6)) - 0.01 * np.clip(x - 24, 0, None)
            rows += [{"x": xi, "split": split, "name": name, "value": v, "smoothed": math.nan}
                     for xi, v in zip(x, values)]
    return pd.DataFrame(rows, columns=["x", "split", "name", "value", "smoothed"])


def curves(table: pd.DataFrame | None = None, losses=("loss",), scenario="C") -> CurveDiagnosis:
    table = curve_table(names=losses) if table is None else table
    metrics = []
    for name in sorted(set(table["name"])):
        for split in ("train", "val"):
            part = table[(table["name"] == name) & (table["split"] == split)]
            finite = part[np.isfinite(part["value"])]
            higher = name not in losses
            best = finite.loc[finite["value"].idxmax() if higher else finite["value"].idxmin()]
            metrics.append(MetricSummary(name=name, split=split, best=float(best["value"]),
                                         best_epoch=float(best["x"]), last=float(part["value"].iloc[-1]),
                                         higher_is_better=higher))
    return CurveDiagnosis(
        format="ultralytics_csv", source="/runs/pets/results.csv", scenario=scenario,
        findings=(finding("best_epoch_early", "info", "Validation loss was best at epoch 18 of 30.",
                          epoch=18.0),
                  finding("not_converged", "warning", "Both losses were still falling at the end.")),
        metrics=tuple(metrics), rule="Validation loss rose 21 % above its minimum (GL = 21 > 5).",
        advice="Add data augmentation and check the class balance in the insight summary.",
        smoothing="exponential moving average, alpha 0.3", losses=tuple(losses), table=table)


def health() -> tuple[Finding, ...]:
    return (finding("image_unreadable", "error", "2 image files could not be decoded.", count=2,
                    examples=["train/dog/broken.jpg", "val/cat/empty.png"]),
            finding("images_without_labels", "info", "3 images have no label.", count=3),
            finding("duplicate_across_splits", "warning",
                    "4 images appear in both train and val: validation loss reads lower than it should.",
                    count=4, examples=["train/dog/a.jpg = val/dog/a.jpg"]))


def pets_insight(**overrides) -> Insight:
    counts = {n: c for n, c in PETS.items()}
    fields = dict(insight_version="0.1.0", generated="2026-11-22", generated_at="2026-11-22T12:00:00Z",
                  dataset=dataset(PETS, {"train": (237, 237), "val": (60, 60)}),
                  representation=representation(counts, PETS_TIERS, PETS_CUTOFF),
                  health=health(), curves=curves())
    fields.update(overrides)
    return Insight(**fields)


def curves_error_insight() -> Insight:
    return pets_insight(curves=None, curves_error="results.csv: no train or val loss column found")


def detection_curves_insight() -> Insight:
    """Three loss components plus a total, with NaN/inf values and a loss that blows up."""
    names = ("loss", "box_loss", "cls_loss", "dfl_loss")
    table = curve_table(epochs=60, names=names, nonfinite=True, metrics=("mAP50", "mAP50_95", "precision",
                                                                           "recall"))
    blow = (table["name"] == "cls_loss") & (table["x"] > 50)
    table.loc[blow, "value"] = table.loc[blow, "value"] * 10 ** (table.loc[blow, "x"] - 50)
    table.loc[blow, "smoothed"] = table.loc[blow, "value"]
    return pets_insight(curves=curves(table, losses=names, scenario="B"))


def many_classes_insight(k: int = 80) -> Insight:
    """k classes with counts 5 + 3i (i = 0..k-1), 80 % train / 20 % val (rounded down for val)."""
    names = [f"class_{i:02d}_{'long' * (i % 3)}" for i in range(k)]
    counts = {n: (5 + 3 * i - (5 + 3 * i) // 5, (5 + 3 * i) // 5) for i, n in enumerate(names)}
    total = sum(sum(c) for c in counts.values())
    cutoff = math.ceil(0.75 * total / k)
    tiers = {}
    for n, c in counts.items():
        count = sum(c)
        tier = "well" if count >= cutoff else "mild" if count >= 0.5 * cutoff else "serious"
        to_add = next(x for x in range(10 ** 6) if count + x >= math.ceil(0.75 * (total + x) / k))
        tiers[n] = (tier, to_add)
    images = {s: (sum(c[j] for c in counts.values()),) * 2 for j, s in enumerate(("train", "val"))}
    return pets_insight(dataset=dataset(names, images, path="/data/many"),
                        representation=representation(counts, tiers, cutoff))


def hostile_insight() -> Insight:
    """Class names and messages that must come out escaped and never evaluated."""
    counts = {XSS_NAME: (10, 3), TEMPLATE_NAME: (8, 2), "ok": (5, 1)}
    tiers = {XSS_NAME: ("well", 0), TEMPLATE_NAME: ("well", 0), "ok": ("mild", 2)}
    hostile = (finding("image_unreadable", "error", f"{XSS_NAME} could not be read {TEMPLATE_NAME}",
                       examples=[f"train/{XSS_NAME}/x.jpg"]),)
    return pets_insight(dataset=dataset(counts, {"train": (23, 23), "val": (6, 6)}),
                        representation=representation(counts, tiers, 8, verdict=f"Add {TEMPLATE_NAME}"),
                        health=hostile)
