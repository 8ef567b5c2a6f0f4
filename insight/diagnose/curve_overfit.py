"""Curves C: overfitting. Each rule needs a training and a validation loss.

  overfit_val_rises    val ends (mean of its end window) above its best by Prechelt's GL
  overfit_never_back   val was best early and never came back while train kept falling
  overfit_gap_widens   train falls significantly, val does not (train and val aligned by epoch)
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
    points after the best only) against its smoothed best, while the validation loss is not still falling at its end and the
    training loss fell since that best."""
    t, v, th = j.train, j.val, j.t
    if t is None or v is None or v.n < th.min_points:
        return None
    after = int(np.sum(v.x > v.best_x))  # the end window never reaches back to the best
    window = max(1, min(end_points(v.n, th), after))
    end = float(np.mean(v.y[-window:]))
    gl = R.pct(100 * (end / v.best - 1)) if v.best > 0 else 0.0
    threshold = R.gl_threshold(v, th)
    at_best = t.at(v.best_x)
    train_end = end_level(t.y, th)
    train_fall = R.pct((at_best - train_end) / abs(at_best)) if at_best else 0.0
    falling = trend(v.x, v.y, th, min(window_points(v.n, th), after + 1)).falls(th, th.not_converged_drop)
    f = finding("overfit_val_rises", "warning", j.axis, v.best_x, best_x=v.best_x, best=v.best, end=end,
                window=window, gl=gl, alpha=th.gl_alpha, threshold=threshold,
                noise_pct=100 * v.noise, train_fall_pct=100 * train_fall,
                rising=rising_components(j.table, "val", th), **_classes(j))
    score = min(ratio(gl, threshold), ratio(train_fall, th.train_still_falls), 0.0 if falling else BIG)
    return Verdict("C", f, score)


def c_never_back(j: Judged) -> Verdict | None:
    """The validation loss was best early (never_back_by) and its values since stay above that best by
    more than its noise explains, while the training loss fell by gap_train_fall or more since."""
    t, v, th = j.train, j.val, j.t
    if t is None or v is None or v.n < th.min_points:
        return None
    i = int(np.argmin(v.y))
    after = v.y[i + 1:]
    if after.size < th.min_points:
        return None
    best, best_x = float(v.y[i]), float(v.x[i])
    level = float(np.median(after))
    above = R.pct(100 * (level / best - 1)) if best > 0 else 0.0
    threshold = max(th.gl_alpha, R.pct(100 * math.expm1(th.gl_noise_z * v.noise)))
    at_best = t.at(best_x)
    train_fall = R.pct((at_best - end_level(t.y, th)) / abs(at_best)) if at_best else 0.0
    early = v.position(best_x) <= th.never_back_by
    f = finding("overfit_never_back", "warning", j.axis, best_x, best=best, best_x=best_x, level=level,
                above_pct=above, threshold_pct=threshold, noise_pct=100 * v.noise,
                train_fall_pct=100 * train_fall, last_x=float(v.x[-1]), **_classes(j))
    score = min(ratio(above, threshold), ratio(train_fall, th.gap_train_fall), BIG if early else 0.0)
    return Verdict("C", f, score)


def c_gap(j: Judged) -> Verdict | None:
    """The gap widens, with train and val aligned by epoch: from where validation levelled off (or the
    middle of the run, whichever is first; at least min_points) the training loss falls by gap_train_fall or more, beyond its noise, while validation falls less
    than gap_slow_ratio as much (log terms) and is not still falling; or, over the whole run, the
    training loss fell that much while validation did not fall at all."""
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
    score = min(ratio(ft, th.gap_train_log_fall), BIG if train.z >= th.trend_z else 0.0, slow,
                BIG if above and not still else 0.0)
    val_change = 100 * (1 - math.exp(-fv))
    f = finding("overfit_gap_widens", "warning", j.axis, train.since, since=train.since, points=k,
                train_fall_pct=100 * train.fall, val_fall_pct=max(0.0, val_change),
                val_rise_pct=max(0.0, -val_change), ratio_end=end_level(va, th) / end_level(tr, th),
                whole_run=whole_run, aligned=x.size != j.train.n or x.size != j.val.n,
                train_points=j.train.n, val_points=j.val.n, **_classes(j))
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


