"""The curve rules: every threshold as a named constant with its reason and where it comes from, and
the small measurements the rules are made of. All pure functions of numpy arrays.

Published rules these follow:
- Prechelt, "Early stopping - but when?" (1998): generalisation loss GL(t) = 100 * (E_va(t) / E_opt(t) - 1),
  where E_opt(t) is the lowest validation loss up to t; criterion GL_alpha stops when GL > alpha
  (alpha 1..5 in the paper). UP_s (validation loss rose in s successive strips of k = 5) is not used
  as such: on a raw validation curve it fires on noise, and on the smoothed curve a sustained rise is
  what GL measures; its strip length k = 5 is the minimum number of points (MIN_POINTS). Training
  progress P_k(t) = 1000 * (sum of the last k training losses / (k * their minimum) - 1) is the model
  of `not_converged`, over a window proportional to the run instead of a fixed strip.
- AUTOTRAINER (Zhang et al., ICSE 2021), utils/monitor.py: `nan_loss` (any NaN/inf in a loss is an
  explosion), `ol_judge` (oscillation: local maxima and minima of the curve paired, a pair counts when
  max - min >= zeta, unstable when the count >= eta * length; defaults zeta 0.03 on accuracy,
  eta 0.2), `test_turn_bad` (train falls while validation rises).
- Keras `EarlyStopping` / Lightning `EarlyStopping`: stop after `patience` checks without an
  improvement larger than `min_delta` (Keras patience 0, Lightning 3; min_delta 0).
- Loss-spike monitors (e.g. MosaicML's KillLossSpike): a value above `outlier_multiplier` (2) times
  the running level is a spike.
Where a number is our own choice it says so.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from insight.diagnose.smoothing import gaussian

# -- how much curve is needed ------------------------------------------------------------------------
MIN_POINTS = 5  # Prechelt's strip length k = 5: fewer points than one strip show no trend (our use)
EARLY_SHARE = 0.1  # the "start" of a curve is the median of its first 10 % of points (robust to one
#                    huge first value, e.g. Detectron2's first iterations); our choice
END_SHARE = 0.1  # the "end" window is the last 10 % of points (at least MIN_WINDOW); our choice
MIN_WINDOW = 3  # a window shorter than 3 points is a single noisy value

# -- B: divergence, explosion, instability --------------------------------------------------------------
RISE_ABOVE_START = 0.10  # B: the training loss ends 10 % above its start: it rose instead of falling
GIVEBACK_B = 0.5  # B: after falling, the training loss climbed back over half of what it had gained...
REBOUND_MIN_FALL = 0.10  # ... having first fallen >= 10 % (the RISE_ABOVE_START margin), so the noise of
#                          a flat loss is not read as a fall and a rebound
OSC_SWING = 0.10  # AUTOTRAINER ol_judge zeta, on loss: a max-min pair counts when it swings by 10 % of
#                   the loss's whole fall (zeta = 0.03 on an accuracy range of 1 is our model; a loss
#                   has no fixed range, so its own fall is the range)
OSC_RATE = 0.2  # AUTOTRAINER ol_judge eta: unstable when such pairs number >= 20 % of the points
PER_EVAL_RATIO = 1.5  # a step log whose train loss has at most 1.5 points per val point is per-evaluation
SPIKE_FACTOR = 2.0  # loss-spike monitors' outlier multiplier: a value > 2x the running median is a spike
SPIKE_WINDOW = 5  # the running median is over the 5 previous points (one Prechelt strip)
SPIKE_RECUR = 3  # three or more separate spike/NaN events are recurring (B); fewer are reported only

# -- C: overfitting ---------------------------------------------------------------------------------------
GL_ALPHA = 5.0  # Prechelt GL_5: the smoothed validation loss ends 5 % above its best (the slowest GL
#                 criterion in the paper, i.e. the least prone to stop on noise)
TRAIN_STILL_FALLS = 0.01  # AUTOTRAINER test_turn_bad: the training loss fell (>= 1 %) since val's best
GAP_TRAIN_FALL = math.log(1.25)  # gap widening: over the second half the training loss fell >= 20 %...
GAP_SLOW_RATIO = 0.25  # ... and validation fell less than a quarter as much (in log terms); our choice

# -- D: training does not learn ----------------------------------------------------------------------------
D_MIN_FALL = 0.03  # D: the smoothed training loss ends less than 3 % below its start; our choice,
#                    above the jitter of an epoch-averaged loss, below the slow fall of a resumed run

# -- further findings ---------------------------------------------------------------------------------------
NOT_CONVERGED_DROP = 0.01  # still falling: >= 1 % drop over the last 10 % of the run (Prechelt's
#                            progress measure, over a window proportional to the run); our choice
NOISY_RATIO = 3.0  # noisy_val: validation jitter 3x the training jitter...
NOISY_MIN = 0.02  # ... and at least 2 % of its level (smaller jitter is invisible on a chart); our choice
VAL_BELOW_MARGIN = 0.2  # val_below_train: val ends 20 % below train. Augmentation and dropout make train
#                        loss read somewhat higher by design, so only a clear margin is reported
UNDERFIT_FALL = 0.25  # underfit: both losses end above 75 % of their first value (fell < 25 %)...
PLATEAU_TOL = 0.02  # ... having come within 2 % of their final level in the first half of the run
ES_PATIENCE_MIN = 3  # Lightning EarlyStopping default patience (validation checks)
ES_PATIENCE_SHARE = 0.1  # patience grows with the run: 10 % of its validation points (our choice;
#                          Ultralytics' default 100 of 300-600 epochs is 17-33 %)
BEST_EARLY_SHARE = 0.25  # best_epoch_early: early stopping would have saved >= 25 % of the run
COMPONENT_RISE_SPAN = 0.25  # component_imbalance: its best lies at least a quarter of the run before the
#                            end, so the rise is a trend and not the last points' noise; our choice
COMPONENT_MIN_SHARE = 0.05  # ... and it is >= 5 % of the total at the end (a smaller part cannot move it)
METRIC_DROP = 0.05  # metric_regressed: a higher-is-better metric ends 5 % (relative) below its best
THRESHOLD_METRIC = re.compile(r"^(precision|recall)(_|$)", re.I)  # left to mAP when one is logged


@dataclass(frozen=True)
class Profile:
    """The numbers the rules read off one curve (finite points, in x order)."""

    x: np.ndarray
    y: np.ndarray
    smooth: np.ndarray
    first: float  # median of the first MIN_WINDOW points (where the run started)
    early: float  # median of the first EARLY_SHARE of the points (the early level, robust to one spike)
    best: float  # minimum of the smoothed curve
    best_x: float
    end: float  # smoothed value at the last point
    end_med: float  # median of the raw values in the end window
    tail_drop: float  # relative fall of the smoothed curve over the end window

    @property
    def n(self) -> int:
        return int(self.x.size)

    @property
    def gl(self) -> float:
        """Prechelt's GL at the end, 100 * (end / best - 1), on the smoothed curve (0 when best <= 0)."""
        return pct(100.0 * (self.end - self.best) / self.best) if self.best > 0 else 0.0

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
        """Share of the fall from start to best that was lost again by the end (0 = none)."""
        gained = self.early - self.best
        return (self.end - self.best) / gained if gained > 0 else 0.0

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


def window(n: int, share: float) -> int:
    return min(n, max(MIN_WINDOW, int(math.ceil(share * n))))


def profile(x: np.ndarray, y: np.ndarray) -> Profile | None:
    keep = np.isfinite(y)
    x, y = np.asarray(x, float)[keep], np.asarray(y, float)[keep]
    if x.size == 0:
        return None
    s = gaussian(y)
    i = int(np.argmin(s))
    head, tail = window(y.size, EARLY_SHARE), window(y.size, END_SHARE)
    start = s[-tail] if y.size > tail else s[0]
    return Profile(x, y, s, float(np.median(y[:MIN_WINDOW])), float(np.median(y[:head])), float(s[i]), float(x[i]), float(s[-1]),
                   float(np.median(y[-tail:])), _rel(start - s[-1], start))


def jitter(y: np.ndarray) -> float:
    """Relative point-to-point noise: mean |y - centred running median of 5| / median |y|, over the
    points with a full window (a truncated window at the ends would read a steep trend as noise)."""
    y = np.asarray(y, float)
    y = y[np.isfinite(y)]
    if y.size < MIN_POINTS:
        return 0.0
    level = pd.Series(y).rolling(SPIKE_WINDOW, center=True).median().to_numpy()
    full = np.isfinite(level)
    scale = float(np.median(np.abs(y)))
    return float(np.mean(np.abs(y[full] - level[full])) / scale) if scale > 0 else 0.0


def oscillation_pairs(y: np.ndarray, swing: float) -> int:
    """AUTOTRAINER's ol_judge on a loss: local maxima paired with the next local minimum; the pairs
    whose drop is at least `swing` are counted."""
    y = np.asarray(y, float)
    count, peak = 0, None
    for i in range(1, y.size - 1):
        if y[i] >= y[i - 1] and y[i] >= y[i + 1]:
            peak = y[i] if peak is None else max(peak, y[i])
        elif y[i] <= y[i - 1] and y[i] <= y[i + 1] and peak is not None:
            count += int(peak - y[i] >= swing)
            peak = None
    return count


def spikes(x: np.ndarray, y: np.ndarray) -> list[tuple[float, float]]:
    """(x, ratio) of finite points above SPIKE_FACTOR x the median of the SPIKE_WINDOW points before.
    Only for a positive loss (a ratio to a negative level means nothing)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = np.isfinite(y)
    x, y = x[keep], y[keep]
    found = []
    for i in range(1, y.size):
        level = float(np.median(y[max(0, i - SPIKE_WINDOW):i]))
        if level > 0 and y[i] > SPIKE_FACTOR * level:
            found.append((float(x[i]), float(y[i] / level)))
    return found


def early_stop(x: np.ndarray, y: np.ndarray) -> tuple[float, float, int] | None:
    """(best x, stop x, patience): Keras/Lightning EarlyStopping (mode min, min_delta 0) with patience
    max(ES_PATIENCE_MIN, ES_PATIENCE_SHARE * points), counted from the run's best value, so the
    stop keeps the best model. None when the run ends before the patience runs out."""
    keep = np.isfinite(y)
    x, y = np.asarray(x, float)[keep], np.asarray(y, float)[keep]
    if x.size == 0:
        return None
    patience = max(ES_PATIENCE_MIN, int(math.ceil(ES_PATIENCE_SHARE * y.size)))
    best = int(np.argmin(y))
    stop = best + patience
    return (float(x[best]), float(x[stop]), patience) if stop < y.size else None


def plateau_position(p: Profile) -> float:
    """Where (0..1) the smoothed curve first comes within PLATEAU_TOL of its final level and stays."""
    far = np.abs(p.smooth - p.end) > PLATEAU_TOL * abs(p.end) if p.end else np.abs(p.smooth - p.end) > 0
    if not far.any():
        return 0.0
    last_far = int(np.nonzero(far)[0][-1])
    return p.position(p.x[min(last_far + 1, p.n - 1)])


def log_fall(a: float, b: float) -> float | None:
    """log(a / b) for positive a, b: how much a curve fell from a to b on a ratio scale."""
    return math.log(a / b) if a > 0 and b > 0 else None
