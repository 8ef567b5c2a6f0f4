"""Data health: every problem found while reading the data, most severe first, with counts and
example files."""

from __future__ import annotations

from dataclasses import dataclass

from insight.model.insight import Insight
from insight.report.sections.common import FindingRow, finding_rows
from insight.report.sections.leakage import PAIR_CODES, SUMMARY_CODES


# Said elsewhere, once: declared classes never used are the insight summary's line on classes
# without labels (when there is a class summary).
SAID_IN_SUMMARY = ("class_never_used",)


@dataclass(frozen=True)
class HealthContext:
    """Template: sections/health.html.

    findings: health findings, errors first, then warnings, then notes, but for the note saying how
    the duplicate check ran or why it was skipped and the copies it found (the duplicates block below
    says those, with the pairs) and the classes never used (the insight summary says that): each
    point is said once. errors/warnings/notes: how many findings of each severity, the copies too;
    copies_below: some of them are the copies, shown in the duplicates block. read_as: the dataset
    loader's notes on how it read the files (page 1 points here rather than listing them).
    """

    findings: tuple[FindingRow, ...]
    errors: int
    warnings: int
    notes: int
    copies_below: bool = False
    read_as: tuple[str, ...] = ()


def shown_here(insight: Insight) -> tuple:
    """The health findings this section says: in its table, and the copies in its duplicates block."""
    elsewhere = SUMMARY_CODES + (SAID_IN_SUMMARY if insight.representation is not None else ())
    return tuple(f for f in insight.health if f.code not in elsewhere)


def build_health(insight: Insight) -> HealthContext:
    counted = finding_rows(shown_here(insight))
    count = {s: sum(1 for r in counted if r.severity == s) for s in ("error", "warning", "info")}
    shown = tuple(r for r in counted if r.code not in PAIR_CODES)
    return HealthContext(findings=shown, errors=count["error"], warnings=count["warning"], notes=count["info"],
                         copies_below=len(shown) < len(counted),
                         read_as=tuple(insight.dataset.notes) if insight.dataset else ())
