"""Data health: every problem found while reading the data, most severe first, with counts and
example files."""

from __future__ import annotations

from dataclasses import dataclass

from insight.model.insight import Insight
from insight.report.sections.common import FindingRow, finding_rows
from insight.report.sections.leakage import SUMMARY_CODES


# Said elsewhere, once: declared classes never used are the insight summary's line on classes
# without labels (when there is a class summary).
SAID_IN_SUMMARY = ("class_never_used",)


@dataclass(frozen=True)
class HealthContext:
    """Template: sections/health.html.

    findings: health findings, errors first, then warnings, then notes, but for the note saying how
    the duplicate check ran or why it was skipped (the duplicates block below says that) and the
    classes never used (the insight summary says that): each point is said once.
    errors/warnings/notes: how many findings of each severity in `findings`.
    """

    findings: tuple[FindingRow, ...]
    errors: int
    warnings: int
    notes: int


def shown_here(insight: Insight) -> tuple:
    """The health findings the table shows."""
    elsewhere = SUMMARY_CODES + (SAID_IN_SUMMARY if insight.representation is not None else ())
    return tuple(f for f in insight.health if f.code not in elsewhere)


def build_health(insight: Insight) -> HealthContext:
    rows = finding_rows(shown_here(insight))
    count = {s: sum(1 for r in rows if r.severity == s) for s in ("error", "warning", "info")}
    return HealthContext(findings=rows, errors=count["error"], warnings=count["warning"],
                         notes=count["info"])
