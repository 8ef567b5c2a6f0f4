"""Data health: every problem found while reading the data, most severe first, with counts and
example files."""

from __future__ import annotations

from dataclasses import dataclass

from insight.model.insight import Insight
from insight.report.sections.common import FindingRow, finding_rows
from insight.report.sections.leakage import SUMMARY_CODES


@dataclass(frozen=True)
class HealthContext:
    """Template: sections/health.html.

    findings: health findings, errors first, then warnings, then notes, but for the note saying how
    the duplicate check ran or why it was skipped: the duplicates block below says that (it would be
    the same sentence twice). errors/warnings/notes: how many findings of each severity in `findings`.
    """

    findings: tuple[FindingRow, ...]
    errors: int
    warnings: int
    notes: int


def build_health(insight: Insight) -> HealthContext:
    rows = finding_rows(tuple(f for f in insight.health if f.code not in SUMMARY_CODES))
    count = {s: sum(1 for r in rows if r.severity == s) for s in ("error", "warning", "info")}
    return HealthContext(findings=rows, errors=count["error"], warnings=count["warning"],
                         notes=count["info"])
