"""Curve C: overfitting. Each rule needs a training and a validation loss.

  overfit_val_rises    val ends (mean of its end window) above its smoothed best by Prechelt's GL
  overfit_never_back   val made no new best for longer than early stopping waits (a quarter of the run
                       saved) while train kept falling and the gap widened by more than GL_alpha
  overfit_gap_widens   train falls beyond its noise, val much less, the gap widened by more than GL_alpha
                       (train and val aligned by epoch)

overfit_never_back and overfit_gap_widens read the training loss's fall as the evidence (the gap widens
because training keeps falling), so they need that fall to be train_fall_share (10 %) of its whole fall or
more over the stretch they judge: a loss near its floor that still falls in ratio terms is level on a
chart. overfit_val_rises reads the validation loss's own rise (Prechelt's GL); of training it needs only
AUTOTRAINER's test_turn_bad, a fall of train_still_falls (1 %), so that a run whose losses both rise is
not read as overfitting.

The scenario is judged on the total losses. A validation component that rises while the validation total
does not (one head overfitting while another still improves) is not C on its own: the total is what the
optimiser minimises and what the trainer picks its best checkpoint by, so a component trade-off inside a
falling total is reported as `component_imbalance` (curve_findings.py), naming the component. The
component is also listed in overfit_val_rises when the total rose too.
"""

from __future__ import annotations

import math

import numpy as np

from insight.diagnose import curve_rules as R
from insight.diagnose.curve_trend import end_level, end_points, trend, window_points
from insight.diagnose.curve_verdict import BIG, Judged, Verdict, below, finding, ratio
from insight.diagnose.epochs import EpochTable


def c_val_rises(j: Judged) -> Verdict | None:
    """Prechelt's GL with the end read over a window: the mean of the validation loss's end window (the
    points after the smoothed best only) against its smoothed best, while the validation loss is not still
    falling at its end and the training loss fell since that best. The finding names the raw best (the
    one the metrics table shows) and, apart, the smoothed best the GL is measured from."""
    t, v, th = j.train, j.val, j.t
    if t is None or v is None or v.n < th.min_points:
        return None
    after = int(np.sum(v.x > v.smooth_best_x))  # the end window never reaches back to the best
    window = max(1, min(end_points(v.n, th), after))
    end = float(np.mean(v.y[-window:]))
    gl = R.pct(100 * (end / v.smooth_best - 1)) if v.smooth_best > 0 else 0.0
    threshold = R.gl_threshold(v, th, window)
    train_fall, share = _train_fall_since(t, v.smooth_best_x, th), _learning_share(t, v.smooth_best_x, th)
    falling = trend(v.x, v.y, th, min(window_points(v.n, th), after + 1)).falls(th, th.not_converged_drop)
    f = finding("overfit_val_rises", "warning", j.axis, v.best_x, compared=(("best", "smoothed_best", "end"),),
                **_bests(v), end=end,
                window=window, gl=gl, alpha=th.gl_alpha, threshold=threshold,
                noise_pct=100 * v.noise, train_fall_pct=100 * train_fall, train_share_pct=100 * share,
                rising=rising_components(j.table, "val", th), **_classes(j))
    score = min(ratio(gl, threshold), ratio(train_fall, th.train_still_falls), 0.0 if falling else BIG)
    return Verdict("C", f, score)


def c_never_back(j: Judged) -> Verdict | None:
    """Validation stopped improving while training went on: read with early-stopping semantics (Keras /
    Lightning EarlyStopping, mode min, min_delta 0, the patience of best_epoch_early), the validation loss
    made no new best for so long that early stopping would have saved best_early_share of the run or
    more; over that stretch the training loss kept falling (a line through it falls beyond its noise,
    trend_z, by train_fall_share of its whole fall or more), and the gap between them widened by more than a GL criterion: (val end / val at its best) x
    (train at val's best / train end) - 1 >= gl_threshold (Prechelt's alpha, or 3 sd of the validation
    loss's smoothed noise). DeepQ's Curve C in its second form: validation falls much more slowly (here:
    not at all) while the gap keeps widening. A plateau of the validation loss is enough; it need not rise
    by GL_alpha itself (a loss creeping up 2-4 % while training falls 15 % is that case). Levels: the
    smoothed curves at val's raw best, the end-window means at the end, so one noisy point moves neither."""
    t, v, th = j.train, j.val, j.t
    if t is None or v is None or v.n < th.min_points:
        return None
    stop = R.early_stop(v.x, v.y, th)
    span = v.x[-1] - v.x[0]
    saved = R.pct((v.x[-1] - stop[1]) / span) if stop is not None and span > 0 else 0.0
    val_ratio = end_level(v.y, th) / v.at(v.best_x) if v.at(v.best_x) > 0 else 1.0
    train_at, train_end = t.at(v.best_x), end_level(t.y, th)
    train_ratio = train_at / train_end if train_end > 0 else 1.0
    widened = R.pct(100 * (val_ratio * train_ratio - 1))
    threshold = R.gl_threshold(v, th, end_points(v.n, th))
    since = t.x >= v.best_x
    falls = trend(t.x[since], t.y[since], th).falls(th, th.train_still_falls) if since.sum() >= 2 else False
    share = _learning_share(t, v.best_x, th)
    rose = val_ratio > 1  # the wording compares the validation loss's rise with the training loss's fall
    f = finding("overfit_never_back", "warning", j.axis, v.best_x,
                compared=(("best", "val_end"), ("val_change_pct", "train_fall_pct") if rose else ("train_fall_pct",)),
                best=v.best, best_x=v.best_x,
                stop_x=stop[1] if stop else None, patience=stop[2] if stop else None, last_x=float(v.x[-1]),
                saved_pct=100 * saved, saved_min_pct=100 * th.best_early_share, val_end=end_level(v.y, th),
                window=end_points(v.n, th),
                val_change_pct=100 * (val_ratio - 1), train_fall_pct=100 * (1 - 1 / train_ratio),
                widened_pct=widened, threshold_pct=threshold, alpha=th.gl_alpha, noise_pct=100 * v.noise,
                train_share_pct=100 * share, **_classes(j))
    score = min(ratio(saved, th.best_early_share), ratio(widened, threshold), BIG if falls else 0.0,
                ratio(share, th.train_fall_share))
    return Verdict("C", f, score)


def _train_fall_since(t: R.Profile, x: float, th: R.CurveThresholds) -> float:
    """How much the training loss fell from its smoothed value at x to its end level (the end-window mean)."""
    at = t.at(x)
    return R.pct((at - end_level(t.y, th)) / abs(at)) if at else 0.0


def _learning_share(t: R.Profile, x: float, th: R.CurveThresholds) -> float:
    """The share of the training loss's whole fall (early level to end level) made after x, on the linear
    scale a chart shows: 0.3 = a third of what training gained came after x (train_fall_share)."""
    end = end_level(t.y, th)
    return R.pct((t.at(x) - end) / (t.early - end)) if t.early > end else 0.0


def _bests(p: R.Profile) -> dict:
    """The raw best (the one best the metrics table shows) and the smoothed best a rule measured from."""
    return {"best": p.best, "best_x": p.best_x, "smoothed_best": p.smooth_best, "smoothed_best_x": p.smooth_best_x}


def c_gap(j: Judged) -> Verdict | None:
    """The gap widens, with train and val aligned by epoch: from where validation levelled off (or the
    middle of the run, whichever is first; at least min_points) the training loss falls beyond its noise
    (a line through it, trend_z) while validation falls less than gap_slow_ratio as much (log terms) and
    is not still falling at its end, so that the gap widened by a GL criterion or more (val/train at the
    end over val/train at the stretch's start, read off the two lines: exp(train log fall - val log fall)
    - 1, the widening overfit_never_back measures, against gl_alpha or 3 sd of val's smoothed noise); or, over the whole run, the training loss fell while
    validation did not fall at all, widening the gap as much."""
    t, v, th = j.train, j.val, j.t
    if t is None or v is None:
        return None
    x, tr, va = j.pair()
    if x.size < th.min_points:
        return None
    start = min((x[0] + x[-1]) / 2, _settled_x(x, va, th))
    since = max(th.min_points, int(np.sum(x >= start)))
    verdicts = [_gap_verdict(j, x, tr, va, since, whole_run=False),
                _gap_verdict(j, x, tr, va, x.size, whole_run=True)]
    return max(verdicts, key=lambda v: v.score)


def _settled_x(x: np.ndarray, y: np.ndarray, th: R.CurveThresholds) -> float:
    """Where the (aligned) validation loss levelled off for good (curve_rules.plateau_position)."""
    p = R.profile(x, y, th)
    return float(np.interp(R.plateau_position(p, th), [0, 1], [p.x[0], p.x[-1]]))


def _gap_verdict(j: Judged, x, tr, va, k: int, whole_run: bool) -> Verdict:
    th = j.t
    train, val = trend(x, tr, th, k), trend(x, va, th, k)
    ft, fv = _log_fall(train.fall), _log_fall(val.fall)
    above = end_level(va, th) > end_level(tr, th)
    slow = (below(fv, 0.0) if whole_run else below(fv, th.gap_slow_ratio * ft)) if ft > 0 else 0.0
    still = trend(x, va, th, window_points(x.size, th)).falls(th, th.not_converged_drop)  # at its very end
    share = _learning_share(j.train, train.since, th)
    widened = R.pct(100 * math.expm1(ft - max(fv, 0.0))) if ft > 0 and math.isfinite(ft - fv) else 0.0
    threshold = R.gl_threshold(j.val, th)
    score = min(ratio(widened, threshold), BIG if train.z >= th.trend_z else 0.0, slow,
                BIG if above and not still else 0.0, ratio(share, th.train_fall_share))
    val_change = 100 * (1 - math.exp(-fv))
    # the wording sets the training loss's fall against the validation loss's rise, or its fall (not over the whole run)
    val_side = ("val_rise_pct",) if val_change < 0 else () if whole_run else ("val_fall_pct",)
    f = finding("overfit_gap_widens", "warning", j.axis, train.since, compared=(("train_fall_pct", *val_side),),
                since=train.since, points=k,
                train_fall_pct=100 * train.fall, val_fall_pct=max(0.0, val_change),
                val_rise_pct=max(0.0, -val_change), ratio_end=end_level(va, th) / end_level(tr, th),
                widened_pct=widened, threshold_pct=threshold, alpha=th.gl_alpha,
                whole_run=whole_run, aligned=x.size != j.train.n or x.size != j.val.n,
                train_points=j.train.n, val_points=j.val.n, train_share_pct=100 * share, **_classes(j))
    return Verdict("C", f, score)


def _log_fall(fall: float) -> float:
    return -math.log(1 - fall) if fall < 1 else math.inf


def _classes(j: Judged) -> dict:
    """The under-represented classes for the advice: the first five by name and how many more."""
    names = list(j.context.underrepresented)
    return {"underrepresented": names[:5], "more_classes": max(0, len(names) - 5),
            "classes_known": j.context.classes_known}


def rising_components(table: EpochTable, split: str, t: R.CurveThresholds) -> list[str]:
    out = []
    for name in table.components.get(split, ()):
        c = table.curves[(split, name)]
        p = R.profile(c.x, c.y, t)
        if p is not None and p.n >= t.min_points and R.rose(p, t):
            out.append(name)
    return out


