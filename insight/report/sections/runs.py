"""Runs compared (several --run): every run's curve on the same axes (validation loss, and the quality
metric they share), a table of best and last values with each run's scenario, and the verdict: which
run to keep and why, or the tie. The training-curves section that follows shows the run to keep."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from insight.charts.curves import SMALL_HEIGHT_IN, metric_chart, spike_cut
from insight.charts.style import HALF_WIDTH_IN
from insight.diagnose.runs import RunsComparison
from insight.report.sections.common import Chart, chart
from insight.report.sections.curves import SCENARIO_TITLES, TONES

NOT_JUDGED = "not judged"


@dataclass(frozen=True)
class RunRow:
    """One run: its short name and log, its scenario (title and tone, as the scenario box shows it),
    best and last validation loss and quality metric (None when not logged), where the bests are
    (x_axis units), its curve findings at warning or error, and whether it is the run to keep."""

    name: str
    source: str
    scenario: str
    tone: str
    best_val_loss: float | None
    best_val_loss_at: float | None
    last_val_loss: float | None
    best_metric: float | None
    best_metric_at: float | None
    last_metric: float | None
    findings: int
    kept: bool


@dataclass(frozen=True)
class RunsContext:
    """Template: sections/runs.html.

    rows: the runs in the order given. metric: the quality metric compared (None when they share none).
    verdict: the verdict in words; keep: the run to keep (None on a tie); tie: no run could be preferred; unranked: none logs
    a value to rank by (a validation loss, a quality metric). shown: the run the training-curves
    section shows (the one to keep, else the first tied). tolerance: the relative tie tolerance (0..1).
    charts: validation loss of every run, and the quality metric, on the same axes. notes: runs left out.
    x_axis: epoch or step (of the first run)."""

    rows: tuple[RunRow, ...]
    metric: str | None
    verdict: str
    keep: str | None
    tie: bool
    unranked: bool
    shown: str
    tolerance: float
    charts: tuple[Chart, ...]
    notes: tuple[str, ...]
    x_axis: str


def _row(run, kept: bool) -> RunRow:
    title = SCENARIO_TITLES.get(run.scenario, NOT_JUDGED) if run.scenario else NOT_JUDGED
    return RunRow(run.name, run.source, title, TONES.get(run.scenario, "none"), run.best_val_loss,
                  run.best_val_loss_at, run.last_val_loss, run.best_metric, run.best_metric_at, run.last_metric,
                  run.findings, kept)


def build_runs(runs: RunsComparison | None) -> RunsContext | None:
    if runs is None:
        return None
    x_axis = runs.runs[0].x_axis
    return RunsContext(rows=tuple(_row(r, r.name == runs.keep) for r in runs.runs), metric=runs.metric,
                       verdict=runs.verdict, keep=runs.keep, tie=runs.keep is None, unranked=runs.unranked, shown=runs.runs[runs.kept_index].name,
                       tolerance=runs.tie_tolerance, charts=_charts(runs, x_axis), notes=runs.notes, x_axis=x_axis)


def _charts(runs: RunsComparison, x_axis: str) -> tuple[Chart, ...]:
    out = []
    series = [("loss", "validation loss", True)] + ([(runs.metric, runs.metric, False)] if runs.metric else [])
    for name, title, is_loss in series:
        rows = comparison_table(runs, name)
        if rows.empty:
            continue
        key = f"runs-{name}"
        cut = spike_cut(rows) if is_loss else None
        svg = metric_chart(rows, f"{title}, every run", x_axis, key=key, allow_log=is_loss, cut=cut,
                           width_in=HALF_WIDTH_IN, height_in=SMALL_HEIGHT_IN, styled_series=True)
        out.append(chart(key, svg, f"Validation {name} per {x_axis}, one line per run (its scenario in brackets)."
                         + (" The axis stops below the largest values so that the runs stay apart." if cut else "")))
    return tuple(out)


def comparison_table(comparison: RunsComparison, name: str, split: str = "val") -> pd.DataFrame:
    """Every run's values of one series (x, split = the run's label with its scenario, name, value,
    smoothed), for a chart of all runs on the same axes."""
    parts = []
    for run, diagnosis in zip(comparison.runs, comparison.diagnoses):
        table = diagnosis.table
        if table is None:
            continue
        rows = table[(table["name"] == name) & (table["split"] == split)]
        label = f"{run.name} (Curve {run.scenario})" if run.scenario else f"{run.name} ({NOT_JUDGED})"
        parts.append(rows.assign(split=label))
    if not parts:
        return pd.DataFrame({"x": [], "split": [], "name": [], "value": [], "smoothed": []})
    return pd.concat(parts, ignore_index=True)
