"""The further curve findings (docs/curves.md), each with its epoch and the numbers behind it.

not_converged, noisy_val, val_below_train, underfit, best_epoch_early, component_imbalance,
metric_regressed, plus nonfinite_loss, loss_spike and missing_loss. Thresholds are read from the run's
CurveThresholds (curve_thresholds.py), which the CurveContext carries.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np

from insight.diagnose import curve_rules as R
from insight.diagnose.curve_diverge import spike_events
from insight.diagnose.curve_verdict import Judged
from insight.diagnose.epochs import TOTAL, EpochTable, higher_is_better, is_loss
from insight.diagnose.smoothing import noise
from insight.formatting import fmt_compared_values
from insight.model.findings import Finding, Severity

THRESHOLD_METRIC = re.compile(r"^(precision|recall)(_|$)", re.I)  # left to mAP when one is logged

# Most important first, within a severity.
PRIORITY = ("degenerate_run", "diverged_nonfinite", "diverged_rise", "diverged_rebound", "diverged_blowup", "unstable_oscillation",
            "unstable_spikes", "missing_loss", "insufficient_data", "nonfinite_loss", "metric_near_zero",
            "overfit_val_rises", "overfit_never_back", "overfit_gap_widens", "train_flat", "val_below_train",
            "component_imbalance", "underfit", "metric_regressed", "metric_spike_best", "noisy_val", "loss_spike",
            "best_epoch_early", "not_converged", "scenario_close", "converged")


def order(findings: list[Finding]) -> list[Finding]:
    rank = {c: i for i, c in enumerate(PRIORITY)}
    return sorted(findings, key=lambda f: (f.severity.rank, rank.get(f.code, len(rank))))


def _finding(code: str, severity: str, axis: str, epoch: float | None = None,
             compared: tuple[tuple[str, ...], ...] = (), **values) -> Finding:
    """A curve finding; `compared`: groups of its values the wording compares in one sentence, printed
    with the same decimals (Finding.shown)."""
    return Finding(code, Severity(severity), values={"x_axis": axis, **values}, epoch=epoch,
                   shown=fmt_compared_values(values, *compared))


def nonfinite_findings(table: EpochTable, decided_b: bool) -> list[Finding]:
    """One finding per loss curve holding NaN/inf (a summed total is not reported on its own)."""
    out = []
    for (split, name), c in table.curves.items():
        if not is_loss(name) or not len(c) or (name == TOTAL and split in table.summed):
            continue
        bad = ~np.isfinite(c.y)
        if not bad.any():
            continue
        at_end = not np.isfinite(c.y[-1])
        kinds = sorted({"NaN" if np.isnan(v) else "inf" for v in c.y[bad]})
        out.append(_finding("nonfinite_loss", "error" if decided_b and at_end else "warning", table.x_axis,
                            float(c.x[bad][0]), split=split, name=name, count=int(bad.sum()), points=len(c),
                            first=float(c.x[bad][0]), at_end=at_end, kinds=kinds,
                            raw=int(c.nonfinite_raw)))
    return out


def further_findings(j: Judged, scenario: str, rule: Finding) -> list[Finding]:
    out: list[Finding] = []
    axis = j.axis
    if j.train is None or j.val is None:
        measured = j.table.totals.get("val") if j.val is None else None
        points = int(measured.finite.sum()) if measured is not None else 0
        out.append(_finding("missing_loss", "warning" if j.val is None else "info", axis,
                            missing=["val" if j.val is None else "train"], val_points=points,
                            val_x=[float(x) for x in measured.x[measured.finite]][:5] if points else [],
                            min_points=j.t.min_points))
    for check in (_not_converged, _noisy_val, _val_below_train, _underfit, _best_epoch_early, _loss_spikes):
        f = check(j, scenario, rule)
        if f is not None:
            out.append(f)
    out += _component_imbalance(j)
    out += _metric_regressed(j.table, j.t)
    return out


def _not_converged(j: Judged, scenario: str, rule: Finding) -> Finding | None:
    """Curve A still improving when it stopped: the primary loss still falls beyond its noise, and the
    validation loss (when there is one) does too, or reached its best within early stopping's patience
    of the end with its end still falling (a short, noisy validation end proves no trend on its own)."""
    t, p, v = j.t, j.primary, j.val if j.train is not None else None
    if scenario != "A" or not R.still_falling(p, t):
        return None
    val_trend = v is None or R.still_falling(v, t)
    if not val_trend and not R.still_improving(v, t):
        return None
    k = R.end_trend(p, t)[2]
    drops = {name: 100 * R.end_trend(q, t)[0] if q is not None else None
             for name, q in (("train", j.train), ("val", j.val))}
    values = {}
    if not val_trend:
        best = int(np.argmin(v.y))
        values = dict(val_best=float(v.y[best]), val_best_x=float(v.x[best]),
                      patience=R.es_patience(int(np.isfinite(v.y).sum()), t))
    return _finding("not_converged", "info", j.axis, float(p.x[-1]), compared=(("train_drop_pct", "val_drop_pct"),),
                    since=float(p.x[-k]), points=k, spaced=bool(p.x[-1] - p.x[-k] != k - 1),
                    train_drop_pct=drops["train"], val_drop_pct=drops["val"],
                    threshold_pct=100 * t.not_converged_drop, share_pct=100 * t.end_share,
                    noise_measured=all(q.noise > 0 for q in ((j.train, j.val) if val_trend else (p,)) if q is not None),
                    val_beyond_noise=val_trend, **values)


def _noisy_val(j: Judged, scenario: str, rule: Finding) -> Finding | None:
    t = j.t
    if j.train is None or j.val is None or j.val.n < t.noise_min_points:
        return None
    nt, nv = j.train.noise, j.val.noise
    if nv >= t.noisy_min and nv >= t.noisy_ratio * nt:
        return _finding("noisy_val", "warning", j.axis, compared=(("val_jitter_pct", "train_jitter_pct"),),
                        val_jitter_pct=100 * nv, train_jitter_pct=100 * nt,
                        ratio=nv / nt if nt > 0 else None, min_pct=100 * t.noisy_min, points=j.val.n)
    return None


def _val_below_train(j: Judged, scenario: str, rule: Finding) -> Finding | None:
    t, v = j.train, j.val
    if t is None or v is None or t.end_med <= 0:
        return None
    below = R.pct(1 - v.end_med / t.end_med)
    if below < j.t.val_below_margin:
        return None
    leak = j.context.has_leakage
    return _finding("val_below_train", "warning" if leak else "info", j.axis, float(v.x[-1]),
                    compared=(("val", "train"),), train=t.end_med, val=v.end_med, below_pct=100 * below,
                    threshold_pct=100 * j.t.val_below_margin, leakage=leak)


def _underfit(j: Judged, scenario: str, rule: Finding) -> Finding | None:
    profiles, t = [p for p in (j.train, j.val) if p is not None], j.t
    if scenario not in ("A", "C") or not profiles:
        return None
    if not all(p.fall_from_first < t.underfit_fall and not R.still_falling(p, t)
               and R.levelled_since(p, t.plateau_by, t) for p in profiles):
        return None
    p = j.primary
    where = min(min(R.plateau_position(q, t) for q in profiles), t.plateau_by)
    return _finding("underfit", "warning", j.axis, float(np.interp(where, [0, 1], [p.x[0], p.x[-1]])),
                    compared=(("train_fall_pct", "val_fall_pct"),),
                    train_fall_pct=100 * j.train.fall_from_first if j.train else None,
                    val_fall_pct=100 * j.val.fall_from_first if j.val else None,
                    train_end=j.train.end if j.train else None, val_end=j.val.end if j.val else None,
                    threshold_pct=100 * t.underfit_fall)


def _best_epoch_early(j: Judged, scenario: str, rule: Finding) -> Finding | None:
    """Early stopping would have saved best_early_share of the run; not repeated when overfit_never_back,
    which is built on the same test, decided the scenario (its text gives these numbers)."""
    v, t = j.val, j.t
    if v is None or v.n < t.min_points or rule.code == "overfit_never_back":
        return None
    stop = R.early_stop(v.x, v.y, t)
    if stop is None:
        return None
    best_x, stop_x, patience = stop
    span = v.x[-1] - v.x[0]
    saved = R.pct((v.x[-1] - stop_x) / span) if span > 0 else 0.0
    if saved < t.best_early_share:
        return None
    return _finding("best_epoch_early", "info", j.axis, best_x, best_x=best_x, best=float(np.min(v.y)),
                    stop_x=stop_x, last_x=float(v.x[-1]), patience=patience, saved_pct=100 * saved,
                    threshold_pct=100 * t.best_early_share)


def _loss_spikes(j: Judged, scenario: str, rule: Finding) -> Finding | None:
    if rule.code == "unstable_spikes":
        return None
    for split in ("train", "val"):
        total = j.table.totals.get(split)
        if total is None:
            continue
        events = [e for e in spike_events(total, j.t) if np.isfinite(e[1])]
        if events:
            x, ratio = max(events, key=lambda e: e[1])
            return _finding("loss_spike", "warning", j.axis, x, split=split, count=len(events),
                            at=[e[0] for e in events][:5], ratio=ratio, factor=j.t.spike_factor)
    return None


def _component_imbalance(j: Judged) -> list[Finding]:
    """Components that rose from their best (GL >= alpha against the smoothed best, which lies at least a
    quarter of the run before the end, a material share of the total) while the split's total or another
    component did not: one finding per split, naming them. This is the whole consequence of a rising
    component: the scenario is judged on the total (curve_overfit.py says why). Each component's best is
    its raw best, as the metrics table shows it, with the smoothed best the GL is measured from."""
    out, t = [], j.t
    for split in ("val", "train"):
        total = j.val if split == "val" else j.train
        profiles = _component_profiles(j.table, split, total, t)
        if total is None or len(profiles) < 2:
            continue
        rising = [(n, p) for n, p in profiles.items() if R.rose(p, t)
                  and p.position(p.smooth_best_x) <= 1 - t.component_rise_span]
        steady = [n for n, p in profiles.items() if not R.rose(p, t)]
        if not rising or (not steady and R.rose(total, t)):
            continue
        rising.sort(key=lambda item: -item[1].gl)
        items = [{"name": n, "best": p.best, "best_x": p.best_x, "smoothed_best": p.smooth_best,
                  "smoothed_best_x": p.smooth_best_x, "end": p.end, "gl": p.gl} for n, p in rising]
        f = _finding("component_imbalance", "warning", j.axis, items[0]["best_x"], split=split,
                     **items[0], rising=items, others=steady, total_gl=total.gl, alpha=t.gl_alpha)
        shown = [fmt_compared_values(item, ("smoothed_best", "end", "best")) for item in items]  # per component
        out.append(replace(f, shown={"rising": shown}))
    return out


def _component_profiles(table: EpochTable, split: str, total, t: R.CurveThresholds) -> dict:
    """Profiles of the split's components that make up at least component_min_share of its total."""
    out = {}
    for name in table.components.get(split, ()):
        c = table.curves[(split, name)]
        p = R.profile(c.x, c.y, t)
        if p is None or p.n < t.min_points or total is None:
            continue
        if total.end > 0 and p.end / total.end >= t.component_min_share:
            out[name] = p
    return out


def _metric_regressed(table: EpochTable, t: R.CurveThresholds) -> list[Finding]:
    """Validation metrics only: they measure the model; a training-time statistic is not a result."""
    out = []
    for (split, name), c in table.curves.items():
        if split != "val" or not _judged_metric(table, split, name):
            continue
        ok = c.finite
        if ok.sum() < t.min_points:
            continue
        x, y = c.x[ok], c.y[ok]
        i = int(np.argmax(y))
        best = float(y[i])
        end = max(float(np.median(y[-R.window(y.size, t.end_share, t):])), float(y[-1]))  # one dip is not an end
        drop = R.pct((best - end) / abs(best)) if best else 0.0
        spread = noise(y) if y.size >= t.noise_min_points else 0.0
        threshold = max(t.metric_drop, R.pct(-math.expm1(-t.gl_noise_z * spread)))  # a noisy best is a lucky draw
        if drop >= threshold:
            out.append(_finding("metric_regressed", "warning", table.x_axis, float(x[i]),
                                compared=(("best", "end"),), split=split,
                                name=name, best=best, best_x=float(x[i]), end=end, drop_pct=100 * drop,
                                threshold_pct=100 * threshold, noise_pct=100 * spread,
                                raised=threshold > t.metric_drop, base_pct=100 * t.metric_drop))
    return out


def _judged_metric(table: EpochTable, split: str, name: str) -> bool:
    """Higher-is-better quality metrics. Precision and recall at one confidence threshold trade against
    each other, so they are left to mAP when the split logs an mAP."""
    if not higher_is_better(name):
        return False
    if THRESHOLD_METRIC.match(name):
        return not any(s == split and n.lower().startswith("map") for s, n in table.curves)
    return True
