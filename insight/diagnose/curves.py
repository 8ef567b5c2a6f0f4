"""The training-curve diagnosis (DESIGN.md §4): a pure function of a `Run`.

`diagnose_run(run, context)` brings the metrics to one value per epoch (epochs.py), reads the total
train and val loss, decides DeepQ's scenario A-D with the first rule that fires (in this order:
B non-finite at the end, B rise above the start or rebound, D flat, B oscillation, B recurring spikes,
D flat within its noise, C generalisation loss, C widening gap, else A) and adds the further findings
(curve_findings.py). B and D read the training loss (the validation loss when no training loss is
logged); C needs both. The decision is returned as data: `rule_finding.code` names the rule and
its `values` hold the numbers; the wording lives in templates/findings/<code>.txt."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from insight.diagnose import curve_rules as R
from insight.diagnose.curve_findings import further_findings, nonfinite_findings, order
from insight.diagnose.epochs import TOTAL, Curve, EpochTable, higher_is_better, per_epoch
from insight.diagnose.smoothing import describe
from insight.model.findings import Finding, Severity
from insight.model.insight import CurveDiagnosis, MetricSummary
from insight.model.run import Run


@dataclass(frozen=True)
class CurveContext:
    """Facts from the data side that change what the curves mean."""

    has_leakage: bool = False  # the dataset has duplicate images across train and val
    underrepresented: tuple[str, ...] = ()  # classes below the representation cutoff
    thresholds: R.CurveThresholds = R.CurveThresholds()  # the numbers the rules decide by


@dataclass(frozen=True)
class Judged:
    """What the scenario rules read: the run's table and the total-loss profiles."""

    table: EpochTable
    train: R.Profile | None
    val: R.Profile | None
    context: CurveContext

    @property
    def axis(self) -> str:
        return self.table.x_axis

    @property
    def primary(self) -> R.Profile | None:
        return self.train or self.val

    @property
    def t(self) -> R.CurveThresholds:
        return self.context.thresholds


def diagnose_run(run: Run, context: CurveContext | None = None) -> CurveDiagnosis:
    context = context or CurveContext()
    t = context.thresholds
    table = per_epoch(run, t)
    train, val = (_profile(table.totals.get(s), t) for s in ("train", "val"))
    judged = Judged(table, train, val, context)
    scenario, rule = decide(judged)
    findings = nonfinite_findings(table, decided_b=rule.code == "diverged_nonfinite")
    if scenario is not None:
        findings += further_findings(judged, scenario, rule)
    else:
        findings.append(rule)
    return CurveDiagnosis(
        format=run.format, source=run.source, scenario=scenario, judged_on=judged_on(table),
        findings=tuple(order(findings)),
        metrics=tuple(metric_summaries(table)), rule_finding=rule, x_axis=table.x_axis,
        smoothing=describe(_charted_points(table), t.sigma_share, t.min_sigma), losses=loss_names(table),
        notes=tuple(run.notes) + table.notes + t.changes(), table=long_table(table, t))


def judged_on(table: EpochTable) -> str:
    """The losses the scenario was judged on: "train+val", "train" (no validation loss: overfitting
    cannot be seen), "val" (no training loss) or "none"."""
    return "+".join(s for s in ("train", "val") if s in table.totals) or "none"


def _charted_points(table) -> dict[str, int]:
    """Points of each split's total loss as the charts smooth them (NaN/inf points included: the
    smoothed lines are drawn over the whole curve)."""
    return {s: int(np.asarray(table.totals[s].x).size) for s in ("train", "val") if s in table.totals}


def _profile(curve: Curve | None, t: R.CurveThresholds) -> R.Profile | None:
    return R.profile(curve.x, curve.y, t) if curve is not None else None


def finding(code: str, severity: str, axis: str, epoch: float | None = None, **values) -> Finding:
    return Finding(code, Severity(severity), values={"x_axis": axis, **values}, epoch=epoch)


# -- the scenario ------------------------------------------------------------------------------------------

def decide(j: Judged) -> tuple[str | None, Finding]:
    """The scenario letter and the finding of the rule that decided it (None: not enough to judge)."""
    missing = [s for s in ("train", "val") if s not in j.table.totals]
    if len(missing) == 2:
        return None, finding("missing_loss", "warning", j.axis, missing=missing)
    blown = _b_nonfinite(j)
    if blown:
        return "B", blown
    p = j.primary
    if p is None or p.n < j.t.min_points:
        split = "train" if j.train else "val"
        return None, finding("insufficient_data", "warning", j.axis, points=p.n if p else 0,
                             min_points=j.t.min_points, split=split)
    for rule in (_b_rise, _d_flat, _b_oscillation, _b_spikes, _d_flat_within_noise, _c_overfit, _c_gap):
        found = rule(j)
        if found is not None:
            return found
    return "A", _a_converged(j)


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


def _b_rise(j: Judged):
    p, t = j.primary, j.t
    split = "train" if j.train else "val"
    if p.fall <= -t.rise_above_start:
        return "B", finding("diverged_rise", "error", j.axis, float(p.x[-1]), split=split, start=p.early,
                            end=p.end, rise_pct=-100 * p.fall, threshold_pct=100 * t.rise_above_start,
                            ratio=p.end / p.early if p.early > 0 else None)
    fell = R.pct((p.early - p.best) / abs(p.early)) if p.early else 0.0
    blowup = p.best > 0 and p.end > t.spike_factor * p.best and p.giveback >= t.blowup_giveback
    if fell >= t.rebound_min_fall and (p.giveback >= t.giveback_b or blowup):
        return "B", finding("diverged_rebound", "error", j.axis, p.best_x, split=split, start=p.early,
                            best=p.best, best_x=p.best_x, end=p.end, giveback_pct=100 * p.giveback,
                            threshold_pct=100 * t.giveback_b, blowup=bool(blowup and p.giveback < t.giveback_b),
                            factor=t.spike_factor, ratio=p.end / p.best if p.best > 0 else None)
    return None


def _d_flat(j: Judged):
    p = j.primary
    if p.fall < j.t.d_min_fall:
        return "D", _flat(j)
    return None


def _d_flat_within_noise(j: Judged):
    """D on a noisy curve (after the B rules, so a loss that swings or spikes is B): a least-squares line
    through the whole curve (log scale) falls by less than trend_z standard errors of its noise."""
    p, t = j.primary, j.t
    fall, z, _ = R.end_trend(p, t, p.n)
    if p.noise > 0 and z < t.trend_z:
        return "D", _flat(j, within_noise=True, z=z, trend_z=t.trend_z)
    return None


def _flat(j: Judged, within_noise: bool = False, **values) -> Finding:
    p = j.primary
    return finding("train_flat", "warning", j.axis, float(p.x[0]), split="train" if j.train else "val",
                   start=p.early, end=p.end, fall_pct=100 * p.fall, threshold_pct=100 * j.t.d_min_fall,
                   jitter_pct=100 * p.noise, within_noise=within_noise, **values)


def _b_oscillation(j: Judged):
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
    if pairs >= max(1, t.osc_rate * p.n):
        return "B", finding("unstable_oscillation", "error", j.axis, split="train" if j.train else "val",
                            pairs=pairs, points=p.n, swing=swing, swing_pct=100 * t.osc_swing,
                            level_pct=100 * t.osc_level, rate_pct=100 * t.osc_rate)
    return None


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


def _b_spikes(j: Judged):
    for split in ("train", "val"):
        total = j.table.totals.get(split)
        if total is None:
            continue
        events = spike_events(total, j.t)
        if len(events) >= j.t.spike_recur:
            return "B", finding("unstable_spikes", "error", j.axis, events[0][0], split=split,
                                count=len(events), at=[e[0] for e in events][:5],
                                factor=j.t.spike_factor, recur=j.t.spike_recur)
    return None


def spike_events(curve: Curve, t: R.CurveThresholds) -> list[tuple[float, float]]:
    """Spikes (x, ratio to the running median) and spells of non-finite points (ratio inf, at their
    first x), by x."""
    events = dict(R.spikes(curve.x, curve.y, t))
    bad = ~np.isfinite(curve.y)
    starts = bad & ~np.concatenate(([False], bad[:-1]))
    events.update({float(x): np.inf for x in curve.x[starts]})
    return sorted(events.items())


def _c_overfit(j: Judged):
    t, v, th = j.train, j.val, j.t
    if t is None or v is None or v.n < th.min_points or not R.rose(v, th):
        return None
    at_best = t.at(v.best_x)
    train_fall = R.pct((at_best - t.end) / abs(at_best)) if at_best else 0.0
    if train_fall < th.train_still_falls:
        return None
    return "C", finding("overfit_val_rises", "warning", j.axis, v.best_x, best_x=v.best_x, best=v.best,
                        end=v.end, gl=v.gl, alpha=th.gl_alpha, threshold=R.gl_threshold(v, th),
                        noise_pct=100 * v.noise, train_fall_pct=100 * train_fall,
                        rising=rising_components(j.table, "val", th),
                        underrepresented=list(j.context.underrepresented))


def _c_gap(j: Judged):
    """The gap widens: validation is no longer falling at its end, and over the second half the training
    loss fell >= gap_train_fall while validation fell less than gap_slow_ratio as much (log terms); or,
    over the whole run, the training loss fell that much while validation ended no lower than it started
    (it never improved)."""
    t, v, th = j.train, j.val, j.t
    if t is None or v is None or v.n < th.min_points or v.end <= t.end or R.still_falling(v, th):
        return None  # a validation loss still falling at the end has not stopped improving
    lo, hi = max(t.x[0], v.x[0]), min(t.x[-1], v.x[-1])
    if hi <= lo:
        return None
    mid = (lo + hi) / 2
    ft, fv = R.log_fall(t.at(mid), t.end), R.log_fall(v.at(mid), v.end)
    if ft is not None and fv is not None and ft >= th.gap_train_log_fall and fv <= th.gap_slow_ratio * ft:
        return "C", _gap_finding(j, mid, ft, fv, t.at(mid), v.at(mid), whole_run=False)
    ft, fv = R.log_fall(t.early, t.end), R.log_fall(v.early, v.end)
    if ft is not None and fv is not None and ft >= th.gap_train_log_fall and fv <= 0:
        return "C", _gap_finding(j, lo, ft, fv, t.early, v.early, whole_run=True)
    return None


def _gap_finding(j: Judged, start: float, ft: float, fv: float, train_then: float, val_then: float,
                 whole_run: bool) -> Finding:
    t, v, th = j.train, j.val, j.t
    since = float(v.x[min(int(np.searchsorted(v.x, start)), v.n - 1)])  # first val point of the span
    settled = float(np.interp(R.plateau_position(v, th), [0, 1], [v.x[0], v.x[-1]]))
    where = float(v.x[np.argmin(np.abs(v.x - min(v.best_x, settled, since)))])
    val_change = 100 * (1 - float(np.exp(-fv)))
    return finding("overfit_gap_widens", "warning", j.axis, where, since=since, val_settled_x=where,
                   val_best_x=v.best_x, val_best=v.best, val_end=v.end, val_start=val_then,
                   train_fall_pct=100 * (1 - float(np.exp(-ft))),
                   val_fall_pct=max(0.0, val_change), val_rise_pct=max(0.0, -val_change),
                   ratio_then=val_then / train_then, ratio_end=v.end / t.end, whole_run=whole_run,
                   underrepresented=list(j.context.underrepresented))


def _a_converged(j: Judged) -> Finding:
    v = j.val
    p = j.primary
    values = dict(train_fall_pct=100 * p.fall, has_val=v is not None)
    if v is not None:
        i = int(np.argmin(v.y))
        values.update(val_best=float(v.y[i]), val_best_x=float(v.x[i]), val_end=float(v.y[-1]), gl=v.gl,
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


# -- summaries for the report -------------------------------------------------------------------------------

def metric_summaries(table: EpochTable) -> list[MetricSummary]:
    rows = []
    for (split, name), c in sorted(table.curves.items(), key=lambda kv: _summary_key(table, kv[0])):
        higher = higher_is_better(name)
        if higher is None or not len(c) or f"{split}/{name}" in table.zero_components:
            continue
        ok = c.finite
        if ok.any():
            i = int(np.argmax(np.where(ok, c.y, -np.inf)) if higher else np.argmin(np.where(ok, c.y, np.inf)))
            best, best_x = float(c.y[i]), float(c.x[i])
        else:
            best, best_x = None, None
        rows.append(MetricSummary(name, split, best, best_x, float(c.y[-1]), higher))
    return rows


def _summary_key(table: EpochTable, key: tuple[str, str]):
    split, name = key
    losses = loss_names(table)
    rank = losses.index(name) if name in losses else len(losses)
    return (rank, name, split)


def loss_names(table: EpochTable) -> tuple[str, ...]:
    """The loss curves to chart: the total first, then the components (not all-zero ones)."""
    comps: list[str] = []
    for split in ("train", "val"):
        comps += [n for n in table.components.get(split, ()) if n not in comps]
    total = (TOTAL,) if table.totals else ()
    return total + tuple(comps)


def long_table(table: EpochTable, t: R.CurveThresholds) -> pd.DataFrame:
    frames = []
    for (split, name), c in table.curves.items():
        if not len(c) or f"{split}/{name}" in table.zero_components:
            continue
        frames.append(pd.DataFrame({"x": c.x, "split": split, "name": name, "value": c.y,
                                    "smoothed": t.smooth(c.y)}))
    if not frames:
        return pd.DataFrame({"x": pd.Series(dtype=float), "split": pd.Series(dtype=str),
                             "name": pd.Series(dtype=str), "value": pd.Series(dtype=float),
                             "smoothed": pd.Series(dtype=float)})
    return pd.concat(frames, ignore_index=True).sort_values(["name", "split", "x"], ignore_index=True)
