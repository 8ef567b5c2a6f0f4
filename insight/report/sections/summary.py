"""Insight summary: the verdict, the class bar chart (tier colours, cutoff line) and the classes that
need more labels, most urgent first."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from insight.charts.classes import TIER_LABELS, class_charts, cutoff_label
from insight.model.dataset import order_splits
from insight.model.insight import Representation
from insight.report.sections.common import Chart, FindingRow, chart, finding_row, finding_rows

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
    cutoff_label: the text on the chart's cutoff line. charts: one or more class bar charts of the
    classes with labels (each part on its own scale). unlabelled: up to NAMED declared classes with
    no label in any split (said once, in one line, instead of a bar or a row each); unlabelled_count:
    how many there are; unlabelled_more: how many are not named. to_add: classes with labels below
    the cutoff, serious first, then by labels to add; to_add_printed: the first PRINTED_TO_ADD of
    them (the PDF's list), to_add_more: how many the PDF leaves out. classes: all classes, largest
    first. splits: split names for ClassRow.by_split. split_findings: classes missing from a split
    or whose share differs between train and val.
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
    unlabelled: tuple[str, ...]
    unlabelled_count: int
    unlabelled_more: int
    to_add: tuple[ClassRow, ...]
    to_add_printed: tuple[ClassRow, ...]
    to_add_more: int
    classes: tuple[ClassRow, ...]
    splits: tuple[str, ...]
    split_findings: tuple[FindingRow, ...]


NAMED = 20  # declared classes without labels named in the summary's line; insight.json lists them all
PRINTED_TO_ADD = 60  # rows of the labels-to-add list in the PDF; report.html lists every class


def representation_frame(rep: Representation) -> pd.DataFrame:
    """The classes as a table (name, count, share, tier, to_add) in declared order, for charts and tables."""
    return pd.DataFrame({"name": [c.name for c in rep.classes],
                         "count": [int(c.count) for c in rep.classes],
                         "share": [float(c.share) for c in rep.classes],
                         "tier": [c.tier for c in rep.classes],
                         "to_add": [int(c.to_add) for c in rep.classes]})


def representation_splits(rep: Representation) -> tuple[str, ...]:
    return tuple(order_splits({s for c in rep.classes for s in c.by_split}))


def unlabelled_classes(rep: Representation) -> list[str]:
    """Declared classes with no label in any split, in declared order."""
    return [c.name for c in rep.classes if c.count == 0]


def class_rows(rep: Representation) -> tuple[ClassRow, ...]:
    """All classes, largest count first (declared order among equal counts)."""
    splits = representation_splits(rep)
    rows = [ClassRow(name=c.name, count=c.count, share=c.share, tier=c.tier,
                     tier_label=TIER_LABELS.get(c.tier, c.tier), to_add=c.to_add,
                     by_split=tuple(int(c.by_split.get(s, 0)) for s in splits)) for c in rep.classes]
    return tuple(sorted(rows, key=lambda r: -r.count))


def to_add_rows(rep: Representation) -> list[ClassRow]:
    """Classes with labels that need more: serious first, then most labels to add first."""
    rows = (r for r in class_rows(rep) if r.to_add > 0 and r.count > 0)
    return sorted(rows, key=lambda r: (TIER_ORDER.get(r.tier, 3), -r.to_add))


def build_summary(representation: Representation | None) -> SummaryContext | None:
    if representation is None:
        return None
    rep = representation
    frame = representation_frame(rep)
    svgs = class_charts(frame[frame["count"] > 0], rep.cutoff, key="classes") if rep.total else []
    n = len(svgs)
    charts = tuple(chart(f"classes-{i + 1}", svg,
                         f"Labels per class ({rep.count_of}), classes with labels, coloured by tier; dashed line: "
                         "the cutoff." + (f" Part {i + 1} of {n}, on its own scale." if n > 1 else ""))
                   for i, svg in enumerate(svgs))
    unlabelled = unlabelled_classes(rep)
    to_add = tuple(to_add_rows(rep))
    return SummaryContext(verdict=finding_row(rep.verdict), cutoff=rep.cutoff,
                          cutoff_label=cutoff_label(rep.cutoff), total=rep.total, count_of=rep.count_of,
                          class_count=len(rep.classes), cutoff_factor=rep.cutoff_factor,
                          serious_factor=rep.serious_factor, charts=charts, unlabelled=tuple(unlabelled[:NAMED]),
                          unlabelled_count=len(unlabelled), unlabelled_more=max(0, len(unlabelled) - NAMED),
                          to_add=to_add, to_add_printed=to_add[:PRINTED_TO_ADD],
                          to_add_more=max(0, len(to_add) - PRINTED_TO_ADD), classes=class_rows(rep),
                          splits=representation_splits(rep), split_findings=finding_rows(rep.split_findings))
