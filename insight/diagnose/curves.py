"""The training-curve diagnosis (docs/curves.md): a pure function of a `Run`.

`diagnose_run(run, context)` brings the metrics to one value per epoch (epochs.py), reads the total
train and val loss, decides DeepQ's scenario A-D with the first rule that fires (curve_scenarios.py
lists them in order; the rules: curve_diverge.py for B, curve_flat.py for D, curve_overfit.py for C; their
numbers: curve_thresholds.py), names another scenario that came close (`scenario_close`), and adds the further
findings (curve_findings.py, curve_metrics.py). The decision is returned as data: `rule_finding.code`
names the rule and its `values` hold the numbers; the wording lives in templates/findings/<code>.txt."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from insight.diagnose import curve_rules as R
from insight.diagnose.curve_findings import further_findings, nonfinite_findings, order
from insight.diagnose.curve_metrics import degenerate_run, metric_findings
from insight.diagnose.curve_scenarios import Judged, Verdict, close_to, decide, finding
from insight.diagnose.epochs import TOTAL, Curve, EpochTable, higher_is_better, per_epoch
from insight.diagnose.smoothing import describe
from insight.logs.names import logged_as
from insight.model.findings import Finding
from insight.model.insight import CurveDiagnosis, MetricSummary
from insight.model.run import Run
from insight.ordering import natural_key

# Kept importable from here (tests and older callers read them from this module).
from insight.diagnose.curve_scenarios import oscillation_pairs, rising_components, spike_events  # noqa: F401


@dataclass(frozen=True)
class CurveContext:
    """Facts from the data side that change what the curves mean."""

    has_leakage: bool = False  # the dataset has duplicate images across train and val
    underrepresented: tuple[str, ...] = ()  # classes below the representation cutoff
    thresholds: R.CurveThresholds = R.CurveThresholds()  # the numbers the rules decide by
    classes_known: bool = False  # a dataset was read, so `underrepresented` is known (empty: balanced)


def diagnose_run(run: Run, context: CurveContext | None = None) -> CurveDiagnosis:
    context = context or CurveContext()
    t = context.thresholds
    table = per_epoch(run, t)
    train, val = (_profile(table.totals.get(s), t) for s in ("train", "val"))
    if train is not None and val is not None and val.n < t.min_points:
        val = None  # measured too rarely to judge (validation switched off, or run every N epochs)
    judged = Judged(table, train, val, context)
    scenario, rule, verdicts = decide(judged)
    on = judged_on(table) if train is None else "+".join(s for s, p in (("train", train), ("val", val)) if p)
    rule = replace(rule, values={**rule.values, "judged_on": on})
    findings = nonfinite_findings(table, decided_b=rule.code == "diverged_nonfinite")
    degenerate = degenerate_run(table, t) if scenario is not None else None
    if degenerate is not None:  # nothing was learned: no scenario, whatever the losses show (cannot judge)
        scenario, rule = None, _with_reading(degenerate, scenario, rule, on)
        findings.append(rule)
    elif scenario is not None:
        findings += further_findings(judged, scenario, rule)
        findings += metric_findings(table, t)
        close = close_to(scenario, verdicts, t)
        if close is not None:
            findings.append(close_finding(judged, scenario, rule, close))
    else:
        findings.append(rule)
    return CurveDiagnosis(
        format=run.format, source=run.source, scenario=scenario, judged_on=on,
        findings=tuple(order(findings)),
        metrics=tuple(metric_summaries(table)), rule_finding=rule, x_axis=table.x_axis,
        smoothing=describe(_charted_points(table), t.sigma_share, t.min_sigma, table.x_axis), losses=loss_names(table),
        notes=tuple(run.notes) + table.notes + t.changes(), table=long_table(table, t),
        logged_names=logged_total(run))


def logged_total(run: Run) -> dict[str, str]:
    """{"loss": the name the log gave its total loss} when every split logged it under one name that is not
    plain loss (Detectron2's total_loss); {} otherwise (plain loss, names that differ by split, or a total
    summed from components, which no column holds)."""
    sources = run.metrics.loc[run.metrics["name"] == TOTAL, "source"].dropna().unique()
    spelled = {logged_as(str(s)) for s in sources}
    return {TOTAL: spelled.pop()} if len(spelled) == 1 and TOTAL not in spelled else {}


def _with_reading(degenerate: Finding, scenario: str, rule: Finding, on: str) -> Finding:
    """The degenerate_run finding, which then decides the (absent) scenario, with what the loss rules alone
    would have said: the losses of a run that learned nothing can still fall, so their reading is given,
    not followed."""
    values = {**degenerate.values, "losses_read_as": scenario, "losses_rule": rule.code, "judged_on": on}
    return replace(degenerate, values=values)


def judged_on(table: EpochTable) -> str:
    """The losses the scenario was judged on: "train+val", "train" (no validation loss, or one measured at
    fewer than min_points points: overfitting cannot be seen), "val" (no training loss) or "none"."""
    return "+".join(s for s in ("train", "val") if s in table.totals) or "none"


def close_finding(j: Judged, scenario: str, rule: Finding, close: Verdict) -> Finding:
    """Which other scenario came close, how close, and why the chosen one stands."""
    return finding("scenario_close", "info", j.axis, close.finding.epoch, chosen=scenario, chosen_code=rule.code,
                   other=close.scenario, other_code=close.finding.code, fired=close.fired,
                   reached_pct=100 * min(close.score, 1.0), close_pct=100 * j.t.close_share)


def _charted_points(table) -> dict[str, int]:
    """Points of each split's total loss as the charts smooth them (NaN/inf points included: the
    smoothed lines are drawn over the whole curve)."""
    return {s: int(np.asarray(table.totals[s].x).size) for s in ("train", "val") if s in table.totals}


def _profile(curve: Curve | None, t: R.CurveThresholds) -> R.Profile | None:
    return R.profile(curve.x, curve.y, t) if curve is not None else None


# -- summaries for the report -------------------------------------------------------------------------------

def metric_summaries(table: EpochTable) -> list[MetricSummary]:
    """One row per loss and quality metric, with its best raw value (the one best the report shows)."""
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
    return (rank, natural_key(name), split)


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
