"""Every number the curve diagnosis decides by: `CurveThresholds`, each threshold a named field with its
reason and where it comes from (the measurements themselves: curve_rules.py).

Published rules these follow:
- Prechelt, "Early stopping - but when?" (1998): generalisation loss GL(t) = 100 * (E_va(t) / E_opt(t) - 1),
  where E_opt(t) is the lowest validation loss up to t; criterion GL_alpha stops when GL > alpha
  (alpha 1..5 in the paper). UP_s (validation loss rose in s successive strips of k = 5) is not used
  as such: on a raw validation curve it fires on noise, and on the smoothed curve a sustained rise is
  what GL measures; its strip length k = 5 is the minimum number of points (min_points). Training
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
Where a number is our own choice it says so. Every number is a field of `CurveThresholds`, and
`--curve-threshold NAME=VALUE` changes it for one run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

import numpy as np

from insight.diagnose.smoothing import MIN_SIGMA, SIGMA_SHARE, gaussian, sigma_for

CHECKS = {  # what a value of each kind of threshold must be
    "count": "a whole number >= 1",
    "whole": "a whole number >= 0",
    "share": "a number between 0 and 1",
    "positive": "a number > 0",
    "nonneg": "a number >= 0",
}


def _t(default: float, check: str = "nonneg"):
    return field(default=default, metadata={"check": check})


@dataclass(frozen=True)
class CurveThresholds:
    """Every number the curve diagnosis decides by, with its reason and source. Field names are what
    `--curve-threshold NAME=VALUE` takes; `override` checks them. Immutable: a run's thresholds travel
    in its CurveContext."""

    # -- how much curve is needed --------------------------------------------------------------------
    min_points: int = _t(5, "count")  # Prechelt's strip length k = 5: fewer points than one strip show no
    #                                   trend (our use)
    early_share: float = _t(0.1, "share")  # the "start" of a curve is the median of its first 10 % of points
    #                                        (robust to one huge first value, e.g. Detectron2's first
    #                                        iterations); our choice
    end_share: float = _t(0.1, "share")  # the "end" window is the last 10 % of points (at least min_window);
    #                                      our choice
    min_window: int = _t(3, "count")  # a window shorter than 3 points is a single noisy value
    noise_min_points: int = _t(10, "count")  # a curve's noise (smoothing.noise) is measured on 10 points or
    #                                          more (two Prechelt strips); on fewer, one odd value is all
    #                                          the noise there is, and the noise is taken as 0
    # -- reading the log per epoch (epochs.py) -----------------------------------------------------------
    epoch_known_share: float = _t(0.5, "share")  # epochs are the x axis when at least half the rows carry one
    max_step_points: int = _t(1000, "count")  # step logs longer than this are averaged into this many equal
    #                                           step bins; our choice
    min_epochs: int = _t(5, "whole")  # fewer epochs than one Prechelt strip, but more logged steps: read
    #                                   per step instead
    # -- smoothing (smoothing.py holds the reasons) ------------------------------------------------------
    sigma_share: float = _t(SIGMA_SHARE)  # gaussian sigma as a share of the points; our choice
    min_sigma: float = _t(MIN_SIGMA, "positive")  # the smallest sigma, in points; our choice

    # -- B: divergence, explosion, instability -----------------------------------------------------------
    rise_above_start: float = _t(0.10)  # B: the training loss ends 10 % above its start: it rose instead
    #                                     of falling
    giveback_b: float = _t(0.5)  # B: after falling, the training loss climbed back over half of what it
    #                              had gained...
    rebound_min_fall: float = _t(0.10, "share")  # ... having first fallen >= 10 % (the rise_above_start
    #                                              margin), so the noise of a flat loss is not read as a
    #                                              fall and a rebound
    blowup_giveback: float = _t(0.1, "share")  # B too: the training loss ends more than spike_factor (2x) its
    #                                            best, a spike that never came back, having given back 10 %
    #                                            of its gain (so a near-zero loss wobbling from 0.006 to
    #                                            0.013 is no blow-up); our choice
    osc_swing: float = _t(0.10)  # AUTOTRAINER ol_judge zeta, on loss: a max-min pair counts when it swings
    #                              by 10 % of the loss's whole fall (zeta = 0.03 on an accuracy range of 1
    #                              is our model; a loss has no fixed range, so its own fall is the range)
    osc_rate: float = _t(0.2, "share")  # AUTOTRAINER ol_judge eta: unstable when such pairs number >= 20 %
    #                                     of the points
    osc_level: float = _t(0.1)  # ... and a pair must also drop by 10 % of the loss's level at its trough:
    #                             smaller swings are the epoch-to-epoch noise of a small dataset (a curve
    #                             that hardly fell makes 10 % of its fall tiny), not an unstable optimiser;
    #                             our choice
    per_eval_ratio: float = _t(1.5, "positive")  # a step log whose train loss has at most 1.5 points per val
    #                                              point is per-evaluation
    spike_factor: float = _t(2.0, "positive")  # loss-spike monitors' outlier multiplier: a value > 2x the
    #                                            running median is a spike
    spike_window: int = _t(5, "count")  # the running median is over the 5 previous points (one Prechelt
    #                                     strip)
    spike_recur: int = _t(3, "count")  # three or more separate spike/NaN events are recurring (B); fewer
    #                                    are reported only
    spike_noise_z: float = _t(3.0)  # a spike must also stand out of the curve's own noise: above
    #                                 exp(3 sd) x the running median (Hampel's outlier identifier: 3 robust
    #                                 standard deviations), so raw per-batch losses are not all spikes
    spike_noisy: float = _t(0.1)  # a curve whose points scatter by more than 10 % (sd, DER_SNR) holds raw
    #                               per-batch losses, whose lone outliers are noise...
    spike_persist: int = _t(2, "count")  # ... so there a spike must last 2 logged points in a row (KillLossSpike
    #                                      counts only consecutive outliers, its `patience`); our choice
    blowup_cost_share: float = _t(0.25, "share")  # B: after a blow-up (a spike above spike_factor x the best
    #                                             so far) the loss took a quarter of the run or more to get
    #                                             back below that best, or never did: the run lost that much
    #                                             of its time to it, whatever its end state; our choice

    # -- C: overfitting ----------------------------------------------------------------------------------
    gl_alpha: float = _t(5.0)  # Prechelt GL_5: the smoothed validation loss ends 5 % above its best (the
    #                            slowest GL criterion in the paper, i.e. the least prone to stop on noise).
    #                            overfit_never_back reads the same 5 % as a widening of the gap: val/train
    #                            at the end over val/train at val's best. Prechelt's GL is a stopping rule
    #                            (stop at the first t where GL > alpha); as a diagnosis of a finished run
    #                            it misses the run whose validation loss stalls and creeps up 2-4 % while
    #                            training falls 15 %: what makes that run C is early-stopping semantics
    #                            (no new best for a quarter of the run, best_early_share) with a gap that
    #                            widened by more than GL_alpha, not a smaller alpha (GL_1-GL_3 would fire
    #                            on the noise of a long flat tail)
    gl_noise_z: float = _t(3.0)  # ... and above 3 standard deviations of the smoothed curve's own noise:
    #                              the minimum of a noisy curve lies below its trend by chance, so a noisy
    #                              validation set reads as a rise. Our choice: on healthy curves of 20-300
    #                              points with 2-15 % noise a chance GL that large comes in about 2 % of runs
    train_still_falls: float = _t(0.01)  # AUTOTRAINER test_turn_bad: the training loss fell (>= 1 %) since
    #                                      val's best
    train_fall_share: float = _t(0.1, "share")  # C by a stalled val or a widening gap (the training loss's
    #                                             fall is their evidence) needs that fall (since val's best,
    #                                             or over the gap's stretch) to be >= 10 % of the training
    #                                             loss's whole fall (early level to end): near its floor a
    #                                             loss can fall 5x in ratio terms (0.05 -> 0.011 after
    #                                             2.4 -> 0.05) and still be level on the chart people read;
    #                                             our choice, the 10 % margin of rebound_min_fall
    gap_slow_ratio: float = _t(0.25)  # gap widening: from where validation levelled off, validation fell
    #                                   less than a quarter as much as training (in log terms; our choice),
    #                                   and the gap widened by gl_alpha or more: val/train at the end over
    #                                   val/train at the stretch's start, as overfit_never_back reads it (a
    #                                   fixed fall of training, 20 % before, missed a validation loss flat
    #                                   for 30 epochs while training fell 12-18 %)

    # -- D: training does not learn ----------------------------------------------------------------------
    d_min_fall: float = _t(0.03)  # D: the smoothed training loss ends less than 3 % below its start; our
    #                               choice, above the jitter of an epoch-averaged loss, below the slow fall
    #                               of a resumed run. On a noisy curve, less than 3 sd of the difference
    #                               of two smoothed values (gl_noise_z): no fall the noise does not explain

    # -- further findings --------------------------------------------------------------------------------
    not_converged_drop: float = _t(0.01)  # still falling: >= 1 % drop over the last 10 % of the run (at
    #                                       least min_points), read off a straight line through them
    #                                       (Prechelt's progress measure, over a window proportional to the
    #                                       run); our choice...
    trend_z: float = _t(2.0)  # ... whose slope is 2 standard errors below 0, given the curve's noise
    #                           (one-sided 97.7 %: a noisy end does not read as a fall)
    noisy_ratio: float = _t(3.0)  # noisy_val: validation noise (DER_SNR sd) 3x the training noise...
    noisy_min: float = _t(0.02)  # ... and at least 2 % of its level (smaller noise is invisible on a
    #                              chart); our choice
    val_below_margin: float = _t(0.2, "share")  # val_below_train: val ends 20 % below train. Augmentation
    #                                             and dropout make train loss read somewhat higher by
    #                                             design, so only a clear margin is reported
    underfit_fall: float = _t(0.25, "share")  # underfit: both losses end above 75 % of their first value
    #                                           (fell < 25 %)...
    plateau_tol: float = _t(0.02)  # ... and a line through them changed by less than 2 % (or by no more
    #                                than trend_z standard errors: no trend beyond the noise)...
    plateau_by: float = _t(0.5, "share")  # ... from the middle of the run on: they levelled off in the first
    #                                       half; our choice
    es_patience_min: int = _t(3, "whole")  # Lightning EarlyStopping default patience (validation checks)
    es_patience_share: float = _t(0.1, "share")  # patience grows with the run: 10 % of its validation
    #                                              points (our choice; Ultralytics' default 100 of 300-600
    #                                              epochs is 17-33 %)
    best_early_share: float = _t(0.25, "share")  # best_epoch_early: early stopping would have saved >= 25 %
    #                                              of the run (our choice); overfit_never_back (C) needs
    #                                              the same stall, with train still falling and the gap
    #                                              widened by >= gl_alpha (or gl_noise_z sd of val's noise)
    component_rise_span: float = _t(0.25, "share")  # component_imbalance: its best lies at least a quarter
    #                                                 of the run before the end, so the rise is a trend and
    #                                                 not the last points' noise; our choice
    component_min_share: float = _t(0.05, "share")  # ... and it is >= 5 % of the total at the end (a
    #                                                 smaller part cannot move it)
    metric_near_zero: float = _t(0.05, "share")  # metric_near_zero: a 0..1 quality metric whose best is
    #                                              below 5 % of its range: the model learned next to nothing
    metric_spike_share: float = _t(0.5, "share")  # metric_spike_best: the best stands above both its
    #                                               neighbours by half the metric's whole range or more: a
    #                                               one-point spike, not a level the model held; our choice
    close_share: float = _t(0.75, "share")  # another scenario is close when its rule reached 75 % of what it
    #                                         needs (the report names it and why this one was chosen)
    metric_drop: float = _t(0.05, "share")  # metric_regressed: a higher-is-better metric ends 5 %
    #                                         (relative) below its best (or 3 sd of its noise, gl_noise_z:
    #                                         the best of a noisy metric is a lucky draw)

    def sigma_for(self, n: int) -> float:
        """The smoothing kernel width, in points, for a curve of n points."""
        return sigma_for(n, self.sigma_share, self.min_sigma)

    def smooth(self, values: np.ndarray) -> np.ndarray:
        """The documented gaussian smoothing with these thresholds' width."""
        return gaussian(values, self.sigma_for(np.asarray(values).size))

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def defaults_text(cls) -> str:
        """'name=default, ...' for every threshold, for --help."""
        return ", ".join(f"{f.name}={f.default:g}" for f in fields(cls))

    def override(self, pairs: Mapping[str, float]) -> "CurveThresholds":
        """A copy with the named thresholds changed. ValueError (one line) for an unknown name, listing
        the valid ones, or for a value its threshold cannot take."""
        known = {f.name: f for f in fields(self)}
        changes = {}
        for name, value in pairs.items():
            f = known.get(name)
            if f is None:
                raise ValueError(f"unknown curve threshold {name!r}; valid names: {', '.join(known)}")
            changes[name] = _checked(name, value, f.metadata["check"])
        return replace(self, **changes)

    def changes(self) -> tuple[str, ...]:
        """One note per threshold that differs from its default, e.g. 'threshold gl_alpha set to 3
        (default 5)'."""
        return tuple(f"threshold {f.name} set to {getattr(self, f.name):g} (default {f.default:g})"
                     for f in fields(self) if getattr(self, f.name) != f.default)


def _checked(name: str, value: float, check: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    ok = math.isfinite(number) and number >= 0
    if check in ("count", "whole"):
        ok = ok and number == int(number) and number >= (1 if check == "count" else 0)
    elif check == "share":
        ok = ok and number <= 1
    elif check == "positive":
        ok = ok and number > 0
    if not ok:
        raise ValueError(f"curve threshold {name} must be {CHECKS[check]}, got {value!r}")
    return int(number) if check in ("count", "whole") else number

