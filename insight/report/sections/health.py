"""Data health: every problem found while reading the data, most severe first, with counts and
example files."""

from __future__ import annotations

from dataclasses import dataclass

from insight.model.insight import Insight
from insight.report.sections.common import FindingRow, finding_rows


@dataclass(frozen=True)
class HealthContext:
    """Template: sections/health.html.

    findings: health findings, errors first, then warnings, then notes. errors/warnings/notes: how
    many findings of each severity.
    """

    findings: tuple[FindingRow, ...]
    errors: int
    warnings: int
    notes: int


def build_health(insight: Insight) -> HealthContext:
    rows = finding_rows(insight.health)
    count = {s: sum(1 for r in rows if r.severity == s) for s in ("error", "warning", "info")}
    return HealthContext(findings=rows, errors=count["error"], warnings=count["warning"],
                         notes=count["info"])
