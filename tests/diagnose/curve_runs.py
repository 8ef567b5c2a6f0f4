"""Tiny hand-checkable runs for the curve-diagnosis tests, and an independent smoother to check against."""

from __future__ import annotations

import math
import statistics

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


def noise_by_hand(values: list[float]) -> float:
    """The documented noise measure written out again in plain Python: on the log scale (all values here are
    positive), each point's distance to the median of its two neighbours either side; the lower quartile of
    those distances (linear interpolation between order statistics, as numpy's default), divided by
    0.318639 (the quartile of |standard normal|) and by 1.139 (the spread of x - median of 4 neighbours)."""
    logs = [math.log(v) for v in values]
    dist = sorted(abs(logs[i] - statistics.median([logs[i - 2], logs[i - 1], logs[i + 1], logs[i + 2]]))
                  for i in range(2, len(logs) - 2))
    pos = 0.25 * (len(dist) - 1)
    lo = int(pos)
    quartile = dist[lo] + (pos - lo) * (dist[min(lo + 1, len(dist) - 1)] - dist[lo])
    return quartile / 0.318639 / 1.139


def end_line_by_hand(values: list[float]) -> tuple[float, float]:
    """(relative fall, slope) of the least-squares line through log(values), with statistics.linear_regression."""
    logs = [math.log(v) for v in values]
    slope, _ = statistics.linear_regression(range(len(logs)), logs)
    return 1 - math.exp(slope * (len(logs) - 1)), slope
