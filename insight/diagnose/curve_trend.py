"""Trends judged over a window, with a noise-aware test; and train and val brought to one cadence.

- `trend` fits a least-squares line through a window of a curve (its logarithm for a positive curve,
  against the x values, so unevenly spaced points weigh by where they lie) and says how much the line
  falls over the window and how many standard errors its slope lies below zero. The noise is the
  curve's own point-to-point noise (smoothing.noise) when the curve is long enough to measure it, else
  the scatter of the window's points around the line: a few points that jump about make no trend.
- `aligned` puts a training and a validation curve logged at different cadences (the train loss every
  N steps, the val loss every epoch) on the sparser one's x values: each point of the denser curve is
  averaged into the first point of the sparser one at or after it, so both read the same stretch of
  the run before they are compared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from insight.diagnose.curve_rules import CurveThresholds, pct
from insight.diagnose.smoothing import noise


@dataclass(frozen=True)
class Trend:
    fall: float  # relative fall of the fitted line over the window (negative: it rose)
    z: float  # slope in standard errors below 0 (positive: falling; inf when the noise is 0)
    points: int  # points in the window
    since: float  # x of the window's first point

    def falls(self, t: CurveThresholds, by: float = 0.0) -> bool:
        """The line falls by at least `by` and by more than the noise explains (z >= trend_z)."""
        return self.fall >= by and self.z >= t.trend_z

    def rises(self, t: CurveThresholds, by: float = 0.0) -> bool:
        return -self.fall >= by and -self.z >= t.trend_z


def trend(x: np.ndarray, y: np.ndarray, t: CurveThresholds, points: int | None = None) -> Trend:
    """The line through the last `points` finite points (all of them by default)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = np.isfinite(y)
    x, y = x[keep], y[keep]
    k = min(x.size, points or x.size)
    x, y = x[x.size - k:], y[y.size - k:]
    if k < 2 or x[-1] == x[0]:
        return Trend(0.0, 0.0, k, float(x[0]) if k else math.nan)
    positive = bool(np.all(y > 0))
    v = np.log(y) if positive else y / max(float(np.mean(np.abs(y))), 1e-300)
    dx = x - x.mean()
    slope = float(np.sum(dx * v) / np.sum(dx * dx))
    span = float(x[-1] - x[0])
    fall = pct(1 - math.exp(slope * span)) if positive else pct(-slope * span)
    sd = _noise(y, v, dx, slope, t)
    se = sd / math.sqrt(float(np.sum(dx * dx)))
    z = -slope / se if se > 0 else (math.inf if slope < 0 else -math.inf if slope > 0 else 0.0)
    return Trend(fall, z, k, float(x[0]))


def _noise(y: np.ndarray, v: np.ndarray, dx: np.ndarray, slope: float, t: CurveThresholds) -> float:
    """The curve's measured noise, or with too few points for that, the residual sd around the line."""
    if y.size >= t.noise_min_points:
        return noise(y)
    if y.size < 3:
        return 0.0
    residual = v - v.mean() - slope * dx
    return float(math.sqrt(np.sum(residual ** 2) / (y.size - 2)))


def window_points(n: int, t: CurveThresholds) -> int:
    """Points of an end window: the last end_share of the run, at least min_points (at most n)."""
    return min(n, max(t.min_points, int(math.ceil(t.end_share * n))))


def end_points(n: int, t: CurveThresholds) -> int:
    """Points of the end window a level is read over: the last end_share, at least min_window."""
    return min(n, max(t.min_window, int(math.ceil(t.end_share * n))))


def end_level(y: np.ndarray, t: CurveThresholds) -> float:
    """The level a curve ends at: the mean of its end window's finite values (the last point alone is
    one noisy draw)."""
    y = np.asarray(y, float)
    y = y[np.isfinite(y)]
    return float(np.mean(y[-end_points(y.size, t):])) if y.size else math.nan


def aligned(a_x: np.ndarray, a_y: np.ndarray, b_x: np.ndarray, b_y: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, a, b) on the x values of the sparser curve (the one with fewer points). The denser curve's
    points are averaged into the first sparser x at or after them; points after the sparser curve's last
    x are left out, and a sparser point with no denser point before it is dropped."""
    a_x, a_y, b_x, b_y = (np.asarray(v, float) for v in (a_x, a_y, b_x, b_y))
    ka, kb = np.isfinite(a_y), np.isfinite(b_y)
    a_x, a_y, b_x, b_y = a_x[ka], a_y[ka], b_x[kb], b_y[kb]
    if np.array_equal(a_x, b_x):
        return a_x, a_y, b_y
    swap = a_x.size < b_x.size
    grid_x, grid_y, dense_x, dense_y = (a_x, a_y, b_x, b_y) if swap else (b_x, b_y, a_x, a_y)
    slot = np.searchsorted(grid_x, dense_x, side="left")
    inside = slot < grid_x.size
    sums = np.bincount(slot[inside], weights=dense_y[inside], minlength=grid_x.size)
    counts = np.bincount(slot[inside], minlength=grid_x.size)
    has = counts > 0
    means = np.divide(sums, counts, out=np.full(grid_x.size, np.nan), where=has)
    x, grid, dense = grid_x[has], grid_y[has], means[has]
    return (x, grid, dense) if swap else (x, dense, grid)
