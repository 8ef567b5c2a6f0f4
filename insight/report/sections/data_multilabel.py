"""Data statistics block for multi-label classification: labels per image and co-occurrence of the
most common classes, train vs val, from `Insight.multilabel` (split -> MultiLabelStats)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from insight.charts.multilabel import cooccurrence_chart, per_image_chart
from insight.model.dataset import order_splits
from insight.model.insight import Insight
from insight.report.sections.common import Chart, Column, Table, chart, table

TOP_PAIRS = 5  # pairs named in the text


@dataclass(frozen=True)
class SplitRow:
    """One split: images, positive labels, mean labels per image, images with no label (and share 0..1)."""

    split: str
    images: int
    labels: int
    mean: float | None
    unlabeled: int
    unlabeled_share: float


@dataclass(frozen=True)
class Pair:
    """Two classes and the images of the first split that have both."""

    first: str
    second: str
    images: int


@dataclass(frozen=True)
class MultiLabelContext:
    """Template: sections/data_multilabel.html.

    splits: per-split counts. per_image: chart of labels per image. cooccurrence: one heatmap per
    split (top classes). top: how many classes the heatmaps show, of class_count. pairs: the pairs
    seen together most often in the first split (TOP_PAIRS at most).
    """

    splits: tuple[SplitRow, ...]
    per_image: Chart
    cooccurrence: tuple[Chart, ...]
    top: int
    class_count: int
    pairs: tuple[Pair, ...]


def split_rows(insight: Insight) -> tuple[SplitRow, ...]:
    rows = []
    for s in order_splits(insight.multilabel):
        st = insight.multilabel[s]
        none = int(st.labels_per_image.counts[0])
        rows.append(SplitRow(s, st.images, st.labels, st.mean_labels_per_image, none,
                             none / st.images if st.images else 0.0))
    return tuple(rows)


def per_image_frame(insight: Insight) -> pd.DataFrame:
    rows = []
    for s in order_splits(insight.multilabel):
        h = insight.multilabel[s].labels_per_image
        total = sum(h.counts)
        rows += [{"bin": b, "split": s, "count": n, "share": n / total if total else 0.0}
                 for b, n in zip(h.labels, h.counts)]
    return pd.DataFrame(rows, columns=["bin", "split", "count", "share"])


def pairs(insight: Insight, split: str) -> list[Pair]:
    """Every pair of top classes seen together in `split`, most images first."""
    co = insight.multilabel[split].cooccurrence
    counts = np.asarray(co.counts, dtype=int).reshape(len(co.classes), len(co.classes))
    found = [Pair(co.classes[i], co.classes[j], int(counts[i, j]))
             for i in range(len(co.classes)) for j in range(i + 1, len(co.classes)) if counts[i, j] > 0]
    return sorted(found, key=lambda p: (-p.images, p.first, p.second))


def build(insight: Insight) -> MultiLabelContext | None:
    if not insight.multilabel:
        return None
    splits = order_splits(insight.multilabel)
    per_image = chart("labels-per-image", per_image_chart(per_image_frame(insight), splits),
                      "Positive labels per image: " + " vs ".join(splits) + ".")
    heatmaps = []
    for s in splits:
        co = insight.multilabel[s].cooccurrence
        if not co.classes or not insight.multilabel[s].images:
            continue
        svg = cooccurrence_chart(list(co.classes), np.asarray(co.counts), key=f"cooccurrence-{s}")
        heatmaps.append(chart(f"cooccurrence-{s}", svg,
                              f"{s}: images of the row class that also have the column class (share, with the "
                              "image count); the diagonal counts the images with the class."))
    first = insight.multilabel[splits[0]].cooccurrence
    classes = insight.dataset.classes if insight.dataset is not None else first.classes
    return MultiLabelContext(splits=split_rows(insight), per_image=per_image, cooccurrence=tuple(heatmaps),
                             top=len(first.classes), class_count=len(classes),
                             pairs=tuple(pairs(insight, splits[0])[:TOP_PAIRS]))


def tables(insight: Insight) -> tuple[Table, ...]:
    if not insight.multilabel:
        return ()
    splits = order_splits(insight.multilabel)
    frame = per_image_frame(insight)
    columns = [Column("labels per image")] + [c for s in splits for c in (Column(f"{s} images", "int"),
                                                                          Column(f"{s} share", "pct"))]
    rows = []
    for b, part in frame.groupby("bin", sort=False):
        by = part.set_index("split")
        rows.append([b] + [v for s in splits for v in (by.at[s, "count"], by.at[s, "share"])])
    per_image = table("t-labels-per-image", "Positive labels per image", columns, rows)
    found = {s: {(p.first, p.second): p.images for p in pairs(insight, s)} for s in splits}
    keys = list(dict.fromkeys(k for s in splits for k in found[s]))
    pair_columns = [Column("class"), Column("with")] + [Column(f"{s} images", "int") for s in splits]
    pair_rows = [[a, b] + [found[s].get((a, b), 0) for s in splits] for a, b in keys]
    co = table("t-cooccurrence", "Classes seen together (top classes; images with both)", pair_columns,
               pair_rows)
    return (per_image, co)
