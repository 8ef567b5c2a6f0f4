"""Page 1, the answer: what is wrong and what to do, worst first. Error-level data findings (and a
missing split), the curve scenario with its rule, advice and a small picture of the loss, the
seriously under-represented classes with the labels to add, then one line for each other finding
with the place of its detail (the printed report gives its page)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from insight.charts.style import HALF_WIDTH_IN, chart_key
from insight.model.findings import Finding, Severity
from insight.model.insight import Insight
from insight.report.sections.common import SEVERITY_LABELS, Chart, headline
from insight.report.sections.curves import (
    Scenario,
    has_finite,
    leaks,
    loss_names,
    loss_picture,
    scenario_view,
    shown_findings,
)
from insight.report.sections.health import shown_here
from insight.report.sections.leakage import PAIR_CODES
from insight.report.sections.summary import to_add_rows, unlabelled_classes

SERIOUS_NAMED = 5  # seriously under-represented classes named on page 1; the summary lists them all
UNLABELLED_NAMED = 5  # declared classes without labels named in page 1's line (the summary names more)
FIRST_CODES = ("no_validation_split", "no_training_split")  # a missing split: with the errors, first
PICTURE_HEIGHT_IN = 2.0


@dataclass(frozen=True)
class Line:
    """One finding in a line: severity (error | warning | info), its badge, the text, and `target`,
    the id of the place in the report with its detail."""

    severity: str
    severity_label: str
    text: str
    target: str


@dataclass(frozen=True)
class LinesLeftOut:
    """The "Also found" lines that printed page 1 had no room for (report.pdf only: the screen has no
    pages): how many, how many of each severity (label, count) and where their details are (the
    section's name and the first left-out line's target in it), in the order of the report."""

    count: int
    by_severity: tuple[tuple[str, int], ...]
    places: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ClassLine:
    """A class to add labels to: its label count and the labels to add."""

    name: str
    count: int
    to_add: int


@dataclass(frozen=True)
class CurveAnswer:
    """The curve diagnosis in short: the scenario's view (title, tone, the note when judged on the
    training loss only), the rule that decided it and the advice, and a small picture of the first
    loss (None when nothing finite was logged). run: the run's short name when several runs were compared
    (the box is that run's), else None; runs_verdict: then, which run to keep and why (or the tie)."""

    view: Scenario
    rule: str
    advice: str
    picture: Chart | None
    run: str | None = None
    runs_verdict: str | None = None


@dataclass(frozen=True)
class AnswerContext:
    """Template: sections/answer.html.

    first: error-level data findings and a missing split, most severe first (full messages).
    curve: the curve diagnosis (None without a usable log); curve_error: why there is none.
    serious: up to SERIOUS_NAMED seriously under-represented classes with labels, fewest labels
    first; serious_more: how many more there are. unlabelled: up to NAMED declared classes with no
    label (unlabelled_count in all, unlabelled_more not named). rest: one line per other finding
    (warnings, then notes), each pointing at its detail. mild_count/mild_to_add: the mildly
    under-represented classes and the labels they need in all. has_dataset: a dataset was read.
    trend: with --history, what changed since the night before (None when nothing did, or no history).
    left_out: the lines of rest the printed page 1 had no room for (keep_lines); None when all are there.
    """

    first: tuple[Line, ...]
    curve: CurveAnswer | None
    curve_error: str | None
    serious: tuple[ClassLine, ...]
    serious_more: int
    unlabelled: tuple[str, ...]
    unlabelled_count: int
    unlabelled_more: int
    mild_count: int
    mild_to_add: int
    rest: tuple[Line, ...]
    has_dataset: bool
    trend: str | None = None
    left_out: LinesLeftOut | None = None


def build_answer(insight: Insight) -> AnswerContext:
    rep = insight.representation
    findings = _data_findings(insight) + _curve_findings(insight)
    rest = sorted(((f, t) for f, t in findings if not _is_first(f)), key=lambda ft: Severity(ft[0].severity).rank)
    to_add = to_add_rows(rep) if rep else []
    serious = sorted((r for r in to_add if r.tier == "serious"), key=lambda r: (r.count, r.name))
    mild = [r for r in to_add if r.tier == "mild"]
    unlabelled = unlabelled_classes(rep) if rep else []
    return AnswerContext(
        first=tuple(_line(f, t, f.message or f.code) for f, t in findings if _is_first(f)),
        curve=_curve(insight), curve_error=insight.curves_error if insight.curves is None else None,
        serious=tuple(ClassLine(r.name, r.count, r.to_add) for r in serious[:SERIOUS_NAMED]),
        serious_more=max(0, len(serious) - SERIOUS_NAMED), unlabelled=tuple(unlabelled[:UNLABELLED_NAMED]),
        unlabelled_count=len(unlabelled), unlabelled_more=max(0, len(unlabelled) - UNLABELLED_NAMED),
        mild_count=len(mild), mild_to_add=sum(r.to_add for r in mild),
        rest=tuple(_line(f, t, headline(f.message or f.code)) for f, t in rest),
        has_dataset=insight.dataset is not None, trend=trend_line(insight.history))


def keep_lines(answer: AnswerContext, keep: int) -> AnswerContext:
    """`answer` with the first `keep` lines of "Also found" (the most severe) and one line for the others:
    for a printed page 1 that cannot hold them all (report/pdf.py measures it)."""
    keep = max(0, min(keep, len(answer.rest)))
    dropped = answer.rest[keep:]
    if not dropped:
        return replace(answer, left_out=None)
    counts: dict[str, int] = {}
    for line in dropped:
        counts[line.severity_label] = counts.get(line.severity_label, 0) + 1
    places: dict[str, str] = {}
    for line in sorted(dropped, key=lambda line: _PLACE_ORDER.index(_place_of(line.target))):
        places.setdefault(_place_of(line.target), line.target)
    return replace(answer, rest=answer.rest[:keep],
                   left_out=LinesLeftOut(len(dropped), tuple(counts.items()), tuple(places.items())))


_PLACE_ORDER = ("the insight summary", "the training curves", "data health")


def _place_of(target: str) -> str:
    """The section holding the detail a line points at (its target's id, made in _data_findings and
    _curve_findings)."""
    if target.startswith("curve-"):
        return "the training curves"
    if target.startswith("split-") and target != "split-drift":
        return "the insight summary"
    return "data health"


def trend_line(history) -> str | None:
    """What changed against the last night of --history, in a line; None when nothing did."""
    if history is None or len(history.nights) < 2 or not history.nights[-1].changed:
        return None
    return f"since {history.nights[-2].label}: " + "; ".join(history.nights[-1].changes) + "."


def _is_first(finding: Finding) -> bool:
    return finding.severity == Severity.ERROR or finding.code in FIRST_CODES


def _line(finding: Finding, target: str, text: str) -> Line:
    severity = Severity(finding.severity).value
    return Line(severity, SEVERITY_LABELS[severity], text, target)


def _data_findings(insight: Insight) -> list[tuple[Finding, str]]:
    """(finding, id of its detail) for the dataset: splits, then health, errors first."""
    rep = insight.representation
    out = [(f, f"split-{f.code}") for f in (rep.split_findings if rep else ())]
    for f in shown_here(insight):
        out.append((f, f"copies-{f.code}" if f.code in PAIR_CODES else f"finding-{f.code}"))
    if insight.split_drift is not None and insight.split_drift.finding is not None:
        out.append((insight.split_drift.finding, "split-drift"))
    return sorted(out, key=lambda ft: Severity(ft[0].severity).rank)


def _curve_findings(insight: Insight) -> list[tuple[Finding, str]]:
    if insight.curves is None:
        return []
    return [(f, f"curve-{f.code}") for f in shown_findings(insight.curves)]


def _curve(insight: Insight) -> CurveAnswer | None:
    curves = insight.curves
    if curves is None:
        return None
    picture = None
    table = curves.table
    names = [n for n in loss_names(curves, table) if has_finite(table, n)] if table is not None else []
    if names:
        picture = loss_picture(curves, names[0], chart_key("answer-loss", names[0]), HALF_WIDTH_IN,
                               PICTURE_HEIGHT_IN)
        shown = curves.shown_name(names[0])
        picture = replace(picture, caption=f"{shown} per {curves.x_axis}; the training curves section has "
                                           "every loss and metric.")
    runs = insight.runs
    return CurveAnswer(view=scenario_view(curves, leaks(insight.health)), rule=curves.rule, advice=curves.advice,
                       picture=picture, run=runs.runs[runs.kept_index].name if runs else None,
                       runs_verdict=runs.verdict if runs else None)
