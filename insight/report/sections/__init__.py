"""The report's sections: one module per section, each with a documented context dataclass and a
builder that makes it (charts are rendered there, as SVG strings), and one `Section` entry per
section in REGISTRY below. The renderer and the context assembly read only the registry.

Templates only format what the contexts hold: no arithmetic, no type checks, no lookups that could
fail. `build_report_context(insight)` returns a `ReportContext`; html.py passes its fields to
templates/report.html as top-level names (one per registry entry), and `sections` lists the page
sections in order (id, heading, template).

Adding a section: a module here with its context and builder, a template under
templates/sections/, a field on ReportContext and one entry in REGISTRY. The builder takes, by name,
the inputs its entry `needs`: fields of the Insight, "task" (the dataset's task) or "insight" (the
whole Insight). tests/report/test_registry.py checks every entry against its builder.

Adding a task-specific data block (boxes, masks, multi-label):
  1. insight/report/sections/data_<name>.py: a frozen dataclass documenting every field the template
     reads, and `build(insight) -> Context | None` (None when the Insight has no such data, e.g.
     `insight.boxes is None`); render its charts there with insight.charts.<name> and wrap them
     with common.chart(key, svg, caption). Optionally `tables(insight) -> tuple[common.Table, ...]`
     with the values of its charts.
  2. templates/sections/data_<name>.html: it sees its context as `part.context` (and `part.name`).
  3. register it in data_stats.DATA_PARTS: `DataPartSpec("<name>", data_<name>.build, data_<name>.tables)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import partial

from insight.model.insight import Insight, Representation
from insight.report.sections.answer import AnswerContext, build_answer
from insight.report.sections.changes import ChangesContext, build_changes
from insight.report.sections.cover import CoverContext, build_cover
from insight.report.sections.curves import CurvesContext, build_curves
from insight.report.sections.data_stats import DataPart, DataStatsContext, build_distribution, build_parts
from insight.report.sections.health import HealthContext, build_health
from insight.report.sections.history import HistoryContext, build_history
from insight.report.sections.how_to_read import HowToReadContext, build_how_to_read
from insight.report.sections.leakage import LeakageContext, build_leakage
from insight.report.sections.runs import RunsContext, build_runs
from insight.report.sections.split_drift import SplitDriftContext, build_split_drift
from insight.report.sections.summary import SummaryContext, build_summary
from insight.report.sections.tables import TablesContext, build_tables

# How a section draws its charts (Section.charts); report/renderer.py reads it:
NO_CHARTS = "none"  # draws nothing: built in the command's process, between the others
OWN_WORKER = "own"  # draws in a worker process of its own while the others are built
SPREAD = "spread"  # spreads its charts over workers itself (charts.style.draw_all): built in the
#                    command's process, first (it is the slowest), its drawings in parallel

# What a builder may need before the Insight is finished: the class counts and the task are known
# first (the renderer starts drawing from them while the other statistics are computed).
EARLY_INPUTS = ("representation", "task")


MEDIA = ("screen", "print")  # report.html, and the page report.pdf is made from


@dataclass(frozen=True)
class SectionInfo:
    """A page section after page 1 (the answer): its HTML id, heading, template and the media it is in."""

    id: str
    title: str
    template: str
    media: tuple[str, ...] = MEDIA


@dataclass(frozen=True)
class Section:
    """One entry of the report: `name` is its ReportContext field (and the template's variable);
    `build` makes its context from the inputs named in `needs`, passed by keyword (the first is
    what its charts are drawn from: without it, it draws nothing); `charts` says how it draws (NO_CHARTS, OWN_WORKER or SPREAD). A page section has a `title` (its heading, and the
    table of contents' line) and a `template`; a part shown inside another section's template has no
    title. `optional`: the page is left out when the context is None (e.g. no --baseline).
    `media`: where the page is shown (the tables of values are in report.html only)."""

    name: str
    build: Callable[..., object]
    needs: tuple[str, ...]
    charts: str = NO_CHARTS
    title: str = ""
    template: str = ""
    optional: bool = False
    media: tuple[str, ...] = MEDIA

    @property
    def early(self) -> bool:
        """It can be built from the class counts and the task alone, before the Insight is done."""
        return set(self.needs) <= set(EARLY_INPUTS)

    @property
    def page(self) -> SectionInfo | None:
        if not self.title:
            return None
        return SectionInfo(self.name.replace("_", "-"), self.title, self.template, self.media)


REGISTRY: tuple[Section, ...] = (
    Section("data_parts", build_parts, ("insight",), SPREAD),  # shown inside "data"; the slowest
    Section("cover", build_cover, ("insight",), template="sections/cover.html"),  # inside "answer"
    Section("answer", build_answer, ("insight",), OWN_WORKER, template="sections/answer.html"),  # page 1
    Section("changes", build_changes, ("changes",), title="Since the last report",
            template="sections/changes.html", optional=True),
    Section("history", build_history, ("history",), OWN_WORKER, "Trends over the nights", "sections/history.html",
            optional=True),
    Section("summary", build_summary, ("representation",), OWN_WORKER, "Insight summary",
            "sections/summary.html"),
    Section("runs", build_runs, ("runs",), OWN_WORKER, "Runs compared", "sections/runs.html", optional=True),
    Section("curves", build_curves, ("curves", "curves_error", "health"), OWN_WORKER, "Training curves",
            "sections/curves.html"),
    Section("data", build_distribution, ("representation", "task"), OWN_WORKER, "Data statistics",
            "sections/data_stats.html"),
    Section("health", build_health, ("insight",), title="Data health", template="sections/health.html"),
    Section("leakage", build_leakage, ("insight",), template="sections/leakage.html"),  # inside health
    Section("split_drift", build_split_drift, ("split_drift",), OWN_WORKER, "Validation against training",
            "sections/split_drift.html", optional=True),
    Section("tables", build_tables, ("insight",), title="Tables of chart values", template="sections/tables.html",
            media=("screen",)),
    Section("how_to_read", build_how_to_read, ("insight",), title="How to read this report",
            template="sections/how_to_read.html"),
)


@dataclass(frozen=True)
class ReportContext:
    """Everything templates/report.html reads: one field per REGISTRY entry, and the page sections
    in order. summary and data are None without a dataset."""

    sections: tuple[SectionInfo, ...]
    data_parts: tuple[DataPart, ...]  # the data section's task blocks (boxes, masks, multi-label)
    cover: CoverContext
    answer: AnswerContext  # page 1 (sections/answer.html, with the cover's block of what was read)
    changes: ChangesContext | None  # only with --baseline; then its section comes first
    history: HistoryContext | None  # only with --history
    summary: SummaryContext | None
    runs: RunsContext | None  # several runs compared; None with one run or none
    curves: CurvesContext
    data: DataStatsContext | None
    health: HealthContext
    leakage: LeakageContext | None  # shown inside the data-health section (sections/leakage.html)
    split_drift: SplitDriftContext | None  # train vs val per class and property; None without both splits
    tables: TablesContext
    how_to_read: HowToReadContext

    def as_template_vars(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def inputs(insight: Insight) -> dict[str, object]:
    """Everything a builder may need, by name."""
    values = {f.name: getattr(insight, f.name) for f in fields(insight)}
    return {**values, "insight": insight, "task": insight.dataset.task if insight.dataset else None}


def _job(section: Section, given: dict[str, object]) -> Callable[[], object]:
    return partial(section.build, **{name: given[name] for name in section.needs})


def early_jobs(representation: Representation | None, task: str | None) -> dict[str, Callable[[], object]]:
    """The sections built from the label counts and the task alone: they can start before the box,
    mask and health statistics are done (report/renderer.py)."""
    given = {"representation": representation, "task": task}
    return {s.name: _job(s, given) for s in REGISTRY if s.early}


def section_jobs(insight: Insight) -> dict[str, Callable[[], object]]:
    """Every section as a call that reads only `insight`, in REGISTRY order. They are independent of
    each other: the report's renderer runs those that draw charts in parallel, build_report_context
    runs them in order."""
    given = inputs(insight)
    return {s.name: _job(s, given) for s in REGISTRY}


def charts_drawn(insight: Insight) -> dict[str, str]:
    """How each section draws for this insight (Section.charts); NO_CHARTS where the first input it
    needs, the one its charts are drawn from, is missing (no dataset, no run)."""
    given = inputs(insight)
    return {s.name: s.charts if given[s.needs[0]] is not None else NO_CHARTS for s in REGISTRY}


def run_in_order(jobs: dict[str, Callable[[], object]]) -> dict[str, object]:
    return {name: job() for name, job in jobs.items()}


def build_report_context(insight: Insight, run_jobs=run_in_order) -> ReportContext:
    """The report's context; `run_jobs` runs section_jobs(insight) and returns {name: result}."""
    return assemble_context(run_jobs(section_jobs(insight)))


def assemble_context(done: dict[str, object]) -> ReportContext:
    """The context from the sections' results, by name."""
    pages = tuple(s.page for s in REGISTRY if s.page and not (s.optional and done[s.name] is None))
    return ReportContext(sections=pages, **{s.name: done[s.name] for s in REGISTRY})
