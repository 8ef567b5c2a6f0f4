"""Training curves: the scenario (Curves A-D) with the rule that fired and its advice, a chart per
loss (train vs val, best val marked), then a chart per metric (best and last marked), and one chart per
family of per-class APs (Detectron2's bbox/AP-<class>: one line per class)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from insight.charts.curves import CHART_HEIGHT_IN, SMALL_HEIGHT_IN, Mark, loss_chart, metric_chart, spike_cut
from insight.charts.style import HALF_WIDTH_IN, TEXT_WIDTH_IN, chart_key
from insight.diagnose.duplicates import LEAKAGE_CODES
from insight.model.findings import Finding
from insight.model.insight import CurveDiagnosis, MetricSummary
from insight.report.sections.common import Chart, FindingRow, chart, finding_rows

SCENARIO_TITLES = {
    "A": "Curve A: training is going well",
    "B": "Curve B: unstable training",
    "C": "Curve C: overfitting",
    "D": "Curve D: the model is not learning",
}
# Judged on the training loss alone (no validation loss logged), a run is never called fine.
TRAIN_ONLY_TITLES = {
    "A": "Training loss falls and levels off (judged on the training loss only)",
    "B": "Curve B: unstable training (judged on the training loss only)",
    "D": "Curve D: the model is not learning (judged on the training loss only)",
}
NO_SCENARIO = "Not enough data to judge the curves"
TRAIN_ONLY_NOTE = ("Judged on the training loss only: the log holds no validation loss, so overfitting "
                   "(Curve C) cannot be seen. Log the validation loss every epoch to have the run judged.")
TONES = {"A": "good", "B": "bad", "C": "bad", "D": "warn"}  # the scenario box's colour
# A run with an error-level finding about its curves (it learned nothing, say) is never shown under a
# scenario's title: the losses may read as A, but the run failed.
FAILED_TITLE = "Curve {scenario} does not apply: the run has an error"
FAILED_NO_SCENARIO = "The curves cannot be judged: the run has an error"
# Held-out images that copy training images make the validation loss read better than it should: a
# verdict read from it is not shown as plainly good.
LEAKY_NOTE = ("The validation split holds copies of training images (a data-health error): the validation "
              "loss reads better than it should, so this verdict may be too kind.")
# Detectron2's COCOEvaluator writes one AP per category, `AP-<category name>`, flattened under its task
# (bbox/AP-<class>, segm/AP-<class>, keypoints/AP-<class>): such a family is drawn as one chart, one line a
# class, when it has at least MIN_FAMILY and at most MAX_FAMILY_LINES classes with a finite value.
PER_CLASS_AP = re.compile(r"^((?:bbox|segm|keypoints)/AP)-(.+)$")
MIN_FAMILY = 2
MAX_FAMILY_LINES = 10  # more lines than this in one chart cannot be told apart (8 colours x 4 styles)
FAMILY_HEIGHT_IN = 3.2  # full width, with room for a legend of up to 10 class names under the plot
FAMILY_NOTE = ("{family} per class: {count} classes, more than {most} lines can show in one chart, so they are "
               "not drawn; every class's best and last value is in the Best and last values table.")
FAILED_NOTE = ("The losses alone read as Curve {scenario}, but an error-level finding says the run failed: "
               "Curve {scenario}'s verdict does not apply.")


@dataclass(frozen=True)
class Scenario:
    """How the scenario is shown: title, tone (good | bad | warn | unjudged | none: the box's colour)
    and, when the curves were judged on the training loss alone, the note that says so and why."""

    title: str
    tone: str
    judged_note: str


def _no_val_finding(curves: CurveDiagnosis) -> Finding | None:
    """The finding that says the log holds no validation loss (and what to do): when the run was
    judged on its training loss, the scenario box says it, and it is not listed again."""
    if curves.judged_on != "train" or curves.failed_by is not None:
        return None
    return next((f for f in curves.further_findings
                 if f.code == "missing_loss" and list(f.values.get("missing", ())) == ["val"]), None)


def shown_findings(curves: CurveDiagnosis) -> tuple[Finding, ...]:
    """The further curve findings, but for the one the scenario box says."""
    said = _no_val_finding(curves)
    return tuple(f for f in curves.further_findings if f is not said)


def leaks(health) -> bool:
    """Held-out images are copies of training images (a data-health finding says so)."""
    return any(f.code in LEAKAGE_CODES for f in health or ())


def scenario_view(curves: CurveDiagnosis, leaky: bool = False) -> Scenario:
    """`leaky`: the validation split holds copies of training images (leaks(insight.health))."""
    if curves.scenario is None:
        failed = curves.failed_by is not None  # the error decided: its wording is the rule shown below
        return Scenario(FAILED_NO_SCENARIO, "bad", "") if failed else Scenario(NO_SCENARIO, "none", "")
    if curves.failed_by is not None:
        return Scenario(FAILED_TITLE.format(scenario=curves.scenario), "bad",
                        FAILED_NOTE.format(scenario=curves.scenario))
    if curves.judged_on == "train":
        title = TRAIN_ONLY_TITLES.get(curves.scenario, SCENARIO_TITLES.get(curves.scenario, NO_SCENARIO))
        tone = "unjudged" if TONES.get(curves.scenario) == "good" else TONES.get(curves.scenario, "none")
        said = _no_val_finding(curves)
        return Scenario(title, tone, (said.message or TRAIN_ONLY_NOTE) if said else TRAIN_ONLY_NOTE)
    tone = TONES.get(curves.scenario, "none")
    if leaky and tone == "good":
        return Scenario(SCENARIO_TITLES[curves.scenario], "warn", LEAKY_NOTE)
    return Scenario(SCENARIO_TITLES.get(curves.scenario, NO_SCENARIO), tone, "")


@dataclass(frozen=True)
class MetricRow:
    """Best and last value of one logged series, named as the log names it (CurveDiagnosis.shown_name);
    `direction` is "higher" or "lower" (is better)."""

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
    scenario: A | B | C | D | None; view: its title, tone and the note when it was judged on the
    training loss only; rule: the rule that fired, worded; advice: what to do. findings: further curve
    findings, most important first. source/format: the log read. x_axis: "epoch" or "step".
    notes: what the diagnosis says about the log (sums, dropped series), then series left undrawn.
    loss_charts: the first loss (the total), full width; loss_grid: the other losses, and
    metric_charts: the metrics and learning rates, two charts a row; family_charts: one chart per
    family of per-class APs (per_class_families), full width, after them; family_notes: one line per
    family with too many classes to draw. metrics: best/last table rows.
    """

    error: str | None
    scenario: str | None
    view: Scenario
    rule: str
    advice: str
    findings: tuple[FindingRow, ...]
    source: str
    format: str
    x_axis: str
    notes: tuple[str, ...]
    loss_charts: tuple[Chart, ...]
    loss_grid: tuple[Chart, ...]
    metric_charts: tuple[Chart, ...]
    metrics: tuple[MetricRow, ...]
    family_charts: tuple[Chart, ...] = ()
    family_notes: tuple[str, ...] = ()


def build_curves(curves: CurveDiagnosis | None, curves_error: str | None, health: tuple) -> CurvesContext:
    if curves is None:
        return CurvesContext(error=curves_error or "No training log was given.", scenario=None,
                             view=Scenario("", "none", ""), rule="", advice="", findings=(), source="", format="",
                             x_axis="epoch", notes=(), loss_charts=(), loss_grid=(), metric_charts=(), metrics=())
    table = curves.table if curves.table is not None else empty_curve_table()
    losses = _loss_charts(curves, table)
    drawn_families = _drawn_families(curves, table)
    metrics = _metric_charts(curves, table, drawn_families)
    families, family_notes = _family_charts(curves, table, drawn_families)
    return CurvesContext(
        error=curves_error, scenario=curves.scenario, view=scenario_view(curves, leaks(health)),
        rule=curves.rule, advice=curves.advice, findings=finding_rows(shown_findings(curves)),
        source=curves.source, format=curves.format, x_axis=curves.x_axis,
        notes=tuple(curves.notes) + undrawn_notes(curves, table), loss_charts=losses[:1], loss_grid=losses[1:],
        metric_charts=metrics, metrics=tuple(_metric_row(m, curves.shown_name(m.name)) for m in curves.metrics),
        family_charts=families, family_notes=family_notes)


def empty_curve_table() -> pd.DataFrame:
    return pd.DataFrame({"x": [], "split": [], "name": [], "value": [], "smoothed": []})


def has_finite(table: pd.DataFrame, name: str) -> bool:
    values = table.loc[table["name"] == name, "value"].to_numpy(dtype=float)
    return bool(np.isfinite(values).any())


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


def undrawn_notes(curves: CurveDiagnosis, table: pd.DataFrame) -> tuple[str, ...]:
    """Series logged with no finite value: said in a line, not drawn as an empty chart."""
    empty = [n for n in loss_names(curves, table) + metric_names(curves, table) if not has_finite(table, n)]
    if not empty:
        return ()
    return (f"No finite value was logged for {', '.join(empty)}: not drawn.",)


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


def loss_caption(name: str, x_axis: str, rows: pd.DataFrame, marks: list[Mark], cut: float | None) -> str:
    """What a loss chart draws, in words: only the marks and lines it has."""
    smoothed = rows["smoothed"].notna().any()
    text = f"{name} per {x_axis} ({_splits(rows)})" + ("; faint: raw values, solid: smoothed" if smoothed else "")
    if marks:
        text += "; star: best val value"
    return text + "." + _cut_sentence(rows, cut)


def _cut_sentence(rows: pd.DataFrame, cut: float | None) -> str:
    if cut is None:
        return ""
    above = int((rows["value"].astype(float) > cut).sum())
    return (f" The axis stops at {cut:.3g} so that a spike does not flatten the curve; "
            f"{above} value{'' if above == 1 else 's'} above it {'is' if above == 1 else 'are'} marked "
            "by a triangle with the value.")


def loss_picture(curves: CurveDiagnosis, name: str, key: str, width_in: float = TEXT_WIDTH_IN,
                 height_in: float = CHART_HEIGHT_IN) -> Chart:
    """The chart of one loss at a given size, with its caption."""
    table = curves.table
    rows = table[table["name"] == name]
    marks = _best_val_mark(curves, name, rows)
    cut = spike_cut(rows)
    shown = curves.shown_name(name)  # as logged (Detectron2's total_loss); the table keeps `loss`
    svg = loss_chart(rows, shown, curves.x_axis, marks, key=key, cut=cut, width_in=width_in, height_in=height_in)
    return chart(key, svg, loss_caption(shown, curves.x_axis, rows, marks, cut))


def _loss_charts(curves: CurveDiagnosis, table: pd.DataFrame) -> tuple[Chart, ...]:
    """The first loss (the total) full width, the others half width (two a row)."""
    names = [n for n in loss_names(curves, table) if has_finite(table, n)]
    return tuple(loss_picture(curves, name, chart_key("loss", name), *(() if i == 0 else (HALF_WIDTH_IN, SMALL_HEIGHT_IN)))
                 for i, name in enumerate(names))


def _metric_marks(curves: CurveDiagnosis, name: str) -> list[Mark]:
    marks = []
    for m in curves.metrics:
        if m.name != name or m.best_epoch is None:
            continue
        if m.best is not None:
            marks.append(Mark(m.split, "best", float(m.best_epoch), float(m.best)))
    return marks


def per_class_families(names: list[str]) -> dict[str, list[str]]:
    """The per-class AP families among `names`: {family: its member names, in the given order}.

    A member is named `<family>-<class>` where the family is one of Detectron2's per-category AP keys,
    bbox/AP, segm/AP or keypoints/AP (COCOEvaluator's `AP-<category name>`, flattened under its task:
    bbox/AP-0, segm/AP-hazelnut). A family needs at least MIN_FAMILY members; a lone bbox/AP-pedestrian
    stays a metric of its own. The class is all that follows the first `-` (a class may be "n/a")."""
    families: dict[str, list[str]] = {}
    for name in names:
        match = PER_CLASS_AP.match(name)
        if match:
            families.setdefault(match.group(1), []).append(name)
    return {family: members for family, members in families.items() if len(members) >= MIN_FAMILY}


def _drawn_families(curves: CurveDiagnosis, table: pd.DataFrame) -> dict[str, list[str]]:
    """The families among the metrics with a finite value (an all-NaN class is said undrawn, not drawn)."""
    return per_class_families([n for n in metric_names(curves, table)
                               if has_finite(table, n) and not is_learning_rate(n)])


def _family_charts(curves: CurveDiagnosis, table: pd.DataFrame,
                   families: dict[str, list[str]]) -> tuple[tuple[Chart, ...], tuple[str, ...]]:
    """One full-width chart per family (_drawn_families) of at most MAX_FAMILY_LINES classes, one line
    per class (its own colour and line style, named in the legend); a line instead for a larger family."""
    charts, notes = [], []
    for family, members in families.items():
        if len(members) > MAX_FAMILY_LINES:
            notes.append(FAMILY_NOTE.format(family=family, count=len(members), most=MAX_FAMILY_LINES))
            continue
        rows = table[table["name"].isin(members)]
        splits = _splits(rows)
        rows = rows.assign(split=_class_labels(rows))
        key = chart_key("metric", family, "per-class")
        title = f"{family} per class"
        svg = metric_chart(rows, title, curves.x_axis, key=key, allow_log=False, width_in=TEXT_WIDTH_IN,
                           height_in=FAMILY_HEIGHT_IN, styled_series=True)
        charts.append(chart(key, svg, f"{title} ({len(members)} classes) per {curves.x_axis} ({splits}). "
                                      "Each class has a colour and line style of its own."))
    return tuple(charts), tuple(notes)


def _class_labels(rows: pd.DataFrame) -> pd.Series:
    """Each row's line in a family chart: its class, and its split too when the family has both."""
    classes = rows["name"].map(lambda name: PER_CLASS_AP.match(name).group(2))
    return classes + " (" + rows["split"] + ")" if rows["split"].nunique() > 1 else classes


def _metric_charts(curves: CurveDiagnosis, table: pd.DataFrame, families: dict[str, list[str]]) -> tuple[Chart, ...]:
    """A chart per metric, but for the members of a per-class family (drawn together, _family_charts)."""
    names = [n for n in metric_names(curves, table) if has_finite(table, n)]
    in_family = {n for members in families.values() for n in members}
    out = []
    for name in [n for n in names if not is_learning_rate(n) and n not in in_family]:
        rows = table[table["name"] == name]
        key = chart_key("metric", name)
        best = _metric_marks(curves, name)
        marks = best + _last_marks(rows)
        quality = any(m.name == name and m.higher_is_better for m in curves.metrics)  # 0..1: read it linearly
        cut = None if quality else spike_cut(rows)
        svg = metric_chart(rows, name, curves.x_axis, marks, key=key, allow_log=not quality, cut=cut,
                           width_in=HALF_WIDTH_IN, height_in=SMALL_HEIGHT_IN)
        shown = ("star: best, circle: last" if best else "circle: last") if marks else ""
        out.append(chart(key, svg, f"{name} per {curves.x_axis} ({_splits(rows)})" + (f"; {shown}." if shown else ".")
                         + _cut_sentence(rows, cut)))
    rates = [n for n in names if is_learning_rate(n)]
    if rates:
        out.append(_learning_rate_chart(table, rates, curves.x_axis))
    return tuple(out)


def same_series(table: pd.DataFrame, names: list[str]) -> list[list[str]]:
    """`names` grouped by identical values at every x (learning-rate groups often are): one group
    per distinct series, in the given order."""
    wide = table[table["name"].isin(names)].pivot_table(index="x", columns="name", values="value", aggfunc="last")
    groups: list[list[str]] = []
    for name in names:
        for group in groups:
            a, b = wide[group[0]].to_numpy(dtype=float), wide[name].to_numpy(dtype=float)
            if np.array_equal(np.isnan(a), np.isnan(b)) and np.allclose(a[~np.isnan(a)], b[~np.isnan(b)],
                                                                          rtol=1e-9, atol=0):
                group.append(name)
                break
        else:
            groups.append([name])
    return groups


def _learning_rate_chart(table: pd.DataFrame, names: list[str], x_axis: str) -> Chart:
    """All learning rates (one per parameter group, often) in one chart: series equal at every x are
    drawn once, the others each in a colour and a line style of its own."""
    groups = same_series(table, names)
    drawn = [g[0] for g in groups]
    rows = table[table["name"].isin(drawn)]
    rows = rows.assign(split=rows["name"].map({g[0]: " = ".join(g) for g in groups}))
    svg = metric_chart(rows, "learning rate", x_axis, key="metric-lr", width_in=HALF_WIDTH_IN, height_in=SMALL_HEIGHT_IN,
                       styled_series=len(drawn) > 1)
    caption = f"Learning rate per {x_axis}: " + "; ".join(
        _and(g) + f", equal at every {x_axis} (one line)" if len(g) > 1 else g[0] for g in groups) + "."
    if len(drawn) > 1:
        caption += " Each distinct series has a line style of its own."
    return chart("metric-lr", svg, caption)


def _and(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1]


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


def _metric_row(m: MetricSummary, shown: str) -> MetricRow:
    return MetricRow(name=shown, split=m.split, best=m.best, best_epoch=m.best_epoch, last=m.last,
                     direction="higher" if m.higher_is_better else "lower")
