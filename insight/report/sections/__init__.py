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

from dataclasses import dataclass, fields

from insight.model.insight import Insight
from insight.report.sections.changes import ChangesContext, build_changes
from insight.report.sections.cover import CoverContext, build_cover
from insight.report.sections.curves import CurvesContext, build_curves
from insight.report.sections.data_stats import DataStatsContext, build_data_stats
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


def build_report_context(insight: Insight) -> ReportContext:
    changes = build_changes(insight.changes)
    return ReportContext(
        sections=((CHANGES_SECTION,) if changes else ()) + SECTIONS,
        cover=build_cover(insight),
        changes=changes,
        summary=build_summary(insight.representation),
        curves=build_curves(insight.curves, insight.curves_error),
        data=build_data_stats(insight),
        health=build_health(insight),
        leakage=build_leakage(insight),
        tables=build_tables(insight),
        how_to_read=build_how_to_read(insight),
    )
