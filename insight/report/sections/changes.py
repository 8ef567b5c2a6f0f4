"""Since the last report: what moved against the --baseline insight.json (shown only with a baseline)."""

from __future__ import annotations

from dataclasses import dataclass

from insight.diagnose.changes import Changes, ClassChange, HealthChange

TIER_WORDS = {"well": "well represented", "mild": "mildly under-represented",
              "serious": "seriously under-represented"}


@dataclass(frozen=True)
class ClassRow:
    """A class whose count, share or tier moved. Shares are 0..1; tiers are in words."""

    name: str
    count_before: int
    count_after: int
    share_before: float
    share_after: float
    tier_before: str
    tier_after: str
    tier_changed: bool


@dataclass(frozen=True)
class ChangesContext:
    """Template: sections/changes.html.

    baseline: the file compared against. nothing_changed: no class, health or scenario change.
    added/removed: class names. moved: classes whose count, share or tier changed.
    health_new/health_resolved/health_changed: findings by code with counts before and after.
    scenario_before/after: the curve letters (None when there was no diagnosis); scenario_changed.
    total_before/after: label totals.
    """

    baseline: str
    nothing_changed: bool
    added: tuple[str, ...]
    removed: tuple[str, ...]
    moved: tuple[ClassRow, ...]
    health_new: tuple[HealthChange, ...]
    health_resolved: tuple[HealthChange, ...]
    health_changed: tuple[HealthChange, ...]
    scenario_before: str | None
    scenario_after: str | None
    scenario_changed: bool
    total_before: int | None
    total_after: int | None


def _row(c: ClassChange) -> ClassRow:
    return ClassRow(name=c.name, count_before=c.count_before, count_after=c.count_after,
                    share_before=c.share_pct_before / 100, share_after=c.share_pct_after / 100,
                    tier_before=TIER_WORDS.get(c.tier_before, c.tier_before),
                    tier_after=TIER_WORDS.get(c.tier_after, c.tier_after),
                    tier_changed=c.tier_before != c.tier_after)


def build_changes(changes: Changes | None) -> ChangesContext | None:
    if changes is None:
        return None
    return ChangesContext(
        baseline=changes.baseline, nothing_changed=changes.nothing_changed,
        added=changes.classes_added, removed=changes.classes_removed,
        moved=tuple(_row(c) for c in changes.classes_moved),
        health_new=changes.health_new, health_resolved=changes.health_resolved,
        health_changed=changes.health_changed,
        scenario_before=changes.scenario_before, scenario_after=changes.scenario_after,
        scenario_changed=changes.scenario_before != changes.scenario_after,
        total_before=changes.total_before, total_after=changes.total_after)
