"""Curve B: the loss diverges or is unstable. Each rule returns a `Verdict` (curve_verdict.py).

  diverged_nonfinite   a loss ends NaN/inf (AUTOTRAINER nan_loss; decides before every other rule)
  diverged_rise        the loss ends above its start
  diverged_rebound     after falling, it climbed back over half its gain, or ends > 2x its best
  diverged_blowup      a blow-up took a quarter of the run or more to come back from, or never did
  unstable_oscillation AUTOTRAINER ol_judge on a per-epoch (or per-evaluation) curve
  unstable_spikes      spikes recur
They read the training loss (the validation loss when no training loss is logged); the blow-up and spike
rules read both.
"""

from __future__ import annotations

import numpy as np

from insight.diagnose import curve_rules as R
from insight.diagnose.curve_verdict import Judged, Verdict, finding, ratio
from insight.diagnose.epochs import TOTAL
from insight.model.findings import Finding


def b_nonfinite(j: Judged) -> Finding | None:
    """AUTOTRAINER nan_loss, for a loss that ends NaN/inf (a transient NaN is reported, not decisive)."""
    for split in ("train", "val"):
        total = j.table.totals.get(split)
        if total is None or not len(total) or np.isfinite(total.y[-1]):
            continue
        names = [n for n in j.table.components.get(split, ())
                 if not np.isfinite(j.table.curves[(split, n)].y[-1])] or [TOTAL]
        bad = ~np.isfinite(total.y)
        value = "NaN" if np.isnan(total.y[-1]) else "inf"
        return finding("diverged_nonfinite", "error", j.axis, float(total.x[bad][0]), split=split,
                       names=names, value=value, count=int(bad.sum()), points=len(total),
                       first=float(total.x[bad][0]))
    return None


def b_rise(j: Judged) -> Verdict:
    p, t = j.primary, j.t
    f = finding("diverged_rise", "error", j.axis, float(p.x[-1]), compared=(("start", "end"),),
                split=j.primary_split, start=p.early,
                end=p.end, rise_pct=-100 * p.fall, threshold_pct=100 * t.rise_above_start,
                ratio=p.end / p.early if p.early > 0 else None)
    return Verdict("B", f, ratio(-p.fall, t.rise_above_start))


def b_rebound(j: Judged) -> Verdict:
    p, t = j.primary, j.t
    fell = R.pct((p.early - p.smooth_best) / abs(p.early)) if p.early else 0.0
    jump = p.end / (t.spike_factor * p.smooth_best) if p.smooth_best > 0 else 0.0
    blowup = min(jump, ratio(p.giveback, t.blowup_giveback))
    score = min(ratio(fell, t.rebound_min_fall), max(ratio(p.giveback, t.giveback_b), blowup))
    f = finding("diverged_rebound", "error", j.axis, p.best_x, compared=(("start", "best", "smoothed_best", "end"),),
                split=j.primary_split, start=p.early,
                best=p.best, best_x=p.best_x, smoothed_best=p.smooth_best, smoothed_best_x=p.smooth_best_x,
                end=p.end, giveback_pct=100 * p.giveback,
                threshold_pct=100 * t.giveback_b, blowup=bool(blowup >= 1 and p.giveback < t.giveback_b),
                factor=t.spike_factor, ratio=p.end / p.smooth_best if p.smooth_best > 0 else None)
    return Verdict("B", f, score)


def b_blowup(j: Judged) -> Verdict | None:
    """An early catastrophe is judged by what it cost, not by the end state: a point above the spike
    factor times the best so far (a blow-up) after which the loss needed blowup_cost_share of the run or
    more to get back to that best, or never did."""
    worst = None
    for split in ("train", "val"):
        p = j.train if split == "train" else j.val
        if p is None or p.n < j.t.min_points:
            continue
        event = worst_blowup(p.x, p.y, j.t)
        if event and (worst is None or event[-1] > worst[-1]):
            worst = (split, R.spike_rule(p.y, j.t)[0], *event)
    if worst is None:
        return None
    split, factor, at, before, peak, back, cost = worst
    f = finding("diverged_blowup", "error", j.axis, at, compared=(("before", "peak"),), split=split, at=at,
                before=before, peak=peak,
                ratio=peak / before, back=back, recovered=back is not None, cost_pct=100 * cost,
                threshold_pct=100 * j.t.blowup_cost_share, factor=factor)
    return Verdict("B", f, ratio(cost, j.t.blowup_cost_share))


def worst_blowup(x: np.ndarray, y: np.ndarray, t: R.CurveThresholds):
    """(x, best before, peak, x back at or below that best or None, cost as a share of the run) of the
    costliest blow-up of a positive curve, None when there is none."""
    if x.size < 2 or np.any(y <= 0) or x[-1] == x[0]:
        return None
    factor, _ = R.spike_rule(y, t)
    best_before = np.minimum.accumulate(y)
    worst, i = None, 1
    while i < y.size:
        level = best_before[i - 1]
        if y[i] <= factor * level:
            i += 1
            continue
        back = next((k for k in range(i + 1, y.size) if y[k] <= level), None)
        end = y.size - 1 if back is None else back
        cost = R.pct((x[end] - x[i]) / (x[-1] - x[0]))
        peak = float(np.max(y[i:end + 1]))
        if worst is None or cost > worst[-1]:
            worst = (float(x[i]), float(level), peak, None if back is None else float(x[back]), cost)
        i = end + 1
    return worst


def b_oscillation(j: Judged) -> Verdict | None:
    """AUTOTRAINER's ol_judge works on per-epoch history; a per-iteration loss swings with every batch,
    so a step-level curve is judged by spikes only, unless the training loss was logged about as often
    as the validation loss (one averaged value per evaluation, as MLflow and Keras autologging do)."""
    t = j.t
    per_evaluation = j.train is not None and j.val is not None and j.train.n <= t.per_eval_ratio * j.val.n
    if j.axis != "epoch" and not per_evaluation:
        return None
    p = j.primary
    swing = t.osc_swing * (p.early - p.smooth_best)
    pairs = oscillation_pairs(p.y, swing, t.osc_level)
    f = finding("unstable_oscillation", "error", j.axis, split=j.primary_split, pairs=pairs, points=p.n,
                swing=swing, swing_pct=100 * t.osc_swing, level_pct=100 * t.osc_level,
                rate_pct=100 * t.osc_rate)
    return Verdict("B", f, ratio(pairs, max(1.0, t.osc_rate * p.n)))


def oscillation_pairs(y: np.ndarray, swing: float, level_share: float = 0.0) -> int:
    """AUTOTRAINER's ol_judge on a loss: local maxima paired with the next local minimum; the pairs
    whose drop is at least `swing` and at least `level_share` of the trough's level are counted."""
    y = np.asarray(y, float)
    count, peak = 0, None
    for i in range(1, y.size - 1):
        if y[i] >= y[i - 1] and y[i] >= y[i + 1]:
            peak = y[i] if peak is None else max(peak, y[i])
        elif y[i] <= y[i - 1] and y[i] <= y[i + 1] and peak is not None:
            count += int(peak - y[i] >= max(swing, level_share * abs(y[i])))
            peak = None
    return count


def b_spikes(j: Judged) -> Verdict | None:
    best = None
    for split in ("train", "val"):
        total = j.table.totals.get(split)
        if total is None:
            continue
        events = spike_events(total, j.t)
        if events and (best is None or len(events) > len(best[1])):
            best = (split, events)
    if best is None:
        return None
    split, events = best
    f = finding("unstable_spikes", "error", j.axis, events[0][0], split=split, count=len(events),
                at=[e[0] for e in events][:5], factor=j.t.spike_factor, recur=j.t.spike_recur)
    return Verdict("B", f, ratio(len(events), j.t.spike_recur))


def spike_events(curve, t: R.CurveThresholds) -> list[tuple[float, float]]:
    """Spikes (x, ratio to the running median) and spells of non-finite points (ratio inf, at their
    first x), by x."""
    events = dict(R.spikes(curve.x, curve.y, t))
    bad = ~np.isfinite(curve.y)
    starts = bad & ~np.concatenate(([False], bad[:-1]))
    events.update({float(x): np.inf for x in curve.x[starts]})
    return sorted(events.items())


