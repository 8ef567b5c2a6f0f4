"""Tiny hand-checkable runs for the curve-diagnosis tests, and an independent smoother to check against."""

from __future__ import annotations

import math

from insight.model.run import Run, metrics_frame

NAN = float("nan")
INF = float("inf")


def run_of(series: dict[str, list[float]], x: dict[str, list[float]] | None = None, start: int = 1,
           axis: str = "epoch") -> Run:
    """A Run from {"train/loss": [...], "val/mAP50": [...]}: value i is at epoch start + i (or at the
    x given for that key). axis="step" leaves the epoch column empty."""
    rows = []
    for key, values in series.items():
        split, name = key.split("/", 1)
        xs = (x or {}).get(key) or [start + i for i in range(len(values))]
        for xi, value in zip(xs, values):
            rows.append({"step": int(xi), "epoch": float(xi) if axis == "epoch" else None, "split": split,
                         "name": name, "value": value, "source": key})
    return Run("test", "inline", metrics_frame(rows))


def smooth_by_hand(values: list[float], sigma: float = 0.5) -> list[float]:
    """The documented smoother written out again: each finite point becomes the mean of its finite
    neighbours within 3 sigma, weighted exp(-k^2 / (2 sigma^2))."""
    radius = max(1, math.ceil(3 * sigma))
    out = []
    for i, v in enumerate(values):
        if not math.isfinite(v):
            out.append(NAN)
            continue
        num = den = 0.0
        for k in range(-radius, radius + 1):
            j = i + k
            if 0 <= j < len(values) and math.isfinite(values[j]):
                w = math.exp(-k * k / (2 * sigma * sigma))
                num, den = num + w * values[j], den + w
        out.append(num / den)
    return out
