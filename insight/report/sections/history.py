"""Trends over the nights (--history DIR): labels per split night by night in a chart, then a table of
the nights (labels per split, classes per tier, health findings, the curve scenario, what changed); in
report.html also labels per class and night. The printed report keeps the last PRINTED_NIGHTS nights."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from insight.charts.history import labels_chart
from insight.diagnose.history import History
from insight.model.dataset import order_splits
from insight.report.sections.common import Chart, chart

PRINTED_NIGHTS = 12
CLASS_NIGHTS = 30  # the per-class table's columns at most: the latest nights


@dataclass(frozen=True)
class NightRow:
    """One night: label, labels per split (in HistoryContext.splits order; None where the split is
    absent), classes per tier (well, mild, serious), data-health findings at error and at warning, the scenario
    (letter or None), whether something changed against the night before and what."""

    label: str
    labels: tuple[int | None, ...]
    well: int
    mild: int
    serious: int
    errors: int
    warnings: int
    scenario: str | None
    changed: bool
    changes: tuple[str, ...]


@dataclass(frozen=True)
class ClassRow:
    """One class: its label count (all splits) per night in HistoryContext.class_nights (None where absent)."""

    name: str
    counts: tuple[int | None, ...]


@dataclass(frozen=True)
class HistoryContext:
    """Template: sections/history.html.

    folder: the --history folder. splits: split names of the table's columns. nights: every night,
    oldest first (this report last); printed: the last PRINTED_NIGHTS of them, printed_left: how many
    the printed report leaves out. changed: nights where something changed. chart: labels per split.
    class_nights/classes: labels per class for the latest CLASS_NIGHTS nights (report.html only).
    notes: files of the folder left out, and why."""

    folder: str
    splits: tuple[str, ...]
    nights: tuple[NightRow, ...]
    printed: tuple[NightRow, ...]
    printed_left: int
    changed: int
    chart: Chart | None
    class_nights: tuple[str, ...]
    classes: tuple[ClassRow, ...]
    notes: tuple[str, ...]


def build_history(history: History | None) -> HistoryContext | None:
    if history is None:
        return None
    splits = tuple(order_splits({s for n in history.nights for s in n.labels_by_split}))
    rows = tuple(NightRow(n.label, tuple(n.labels_by_split.get(s) for s in splits), n.tiers.get("well", 0),
                          n.tiers.get("mild", 0), n.tiers.get("serious", 0), n.errors, n.warnings, n.scenario,
                          n.changed, n.changes) for n in history.nights)
    latest = history.nights[-CLASS_NIGHTS:]
    names = list(dict.fromkeys(c for n in latest for c in n.classes))
    classes = tuple(ClassRow(c, tuple(sum(n.classes[c].values()) if c in n.classes else None for n in latest))
                    for c in names)
    return HistoryContext(folder=history.folder, splits=splits, nights=rows, printed=rows[-PRINTED_NIGHTS:],
                          printed_left=max(0, len(rows) - PRINTED_NIGHTS), changed=history.changed_nights,
                          chart=_chart(history, splits), class_nights=tuple(n.label for n in latest),
                          classes=classes, notes=history.notes)


def _chart(history: History, splits: tuple[str, ...]) -> Chart | None:
    rows = [{"night": i, "split": s, "labels": n.labels_by_split[s]}
            for s in splits for i, n in enumerate(history.nights) if s in n.labels_by_split]
    if not rows:
        return None
    labels = [n.label for n in history.nights]
    svg = labels_chart(pd.DataFrame(rows), labels, [n.changed for n in history.nights])
    return chart("history-labels", svg, f"Labels per split in each of the {len(labels)} reports, oldest first; "
                                        "a dotted line marks a night where something changed.")
