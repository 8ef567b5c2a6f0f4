"""Data statistics block for segmentation: how much of the image each class covers, train vs val
(docs/numbers.md, "Masks"), from `Insight.masks` (split -> class -> MaskClassStats)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from insight.charts.masks import coverage_chart, max_rows, mean_area_chart
from insight.model.dataset import order_splits
from insight.model.insight import Insight
from insight.report.sections.common import Chart, Column, Table, chart, table

SMALLEST = 5  # classes named in the text as covering the least of their images


@dataclass(frozen=True)
class MaskClassRow:
    """One class. Per split, in MasksContext.splits order: images containing it, and its mean and
    median area where present as shares of the image (0..1; None where the split lacks the class)."""

    name: str
    images: tuple[int, ...]
    mean: tuple[float | None, ...]
    median: tuple[float | None, ...]


@dataclass(frozen=True)
class MasksContext:
    """Template: sections/data_masks.html.

    splits: split names. class_count: declared classes. coverage: chart of the area bins pooled over
    classes. mean_area: chart of the mean area per class (None when no class is present); `shown` is
    how many classes it draws (those covering the least first; all when class_count <= shown).
    smallest: up to SMALLEST present classes with the smallest mean area in the first split.
    (Classes with no pixel in any split are named once, in the insight summary.)
    """

    splits: tuple[str, ...]
    class_count: int
    coverage: Chart
    mean_area: Chart | None
    shown: int
    smallest: tuple[MaskClassRow, ...]


def _share(pct: float | None) -> float | None:
    return None if pct is None or (isinstance(pct, float) and math.isnan(pct)) else pct / 100.0


def _pct(share: float | None) -> float | None:
    """A share 0..1 as a percentage number for the tables (3 significant digits: 0.013 %, not 0.0 %)."""
    return None if share is None else 100.0 * share


def class_rows(insight: Insight) -> tuple[MaskClassRow, ...]:
    """Every class, smallest mean area (in any split) first; classes with no pixel last, by name."""
    masks = insight.masks
    splits = order_splits(masks)
    classes = list(next(iter(masks.values()))) if masks else []
    rows = [MaskClassRow(c, tuple(masks[s][c].images for s in splits),
                         tuple(_share(masks[s][c].mean_area_pct) for s in splits),
                         tuple(_share(masks[s][c].median_area_pct) for s in splits)) for c in classes]

    def key(row: MaskClassRow):
        present = [m for m in row.mean if m is not None]
        return (not present, min(present) if present else 0.0, row.name)

    return tuple(sorted(rows, key=key))


def coverage_frame(insight: Insight) -> pd.DataFrame:
    """bin, split, count, share: (image, class) pairs with the class present, pooled over classes."""
    rows = []
    for split in order_splits(insight.masks):
        per_class = list(insight.masks[split].values())
        bins = per_class[0].area_pct.labels[1:] if per_class else ()
        counts = [sum(s.area_pct.counts[i + 1] for s in per_class) for i in range(len(bins))]
        total = sum(counts)
        rows += [{"bin": b, "split": split, "count": n, "share": n / total if total else 0.0}
                 for b, n in zip(bins, counts)]
    return pd.DataFrame(rows, columns=["bin", "split", "count", "share"])


def build(insight: Insight) -> MasksContext | None:
    if not insight.masks:
        return None
    splits = tuple(order_splits(insight.masks))
    rows = class_rows(insight)
    drawn = [r for r in rows if any(m is not None for m in r.mean)][:max_rows(len(splits))]
    coverage = chart("mask-coverage", coverage_chart(coverage_frame(insight), list(splits)),
                     "How much of its image a class covers, over every (image, class) pair with the class "
                     "present: " + " vs ".join(splits) + ".")
    mean_area = None
    if drawn:
        frame = pd.DataFrame([{"class": r.name, "split": s, "mean_area_pct": 100 * m if m is not None else math.nan}
                              for r in drawn for s, m in zip(splits, r.mean)])
        present = sum(1 for r in rows if any(m is not None for m in r.mean))
        shown = (f" It shows {len(drawn)} of the {present} classes present: those that cover the least of their "
                 "images; the table of values in report.html lists them all." if len(drawn) < present else "")
        mean_area = chart("mask-mean-area", mean_area_chart(frame, list(splits)),
                          "Mean area where present, per class (" + " vs ".join(splits) + "); classes that "
                          "cover the least of their images first. No bar: the class is absent from that split."
                          + shown)
    first = sorted((r for r in rows if r.mean and r.mean[0] is not None), key=lambda r: r.mean[0])[:SMALLEST]
    return MasksContext(splits=splits, class_count=len(rows), coverage=coverage, mean_area=mean_area,
                        shown=len(drawn), smallest=tuple(first))


def tables(insight: Insight) -> tuple[Table, ...]:
    if not insight.masks:
        return ()
    splits = order_splits(insight.masks)
    columns = [Column("class")]
    for s in splits:
        columns += [Column(f"{s} images", "int"), Column(f"{s} mean (%)", "num"), Column(f"{s} median (%)", "num")]
    rows = [[r.name] + [v for i in range(len(splits)) for v in (r.images[i], _pct(r.mean[i]), _pct(r.median[i]))]
            for r in class_rows(insight)]
    per_class = table("t-mask-area", "Mask area per class (mean and median where present, % of the image)",
                      columns, rows)
    frame = coverage_frame(insight)
    bin_columns = [Column("area of the image")] + [c for s in splits for c in (Column(f"{s} pairs", "int"),
                                                                              Column(f"{s} share", "pct"))]
    bin_rows = []
    for b, part in frame.groupby("bin", sort=False):
        by = part.set_index("split")
        bin_rows.append([b] + [v for s in splits for v in (by.at[s, "count"], by.at[s, "share"])])
    coverage = table("t-mask-coverage", "Mask coverage: (image, class) pairs per area bin", bin_columns,
                     bin_rows)
    return (coverage, per_class)
