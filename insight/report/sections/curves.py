"""Training curves: the scenario (Curves A-D) with the rule that fired and its advice, a chart per
loss (train vs val, best val marked), then a chart per metric (best and last marked)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from insight.charts.curves import Mark, loss_chart, metric_chart
from insight.charts.style import chart_key
from insight.model.insight import CurveDiagnosis, MetricSummary
from insight.report.sections.common import Chart, FindingRow, chart, finding_rows

SCENARIO_TITLES = {
    "A": "Curve A: training is going well",
    "B": "Curve B: unstable training",
    "C": "Curve C: overfitting",
    "D": "Curve D: the model is not learning",
}


@dataclass(frozen=True)
class MetricRow:
    """Best and last value of one logged series; `direction` is "higher" or "lower" (is better)."""

    name: str
    split: str
    best: float | None
    best_epoch: float | None
    last: float | None
    direction: str


@dataclass(frozen=True)
class CurvesContext:
    """Template: sections/curves.html.

    error: why there are no curves (the log could not be used), else None. When error is None and
    scenario is None the log was read but held too little to judge (notes say why).
    scenario: A | B | C | D | None; scenario_title: its name; rule: the rule that fired, worded;
    advice: what to do. findings: further curve findings, most important first. source/format: the
    log read. x_axis: "epoch" or "step". smoothing: how the smoothed lines were made.
    loss_charts, metric_charts: the charts. metrics: best/last table rows.
    """

    error: str | None
    scenario: str | None
    scenario_title: str
    rule: str
    advice: str
    findings: tuple[FindingRow, ...]
    source: str
    format: str
    x_axis: str
    smoothing: str
    notes: tuple[str, ...]
    loss_charts: tuple[Chart, ...]
    metric_charts: tuple[Chart, ...]
    metrics: tuple[MetricRow, ...]


def build_curves(curves: CurveDiagnosis | None, curves_error: str | None) -> CurvesContext:
    error = curves_error
    if curves is None:
        return CurvesContext(error=error or "No training log was given.", scenario=None,
                             scenario_title="", rule="", advice="", findings=(), source="", format="",
                             x_axis="epoch", smoothing="", notes=(), loss_charts=(), metric_charts=(),
                             metrics=())
    table = curves.table if curves.table is not None else empty_curve_table()
    return CurvesContext(
        error=error, scenario=curves.scenario,
        scenario_title=SCENARIO_TITLES.get(curves.scenario or "", "Not enough data to judge the curves"),
        rule=curves.rule, advice=curves.advice, findings=finding_rows(curves.further_findings),
        source=curves.source, format=curves.format, x_axis=curves.x_axis, smoothing=curves.smoothing,
        notes=tuple(curves.notes), loss_charts=_loss_charts(curves, table),
        metric_charts=_metric_charts(curves, table),
        metrics=tuple(_metric_row(m) for m in curves.metrics))


def empty_curve_table() -> pd.DataFrame:
    return pd.DataFrame({"x": [], "split": [], "name": [], "value": [], "smoothed": []})


def loss_names(curves: CurveDiagnosis, table: pd.DataFrame) -> list[str]:
    present = set(table["name"])
    return [n for n in curves.losses if n in present]


def is_learning_rate(name: str) -> bool:
    return name == "lr" or name.startswith(("lr_", "lr/", "lr-"))


def metric_names(curves: CurveDiagnosis, table: pd.DataFrame) -> list[str]:
    """Charted metrics: those summarised first, in their order, then any other logged name;
    learning rates last."""
    losses = set(curves.losses)
    names = list(dict.fromkeys([m.name for m in curves.metrics] + sorted(set(table["name"]))))
    names = [n for n in names if n not in losses and n in set(table["name"])]
    return sorted(names, key=is_learning_rate)


def _summary(curves: CurveDiagnosis, name: str, split: str) -> MetricSummary | None:
    return next((m for m in curves.metrics if m.name == name and m.split == split), None)


def _best_val_mark(curves: CurveDiagnosis, name: str, rows: pd.DataFrame) -> list[Mark]:
    """The best val value: from the run's summary (its best_epoch is in x units, epochs or steps), else
    the smallest finite val value in the table."""
    summary = _summary(curves, name, "val")
    if summary and summary.best is not None and summary.best_epoch is not None:
        return [Mark("val", "best", float(summary.best_epoch), float(summary.best))]
    val = rows[(rows["split"] == "val") & np.isfinite(rows["value"].astype(float))]
    if val.empty:
        return []
    best = val.loc[val["value"].idxmin()]
    return [Mark("val", "best", float(best["x"]), float(best["value"]))]


def _loss_charts(curves: CurveDiagnosis, table: pd.DataFrame) -> tuple[Chart, ...]:
    label = curves.x_axis
    out = []
    for name in loss_names(curves, table):
        rows = table[table["name"] == name]
        key = chart_key("loss", name)
        svg = loss_chart(rows, name, label, _best_val_mark(curves, name, rows), key=key)
        out.append(chart(key, svg, f"{name} per {label} ({_splits(rows)}); faint: raw values, solid: smoothed;"
                                   " star: best val value."))
    return tuple(out)


def _metric_marks(curves: CurveDiagnosis, name: str) -> list[Mark]:
    marks = []
    for m in curves.metrics:
        if m.name != name or m.best_epoch is None:
            continue
        if m.best is not None:
            marks.append(Mark(m.split, "best", float(m.best_epoch), float(m.best)))
    return marks


def _metric_charts(curves: CurveDiagnosis, table: pd.DataFrame) -> tuple[Chart, ...]:
    names = metric_names(curves, table)
    out = []
    for name in [n for n in names if not is_learning_rate(n)]:
        rows = table[table["name"] == name]
        key = chart_key("metric", name)
        marks = _metric_marks(curves, name) + _last_marks(rows)
        quality = any(m.name == name and m.higher_is_better for m in curves.metrics)  # 0..1: read it linearly
        svg = metric_chart(rows, name, curves.x_axis, marks, key=key, allow_log=not quality)
        out.append(chart(key, svg, f"{name} per {curves.x_axis} ({_splits(rows)}); star: best, circle: last."))
    rates = [n for n in names if is_learning_rate(n)]
    if rates:
        out.append(_learning_rate_chart(table, rates, curves.x_axis))
    return tuple(out)


def _learning_rate_chart(table: pd.DataFrame, names: list[str], x_axis: str) -> Chart:
    """All learning rates (one per parameter group, often) in one chart, one line each."""
    rows = table[table["name"].isin(names)]
    if len(names) > 1:
        rows = rows.assign(split=rows["name"])
    svg = metric_chart(rows, "learning rate", x_axis, key="metric-lr")
    return chart("metric-lr", svg, f"Learning rate per {x_axis}: {', '.join(names)}.")


def _splits(rows: pd.DataFrame) -> str:
    present = [s for s in ("train", "val") if (rows["split"] == s).any()]
    return " and ".join(present)


def _last_marks(rows: pd.DataFrame) -> list[Mark]:
    """The last logged finite value of each split."""
    marks = []
    for split in ("train", "val"):
        part = rows[(rows["split"] == split) & np.isfinite(rows["value"].astype(float))]
        if not part.empty:
            last = part.sort_values("x", kind="stable").iloc[-1]
            marks.append(Mark(split, "last", float(last["x"]), float(last["value"])))
    return marks


def _metric_row(m: MetricSummary) -> MetricRow:
    return MetricRow(name=m.name, split=m.split, best=m.best, best_epoch=m.best_epoch, last=m.last,
                     direction="higher" if m.higher_is_better else "lower")

