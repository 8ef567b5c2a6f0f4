"""The report's sections: one module per section, each with a documented context dataclass and a
builder that makes it from the `Insight` (charts are rendered here, as SVG strings).

Templates only format what these contexts hold: no arithmetic, no type checks, no lookups that
could fail. `build_report_context(insight)` returns a `ReportContext`; html.py passes its fields to
templates/report.html as top-level names (`cover`, `summary`, `curves`, `data`, `health`, `leakage`,
`tables`, `how_to_read`), and `sections` lists the page sections in order (id, heading, template).

Adding a task-specific data block (boxes, masks, multi-label):
  1. insight/report/sections/data_<name>.py: a frozen dataclass documenting every field the template
     reads, and `build(insight) -> Context | None` (None when the Insight has no such data, e.g.
     `insight.boxes is None`); render its charts there with insight.charts.<name> and wrap them
     with common.chart(key, svg, caption). Optionally `tables(insight) -> tuple[common.Table, ...]`
     with the values of its charts.
  2. templates/sections/data_<name>.html: it sees its context as `part.context` (and `part.name`).
  3. register it in data_stats.DATA_PARTS: `DataPartSpec("<name>", data_<name>.build, data_<name>.tables)`.
Adding a whole section: a module here with its context and builder, a template under
templates/sections/, a field on ReportContext and an entry in SECTIONS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from functools import partial

from insight.model.insight import Insight, Representation
from insight.report.sections.changes import ChangesContext, build_changes
from insight.report.sections.cover import CoverContext, build_cover
from insight.report.sections.curves import CurvesContext, build_curves
from insight.report.sections.data_stats import (
    DataStatsContext,
    build_distribution,
    build_parts,
)
from insight.report.sections.health import HealthContext, build_health
from insight.report.sections.how_to_read import HowToReadContext, build_how_to_read
from insight.report.sections.leakage import LeakageContext, build_leakage
from insight.report.sections.summary import SummaryContext, build_summary
from insight.report.sections.tables import TablesContext, build_tables


@dataclass(frozen=True)
class SectionInfo:
    """A page section after the cover: its HTML id, heading and template."""

    id: str
    title: str
    template: str


CHANGES_SECTION = SectionInfo("changes", "Since the last report", "sections/changes.html")
SECTIONS = (
    SectionInfo("summary", "Insight summary", "sections/summary.html"),
    SectionInfo("curves", "Training curves", "sections/curves.html"),
    SectionInfo("data", "Data statistics", "sections/data_stats.html"),
    SectionInfo("health", "Data health", "sections/health.html"),
    SectionInfo("tables", "Tables of chart values", "sections/tables.html"),
    SectionInfo("how-to-read", "How to read this report", "sections/how_to_read.html"),
)


@dataclass(frozen=True)
class ReportContext:
    """Everything templates/report.html reads. summary and data are None without a dataset."""

    sections: tuple[SectionInfo, ...]
    cover: CoverContext
    changes: ChangesContext | None  # only with --baseline; then its section comes first
    summary: SummaryContext | None
    curves: CurvesContext
    data: DataStatsContext | None
    health: HealthContext
    leakage: LeakageContext | None  # shown inside the data-health section (sections/leakage.html)
    tables: TablesContext
    how_to_read: HowToReadContext

    def as_template_vars(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def early_jobs(rep: Representation | None, task: str | None) -> dict[str, Callable[[], object]]:
    """The pieces drawn from the label counts and the task alone: they can start before the box,
    mask and health statistics are done (report/renderer.py)."""
    return {"summary": partial(build_summary, rep), "data": partial(build_distribution, rep, task)}


def section_jobs(insight: Insight) -> dict[str, Callable[[], object]]:
    """Every piece of the context as a call that reads only `insight`. The pieces that draw charts
    (data_parts, summary, data, curves) are independent of each other, so the report's renderer
    runs them in parallel; `build_report_context` runs them in order."""
    return {
        "data_parts": partial(build_parts, insight),  # the slowest first: boxes or masks charts
        **early_jobs(insight.representation, insight.dataset.task if insight.dataset else None),
        "curves": partial(build_curves, insight.curves, insight.curves_error),
        "cover": partial(build_cover, insight),
        "changes": partial(build_changes, insight.changes),
        "health": partial(build_health, insight),
        "leakage": partial(build_leakage, insight),
        "tables": partial(build_tables, insight),
        "how_to_read": partial(build_how_to_read, insight),
    }


def jobs_without_charts(insight: Insight) -> set[str]:
    """The section jobs that draw no chart for this insight (no curves, no dataset): quick ones."""
    idle = set()
    if insight.curves is None or insight.curves.table is None:
        idle.add("curves")
    if insight.representation is None:
        idle |= {"summary", "data", "data_parts"}
    return idle


def run_in_order(jobs: dict[str, Callable[[], object]]) -> dict[str, object]:
    return {name: job() for name, job in jobs.items()}


def build_report_context(insight: Insight, run_jobs=run_in_order) -> ReportContext:
    """The report's context; `run_jobs` runs section_jobs(insight) and returns {name: result}."""
    return assemble_context(run_jobs(section_jobs(insight)))


def assemble_context(done: dict[str, object]) -> ReportContext:
    """The context from the results of section_jobs, by name."""
    data = done["data"]
    return ReportContext(
        sections=((CHANGES_SECTION,) if done["changes"] else ()) + SECTIONS,
        cover=done["cover"],
        changes=done["changes"],
        summary=done["summary"],
        curves=done["curves"],
        data=None if data is None else replace(data, parts=done["data_parts"]),
        health=done["health"],
        leakage=done["leakage"],
        tables=done["tables"],
        how_to_read=done["how_to_read"],
    )
