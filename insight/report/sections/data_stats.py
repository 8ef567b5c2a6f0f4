"""Data statistics: train vs val label distribution, then one block per task-specific statistic
(boxes, masks, multi-label) registered in DATA_PARTS.

To add a block (see the package docstring): write templates/sections/data_<name>.html, a context
dataclass and a `build(insight) -> context | None` function in insight/report/sections/data_<name>.py,
and append `DataPartSpec("<name>", build)` to DATA_PARTS below. The block is shown only when `build`
returns a context (e.g. when `insight.boxes` is not None); its template sees it as `part.context`.
Give the spec a `tables` function too, returning common.Table objects with every value its charts
draw: the tables section lists them after the label distribution.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from insight.charts.classes import sort_by_count, split_charts
from insight.model.insight import Insight, Representation
from insight.report.sections.common import Chart, chart
from insight.report.sections.summary import representation_frame, representation_splits


@dataclass(frozen=True)
class DataPartSpec:
    """A task-specific block: `name` picks templates/sections/data_<name>.html."""

    name: str
    build: Callable[[Insight], Any]
    tables: Callable[[Insight], tuple] = lambda insight: ()  # its charts' values (common.Table)


@dataclass(frozen=True)
class DataPart:
    """A built block: `template` to include and the `context` it reads."""

    name: str
    template: str
    context: Any


def _task_parts() -> tuple[DataPartSpec, ...]:
    from insight.report.sections import data_boxes, data_masks, data_multilabel

    return (DataPartSpec("boxes", data_boxes.build, data_boxes.tables),
            DataPartSpec("masks", data_masks.build, data_masks.tables),
            DataPartSpec("multilabel", data_multilabel.build, data_multilabel.tables))


DATA_PARTS: tuple[DataPartSpec, ...] = _task_parts()  # e.g. DataPartSpec("boxes", data_boxes.build)


@dataclass(frozen=True)
class DataStatsContext:
    """Template: sections/data_stats.html.

    splits: split names in order. one_split: True when the dataset has a single split (validation
    statistics are missing). count_of: what a label counts. distribution: charts of each split's
    label shares per class, classes with at least one label only. unlabelled: how many declared
    classes have no label in any split (left out of the charts: empty rows would fill pages; the
    summary names them and the tables list every class). drawn_in_part: the task's block draws the
    label distribution itself (detection: shares of boxes and of images per class, side by side), so
    `distribution` is empty. The task-specific blocks are the report's `data_parts` (DataPart).
    """

    splits: tuple[str, ...]
    one_split: bool
    count_of: str
    distribution: tuple[Chart, ...]
    drawn_in_part: bool
    unlabelled: int


def distribution_frame(rep: Representation) -> pd.DataFrame:
    """Long table class, split, count, share (of that split's labels), classes largest first."""
    order = list(sort_by_count(representation_frame(rep))["name"])
    by_name = {c.name: c for c in rep.classes}
    rows = []
    for split in representation_splits(rep):
        total = sum(int(c.by_split.get(split, 0)) for c in rep.classes)
        for name in order:
            count = int(by_name[name].by_split.get(split, 0))
            rows.append({"class": name, "split": split, "count": count,
                         "share": count / total if total else 0.0})
    return pd.DataFrame(rows, columns=["class", "split", "count", "share"])


def build_parts(insight: Insight, specs: tuple[DataPartSpec, ...] = None) -> tuple[DataPart, ...]:
    parts = []
    for spec in DATA_PARTS if specs is None else specs:
        context = spec.build(insight)
        if context is not None:
            parts.append(DataPart(spec.name, f"sections/data_{spec.name}.html", context))
    return tuple(parts)


# Tasks whose block (DATA_PARTS) draws the label distribution per split with more beside it.
DISTRIBUTION_IN_PART = ("detection",)


def build_distribution(representation: Representation | None, task: str | None) -> DataStatsContext | None:
    """The section from the label counts and the task alone; its task blocks are built apart
    (build_parts: the report's `data_parts`)."""
    if representation is None:
        return None
    rep = representation
    in_part = task in DISTRIBUTION_IN_PART
    splits = representation_splits(rep)
    frame = distribution_frame(rep)
    totals = frame.groupby("class", sort=False)["count"].sum()
    unlabelled = set(totals.index[totals == 0])  # empty rows would fill pages (80 COCO classes)
    frame = frame[~frame["class"].isin(unlabelled)]
    svgs = split_charts(frame, list(splits), key="splits") if not (frame.empty or in_part) else []
    n = len(svgs)
    charts = tuple(chart(f"splits-{i + 1}", svg,
                         f"Share of each split's labels ({rep.count_of}) per class."
                         + (f" Part {i + 1} of {n}, on its own scale." if n > 1 else ""))
                   for i, svg in enumerate(svgs))
    return DataStatsContext(splits=splits, one_split=len(splits) < 2, count_of=rep.count_of,
                            distribution=charts, drawn_in_part=in_part, unlabelled=len(unlabelled))
