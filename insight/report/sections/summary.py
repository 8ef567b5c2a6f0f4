"""Insight summary: the verdict, the class bar chart (tier colours, cutoff line) and the classes that
need more labels, most urgent first."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from insight.charts.classes import TIER_LABELS, class_charts, cutoff_label
from insight.model.dataset import order_splits
from insight.model.insight import Representation
from insight.report.sections.common import (
    Chart,
    Column,
    FindingRow,
    Table,
    chart,
    finding_row,
    finding_rows,
    table,
)

TIER_ORDER = {"serious": 0, "mild": 1, "well": 2}


@dataclass(frozen=True)
class ClassRow:
    """One class: its label count over all splits, share of all labels (0..1), tier
    (well | mild | serious), tier_label (words), labels to add to reach the cutoff, and its count
    in each split, in the order of SummaryContext.splits."""

    name: str
    count: int
    share: float
    tier: str
    tier_label: str
    to_add: int
    by_split: tuple[int, ...]


@dataclass(frozen=True)
class SummaryContext:
    """Template: sections/summary.html.

    verdict: the summary sentence (a finding, message already worded). cutoff/total/count_of: the
    cutoff in labels, the total label count and what a label count counts ("images", "boxes", ...).
    cutoff_label: the text on the chart's cutoff line. charts: one or more class bar charts.
    to_add: classes below the cutoff, serious first, then by labels to add; to_add_table: the same
    rows as a Table (rows classed by tier), printed as text lines. classes: all classes,
    largest first. splits: split names for ClassRow.by_split. split_findings: classes missing from
    val or whose share differs between train and val.
    """

    verdict: FindingRow
    cutoff: int
    cutoff_label: str
    total: int
    count_of: str
    class_count: int
    cutoff_factor: float
    serious_factor: float
    charts: tuple[Chart, ...]
    to_add: tuple[ClassRow, ...]
    to_add_table: Table
    classes: tuple[ClassRow, ...]
    splits: tuple[str, ...]
    split_findings: tuple[FindingRow, ...]


def representation_frame(rep: Representation) -> pd.DataFrame:
    """The classes as a table (name, count, share, tier) in declared order, for charts and tables."""
    return pd.DataFrame({"name": [c.name for c in rep.classes],
                         "count": [int(c.count) for c in rep.classes],
                         "share": [float(c.share) for c in rep.classes],
                         "tier": [c.tier for c in rep.classes]})


def representation_splits(rep: Representation) -> tuple[str, ...]:
    return tuple(order_splits({s for c in rep.classes for s in c.by_split}))


def class_rows(rep: Representation) -> tuple[ClassRow, ...]:
    """All classes, largest count first (declared order among equal counts)."""
    splits = representation_splits(rep)
    rows = [ClassRow(name=c.name, count=c.count, share=c.share, tier=c.tier,
                     tier_label=TIER_LABELS.get(c.tier, c.tier), to_add=c.to_add,
                     by_split=tuple(int(c.by_split.get(s, 0)) for s in splits)) for c in rep.classes]
    return tuple(sorted(rows, key=lambda r: -r.count))


def _to_add_table(rows: list[ClassRow]) -> Table:
    columns = [Column("Class"), Column("Tier", "tag"), Column("Labels", "int"), Column("Share", "pct"),
               Column("To add", "int")]
    return table("t-to-add", "Labels to add", columns,
                 [[r.name, r.tier_label, r.count, r.share, r.to_add] for r in rows],
                 layout="list", row_classes=tuple(f"tier-row {r.tier}" for r in rows))


def build_summary(representation: Representation | None) -> SummaryContext | None:
    if representation is None:
        return None
    rep = representation
    rows = class_rows(rep)
    svgs = class_charts(representation_frame(rep), rep.cutoff, key="classes")
    n = len(svgs)
    charts = tuple(chart(f"classes-{i + 1}", svg,
                         f"Labels per class ({rep.count_of}), coloured by tier; dashed line: the cutoff."
                         + (f" Part {i + 1} of {n}." if n > 1 else "")) for i, svg in enumerate(svgs))
    to_add = sorted((r for r in rows if r.to_add > 0), key=lambda r: (TIER_ORDER.get(r.tier, 3), -r.to_add))
    return SummaryContext(verdict=finding_row(rep.verdict), cutoff=rep.cutoff,
                          cutoff_label=cutoff_label(rep.cutoff), total=rep.total, count_of=rep.count_of,
                          class_count=len(rows), cutoff_factor=rep.cutoff_factor,
                          serious_factor=rep.serious_factor, charts=charts, to_add=tuple(to_add),
                          to_add_table=_to_add_table(to_add),
                          classes=rows, splits=representation_splits(rep),
                          split_findings=finding_rows(rep.split_findings))
