"""DeepQ's scenario A-D from the total losses: every rule is measured, the first that fires decides.

Rules, in this order (the first that fires decides; none: A):
  B  diverged_nonfinite   a loss ends NaN/inf (AUTOTRAINER nan_loss)
  B  diverged_rise        the loss ends above its start
  B  diverged_rebound     after falling, it climbed back over half its gain, or ends > 2x its best
  B  diverged_blowup      a blow-up took a quarter of the run or more to come back from, or never did
  D  train_flat           the loss does not fall
  B  unstable_oscillation AUTOTRAINER ol_judge on a per-epoch (or per-evaluation) curve
  B  unstable_spikes      spikes recur
  D  train_flat           (within noise) a line through the curve falls less than its noise explains
  C  overfit_val_rises    val ends (mean of its end window) above its smoothed best by Prechelt's GL
  C  overfit_never_back   val was best early and never came back while train kept falling
  C  overfit_gap_widens   train falls significantly, val does not (train and val aligned by epoch)
B and D read the training loss (the validation loss when no training loss is logged); C needs both.

Each rule returns a `Verdict` with a score: the share of what it needs that it reached (>= 1 fires;
for several conditions, the weakest). A rule of another scenario that reached `close_share` of its
threshold, or fired but comes later in the order, is the close one the report names."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from insight.diagnose import curve_rules as R
from insight.diagnose.curve_trend import aligned, end_level, end_points, trend, window_points
from insight.diagnose.epochs import TOTAL, EpochTable
from insight.model.findings import Finding, Severity

BIG = 1e9  # the score of a condition met by any margin


@dataclass(frozen=True)
class Judged:
    """What the scenario rules read: the run's table and the total-loss profiles."""

    table: EpochTable
    train: R.Profile | None
    val: R.Profile | None
    context: object  # curves.CurveContext

    @property
    def axis(self) -> str:
        return self.table.x_axis

    @property
    def primary(self) -> R.Profile | None:
        return self.train or self.val

    @property
    def primary_split(self) -> str:
        return "train" if self.train else "val"

    @property
    def t(self) -> R.CurveThresholds:
        return self.context.thresholds

    def pair(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x, train, val) on one cadence (curve_trend.aligned)."""
        return aligned(self.train.x, self.train.y, self.val.x, self.val.y)


@dataclass(frozen=True)
class Verdict:
    scenario: str
    finding: Finding
    score: float  # >= 1: the rule fires

    @property
    def fired(self) -> bool:
        return self.score >= 1


def finding(code: str, severity: str, axis: str, epoch: float | None = None, **values) -> Finding:
    return Finding(code, Severity(severity), values={"x_axis": axis, **values}, epoch=epoch)


def ratio(measure: float, threshold: float) -> float:
    """measure / threshold as a score (measure must reach the threshold)."""
    if threshold <= 0:
        return BIG if measure >= threshold else 0.0
    return max(0.0, measure / threshold)


def below(measure: float, threshold: float) -> float:
    """A score for a measure that must stay strictly below the threshold (at it: just short of 1)."""
    if measure >= threshold:
        return min(threshold / measure, 1 - 1e-9) if measure > 0 else 1 - 1e-9
    return BIG if measure <= 0 else threshold / measure


def decide(j: Judged) -> tuple[str | None, Finding, list[Verdict]]:
    """The scenario letter, the finding of the rule that decided it (None: not enough to judge), and
    every rule's verdict."""
    missing = [s for s in ("train", "val") if s not in j.table.totals]
    if len(missing) == 2:
        return None, finding("missing_loss", "warning", j.axis, missing=missing), []
    blown = _b_nonfinite(j)
    if blown:
        return "B", blown, []
    p = j.primary
    if p is None or p.n < j.t.min_points:
        return None, finding("insufficient_data", "warning", j.axis, points=p.n if p else 0,
                             min_points=j.t.min_points, split=j.primary_split), []
    verdicts = [v for rule in RULES for v in [rule(j)] if v is not None]
    chosen = next((v for v in verdicts if v.fired), None)
    if chosen is None:
        return "A", _a_converged(j), verdicts
    return chosen.scenario, chosen.finding, verdicts


def close_to(scenario: str, verdicts: list[Verdict], t: R.CurveThresholds) -> Verdict | None:
    """The rule of another scenario that came closest to firing (or fired, later in the order), when it
    reached close_share of its threshold."""
    others = [v for v in verdicts if v.scenario != scenario and v.score >= t.close_share]
    fired = [v for v in others if v.fired]
    if fired:
        return fired[0]
    return max(others, key=lambda v: v.score, default=None)


def _b_nonfinite(j: Judged) -> Finding | None:
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


def _b_rise(j: Judged) -> Verdict:
    p, t = j.primary, j.t
    f = finding("diverged_rise", "error", j.axis, float(p.x[-1]), split=j.primary_split, start=p.early,
                end=p.end, rise_pct=-100 * p.fall, threshold_pct=100 * t.rise_above_start,
                ratio=p.end / p.early if p.early > 0 else None)
    return Verdict("B", f, ratio(-p.fall, t.rise_above_start))


def _b_rebound(j: Judged) -> Verdict:
    p, t = j.primary, j.t
    fell = R.pct((p.early - p.best) / abs(p.early)) if p.early else 0.0
    jump = p.end / (t.spike_factor * p.best) if p.best > 0 else 0.0
    blowup = min(jump, ratio(p.giveback, t.blowup_giveback))
    score = min(ratio(fell, t.rebound_min_fall), max(ratio(p.giveback, t.giveback_b), blowup))
    f = finding("diverged_rebound", "error", j.axis, p.best_x, split=j.primary_split, start=p.early,
                best=p.best, best_x=p.best_x, end=p.end, giveback_pct=100 * p.giveback,
                threshold_pct=100 * t.giveback_b, blowup=bool(blowup >= 1 and p.giveback < t.giveback_b),
                factor=t.spike_factor, ratio=p.end / p.best if p.best > 0 else None)
    return Verdict("B", f, score)


def _b_blowup(j: Judged) -> Verdict | None:
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
    f = finding("diverged_blowup", "error", j.axis, at, split=split, at=at, before=before, peak=peak,
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


def _d_flat(j: Judged) -> Verdict:
    p = j.primary
    return Verdict("D", _flat(j), below(R.pct(p.fall), j.t.d_min_fall))


def _d_flat_within_noise(j: Judged) -> Verdict | None:
    """D on a noisy curve (after the B rules, so a loss that swings or spikes is B): a least-squares line
    through the whole curve (log scale) falls by less than trend_z standard errors of its noise."""
    p, t = j.primary, j.t
    if p.noise <= 0:
        return None
    fall, z, _ = R.end_trend(p, t, p.n)
    return Verdict("D", _flat(j, within_noise=True, z=z, trend_z=t.trend_z), below(z, t.trend_z))


def _flat(j: Judged, within_noise: bool = False, **values) -> Finding:
    p = j.primary
    return finding("train_flat", "warning", j.axis, float(p.x[0]), split=j.primary_split,
                   start=p.early, end=p.end, fall_pct=100 * p.fall, threshold_pct=100 * j.t.d_min_fall,
                   jitter_pct=100 * p.noise, within_noise=within_noise, **values)


def _b_oscillation(j: Judged) -> Verdict | None:
    """AUTOTRAINER's ol_judge works on per-epoch history; a per-iteration loss swings with every batch,
    so a step-level curve is judged by spikes only, unless the training loss was logged about as often
    as the validation loss (one averaged value per evaluation, as MLflow and Keras autologging do)."""
    t = j.t
    per_evaluation = j.train is not None and j.val is not None and j.train.n <= t.per_eval_ratio * j.val.n
    if j.axis != "epoch" and not per_evaluation:
        return None
    p = j.primary
    swing = t.osc_swing * (p.early - p.best)
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


def _b_spikes(j: Judged) -> Verdict | None:
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


def _c_overfit(j: Judged) -> Verdict | None:
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


def _c_never_back(j: Judged) -> Verdict | None:
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


def _c_gap(j: Judged) -> Verdict | None:
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


def _a_converged(j: Judged) -> Finding:
    v = j.val
    p = j.primary
    values = dict(train_fall_pct=100 * p.fall, has_val=v is not None)
    if v is not None:
        i = int(np.argmin(v.y))
        end = end_level(v.y, j.t)
        values.update(val_best=float(v.y[i]), val_best_x=float(v.x[i]), val_end=end,
                      window=end_points(v.n, j.t), gl=R.pct(100 * (end / v.best - 1)) if v.best > 0 else 0.0,
                      alpha=j.t.gl_alpha, threshold=R.gl_threshold(v, j.t), noise_pct=100 * v.noise)
    return finding("converged", "info", j.axis, values.get("val_best_x"), **values)


def rising_components(table: EpochTable, split: str, t: R.CurveThresholds) -> list[str]:
    out = []
    for name in table.components.get(split, ()):
        c = table.curves[(split, name)]
        p = R.profile(c.x, c.y, t)
        if p is not None and p.n >= t.min_points and R.rose(p, t):
            out.append(name)
    return out


RULES = (_b_rise, _b_rebound, _b_blowup, _d_flat, _b_oscillation, _b_spikes, _d_flat_within_noise,
         _c_overfit, _c_never_back, _c_gap)
