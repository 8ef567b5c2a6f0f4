"""How the data moved over the nights (--history DIR): earlier insight.json documents and this report's,
night by night: labels per split and per class, tiers, health findings and the curve scenario, with the
nights where something changed marked (what diagnose.changes calls a change against the night before).

Pure: the documents come in already read (insight.history_files reads the folder); a document that is
not an insight.json of this schema was left out there, with a note.
"""

from __future__ import annotations

from dataclasses import dataclass

from insight.diagnose.changes import compare

THIS_REPORT = "this report"
TIERS = ("well", "mild", "serious")


@dataclass(frozen=True)
class Night:
    """One report: its label (the file's name or folder, or "this report"), the file read, labels in all
    and per split, label count per class and split, classes per tier, health findings by code (their
    count) and how many of them are errors and warnings, the curve scenario (None without a diagnosis), whether something changed against the
    night before, and what, in short phrases."""

    label: str
    source: str
    labels: int | None
    labels_by_split: dict[str, int]
    classes: dict[str, dict[str, int]]
    tiers: dict[str, int]
    health: dict[str, int]
    errors: int
    warnings: int
    scenario: str | None
    changed: bool
    changes: tuple[str, ...]


@dataclass(frozen=True)
class History:
    """insight.json `history`: the nights, oldest first (this report last), and notes on the files of
    the folder that were left out."""

    folder: str
    nights: tuple[Night, ...]
    notes: tuple[str, ...] = ()

    @property
    def changed_nights(self) -> int:
        return sum(n.changed for n in self.nights)


def trends(folder: str, earlier: list[tuple[str, str, dict]], current: dict, notes=()) -> History:
    """`earlier`: (label, source, insight.json document) in night order; `current`: this report's
    insight.json document."""
    docs = list(earlier) + [(THIS_REPORT, "", current)]
    nights = []
    for i, (label, source, doc) in enumerate(docs):
        change = _changes(docs[i - 1][2], doc, docs[i - 1][0]) if i else ()
        nights.append(_night(label, source, doc, bool(change), change))
    return History(folder, tuple(nights), tuple(notes))


def _night(label: str, source: str, doc: dict, changed: bool, changes: tuple[str, ...]) -> Night:
    rep = doc.get("representation") or {}
    classes = {c["name"]: {str(s): int(n) for s, n in (c.get("by_split") or {}).items()}
               for c in rep.get("classes", [])}
    splits = ((doc.get("dataset") or {}).get("splits") or {})
    tiers = {t: sum(c.get("tier") == t for c in rep.get("classes", [])) for t in TIERS}
    health = {h["code"]: int(h.get("count", 0)) for h in doc.get("health", [])}
    severities = [h.get("severity") for h in doc.get("health", [])]
    return Night(label, source, rep.get("total"), {str(s): int(v.get("labels", 0)) for s, v in splits.items()},
                 classes, tiers, health, severities.count("error"), severities.count("warning"),
                 (doc.get("curves") or {}).get("scenario"), changed, changes)


def _changes(before: dict, after: dict, label: str) -> tuple[str, ...]:
    """What moved since the night before, in short phrases (empty: nothing did)."""
    c = compare(before, after, label)
    said = []
    if c.total_before != c.total_after:
        said.append(f"labels {_count(c.total_before)} → {_count(c.total_after)}")
    if c.classes_added:
        said.append("classes added: " + ", ".join(c.classes_added))
    if c.classes_removed:
        said.append("classes removed: " + ", ".join(c.classes_removed))
    if c.tier_changes:
        said.append("tiers: " + ", ".join(f"{t.name} {t.tier_before} → {t.tier_after}" for t in c.tier_changes))
    moved = [m for m in c.classes_moved if m.tier_before == m.tier_after]
    if moved:
        said.append(f"count or share moved: {', '.join(m.name for m in moved[:5])}"
                    + (f" and {len(moved) - 5} more" if len(moved) > 5 else ""))
    said += [f"new finding {h.code} ({h.count_after})" for h in c.health_new]
    said += [f"{h.code} {h.count_before} → {h.count_after}" for h in c.health_changed]
    said += [f"{h.code} gone" for h in c.health_resolved]
    if c.scenario_before != c.scenario_after:
        said.append(f"{_scenario(c.scenario_before)} → {_scenario(c.scenario_after)}")
    return tuple(said)


def _scenario(letter: str | None) -> str:
    """A night's curve scenario as the report names it elsewhere (the 'since last report' section)."""
    return f"Curve {letter}" if letter else "no diagnosis"


def _count(value) -> str:
    return "none" if value is None else f"{value:,}"
