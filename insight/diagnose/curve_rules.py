"""The small measurements the curve rules are made of, all pure functions of numpy arrays: a curve's
`Profile` (start, best, end, noise), Prechelt's GL against a noise-aware threshold, spikes, plateaus and
end trends. The thresholds they compare against, with their reasons: curve_thresholds.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from insight.diagnose.curve_thresholds import CurveThresholds
from insight.diagnose.smoothing import noise, smoothed_share

__all__ = ["CurveThresholds", "Profile", "profile", "pct", "window", "gl_threshold", "rose", "spikes",
           "spike_rule", "plateau_position", "end_trend", "still_falling", "levelled_since", "log_fall",
           "early_stop"]


@dataclass(frozen=True)
class Profile:
    """The numbers the rules read off one curve (finite points, in x order)."""

    x: np.ndarray
    y: np.ndarray
    smooth: np.ndarray
    first: float  # median of the first min_window points (where the run started)
    early: float  # median of the first early_share of the points (the early level, robust to one spike)
    smooth_best: float  # minimum of the smoothed curve: what the rules compare with (one noisy low point
    smooth_best_x: float  # does not move it); findings name it "smoothed" next to the raw best
    end: float  # smoothed value at the last point
    end_med: float  # median of the raw values in the end window
    noise: float = 0.0  # relative point-to-point noise of the raw values (sd as a share of the level, DER_SNR)
    smooth_noise: float = 0.0  # what of that noise is left in the smoothed curve

    @property
    def n(self) -> int:
        return int(self.x.size)

    @property
    def best(self) -> float:
        """The lowest raw value: the one best of the series that the metrics table shows."""
        return float(self.y[self._best_index])

    @property
    def best_x(self) -> float:
        return float(self.x[self._best_index])

    @property
    def _best_index(self) -> int:
        return int(np.argmin(self.y))

    @property
    def gl(self) -> float:
        """Prechelt's GL at the end, 100 * (end / best - 1), on the smoothed curve (0 when best <= 0)."""
        return pct(100.0 * (self.end - self.smooth_best) / self.smooth_best) if self.smooth_best > 0 else 0.0

    @property
    def fall(self) -> float:
        """Relative fall from the start to the end (negative when it rose)."""
        return _rel(self.early - self.end, self.early)

    @property
    def fall_from_first(self) -> float:
        """Relative fall from the first points to the end."""
        return _rel(self.first - self.end, self.first)

    @property
    def giveback(self) -> float:
        """Share of the fall from start to the smoothed best that was lost again by the end (0 = none)."""
        gained = self.early - self.smooth_best
        return (self.end - self.smooth_best) / gained if gained > 0 else 0.0

    def at(self, x: float) -> float:
        """The smoothed value at x (interpolated)."""
        return float(np.interp(x, self.x, self.smooth))

    def position(self, x: float) -> float:
        """Where x lies in the run, 0 (first point) to 1 (last point)."""
        span = self.x[-1] - self.x[0]
        return float((x - self.x[0]) / span) if span > 0 else 1.0


def _rel(delta: float, base: float) -> float:
    return pct(delta / abs(base)) if base != 0 else 0.0


def pct(value: float) -> float:
    """Measured ratios are compared at 1e-9 precision, so that a curve built exactly at a threshold
    is judged at the threshold and not one rounding error either side of it."""
    return round(float(value), 9)


def window(n: int, share: float, t: CurveThresholds) -> int:
    return min(n, max(t.min_window, int(math.ceil(share * n))))


def profile(x: np.ndarray, y: np.ndarray, t: CurveThresholds) -> Profile | None:
    keep = np.isfinite(y)
    x, y = np.asarray(x, float)[keep], np.asarray(y, float)[keep]
    if x.size == 0:
        return None
    s = t.smooth(y)
    i = int(np.argmin(s))
    head, tail = window(y.size, t.early_share, t), window(y.size, t.end_share, t)
    spread = noise(y) if y.size >= t.noise_min_points else 0.0
    return Profile(x, y, s, float(np.median(y[:t.min_window])), float(np.median(y[:head])), float(s[i]),
                   float(x[i]), float(s[-1]), float(np.median(y[-tail:])), spread, spread * smoothed_share(t.sigma_for(y.size)))


def gl_threshold(p: Profile, t: CurveThresholds, end_window: int | None = None) -> float:
    """The GL (in %) a curve must reach to count as risen from its best: Prechelt's alpha, or three standard
    deviations (gl_noise_z) of the noise of what is compared when that is more. The best is read off the
    smoothed curve (its noise: smooth_noise); the end either off the smoothed curve too, or, given
    `end_window`, as the mean of that many raw points, whose own noise is noise / sqrt(end_window): the
    two add as independent errors, sqrt(smooth_noise^2 + noise^2 / end_window). A rise smaller than that
    is what a flat noisy curve shows by chance between its lowest stretch and its last few points."""
    sd = p.smooth_noise if end_window is None else math.hypot(p.smooth_noise, p.noise / math.sqrt(end_window))
    return max(t.gl_alpha, pct(100 * math.expm1(t.gl_noise_z * sd)))  # noise is on the log scale


def rose(p: Profile, t: CurveThresholds) -> bool:
    """The curve ends risen from its best by more than its noise explains (GL >= gl_threshold)."""
    return p.gl >= gl_threshold(p, t)


def spikes(x: np.ndarray, y: np.ndarray, t: CurveThresholds) -> list[tuple[float, float]]:
    """(x, ratio) of each spike: a spell of consecutive finite points above the running median of the
    spike_window points before the spell, by more than spike_factor and more than the curve's noise
    (exp(spike_noise_z sd)), that comes back below it before the curve ends. On a curve noisier than
    spike_noisy (raw per-batch losses) a spell must last spike_persist points. The ratio is the spell's
    highest. Only for a positive loss (a ratio to a
    negative level means nothing)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = np.isfinite(y)
    x, y = x[keep], y[keep]
    factor, persist = spike_rule(y, t)
    found, i = [], 1
    while i < y.size:
        level = float(np.median(y[max(0, i - t.spike_window):i]))
        end = i
        while level > 0 and end < y.size and y[end] > factor * level:
            end += 1
        if end - i >= persist and end < y.size:  # a rise that never comes back is no spike (B's rise rules)
            found.append((float(x[i]), float(np.max(y[i:end]) / level)))
        i = max(end, i + 1)
    return found


def spike_rule(y: np.ndarray, t: CurveThresholds) -> tuple[float, int]:
    """(factor, points): how far above its running median a point must be to be a spike, and how many in a
    row, for this curve's noise."""
    spread = noise(y) if y.size >= t.noise_min_points else 0.0
    factor = max(t.spike_factor, math.exp(t.spike_noise_z * spread))
    return factor, (t.spike_persist if spread > t.spike_noisy else 1)


def plateau_position(p: Profile, t: CurveThresholds) -> float:
    """Where (0..1) the smoothed curve first comes within plateau_tol of its final level (or within 3 sd of
    its smoothed noise, gl_noise_z, when that is more) and stays."""
    tol = max(t.plateau_tol, math.expm1(t.gl_noise_z * p.smooth_noise))
    far = np.abs(p.smooth - p.end) > tol * abs(p.end) if p.end else np.abs(p.smooth - p.end) > 0
    if not far.any():
        return 0.0
    last_far = int(np.nonzero(far)[0][-1])
    return p.position(p.x[min(last_far + 1, p.n - 1)])


def end_trend(p: Profile, t: CurveThresholds, points: int | None = None) -> tuple[float, float, int]:
    """(fall, z, points) of the curve's end: a least-squares line through the last `points` raw values
    (their logs for a positive curve; by default max(end window, min_points but at most half the run)).
    `fall` is the relative fall the line makes over them, `z` its slope in standard errors from the
    curve's noise (inf when no noise is measured)."""
    k = points or max(window(p.n, t.end_share, t), min(t.min_points, math.ceil(p.n / 2)))
    k = min(p.n, k)
    y = p.y[-k:]
    if k < 2:
        return 0.0, 0.0, k
    positive = bool(np.all(y > 0))
    v = np.log(y) if positive else y / max(float(np.mean(np.abs(y))), 1e-300)
    i = np.arange(k) - (k - 1) / 2
    slope = float(np.sum(i * v) / np.sum(i * i))
    fall = pct(1 - math.exp(slope * (k - 1))) if positive else pct(-slope * (k - 1))
    se = p.noise / math.sqrt(float(np.sum(i * i)))
    z = -slope / se if se > 0 else (math.inf if slope < 0 else -math.inf if slope > 0 else 0.0)
    return fall, z, k


def still_falling(p: Profile, t: CurveThresholds) -> bool:
    """The end of the curve still falls: by not_converged_drop or more over the end window's line, whose
    slope is trend_z standard errors below 0 (more than the curve's noise explains)."""
    fall, z, _ = end_trend(p, t)
    return fall >= t.not_converged_drop and z >= t.trend_z


def still_improving(p: Profile, t: CurveThresholds) -> bool:
    """The curve's lowest value lies within early stopping's patience of its end (early_stop would not
    have stopped the run) and a line through its end falls by not_converged_drop or more: still
    improving, though the fall over a short noisy end may not yet stand out from the noise."""
    return early_stop(p.x, p.y, t) is None and end_trend(p, t)[0] >= t.not_converged_drop


def levelled_since(p: Profile, position: float, t: CurveThresholds) -> bool:
    """From `position` (0..1 of the run) to the end, the line through the curve changes by less than
    plateau_tol, or by less than trend_z standard errors (no trend the noise does not explain)."""
    k = int(np.sum(p.x >= np.interp(position, [0, 1], [p.x[0], p.x[-1]])))
    fall, z, _ = end_trend(p, t, max(k, 2))
    return abs(fall) <= t.plateau_tol or abs(z) < t.trend_z


def log_fall(a: float, b: float) -> float | None:
    """log(a / b) for positive a, b: how much a curve fell from a to b on a ratio scale."""
    return math.log(a / b) if a > 0 and b > 0 else None


def es_patience(points: int, t: CurveThresholds) -> int:
    """Early stopping's patience for a curve of `points` values: max(es_patience_min, es_patience_share x points)."""
    return max(t.es_patience_min, int(math.ceil(t.es_patience_share * points)))


def early_stop(x: np.ndarray, y: np.ndarray, t: CurveThresholds) -> tuple[float, float, int] | None:
    """(best x, stop x, patience): Keras/Lightning EarlyStopping (mode min, min_delta 0) with patience
    max(es_patience_min, es_patience_share * points), counted from the run's best value, so the
    stop keeps the best model. None when the run ends before the patience runs out."""
    keep = np.isfinite(y)
    x, y = np.asarray(x, float)[keep], np.asarray(y, float)[keep]
    if x.size == 0:
        return None
    patience = es_patience(y.size, t)
    best = int(np.argmin(y))
    stop = best + patience
    return (float(x[best]), float(x[stop]), patience) if stop < y.size else None
