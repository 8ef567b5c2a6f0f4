"""Data statistics block for detection (docs/numbers.md, "Boxes"), train vs val, from `Insight.boxes`
(split -> stats.boxes.BoxStats): label distribution as boxes and as images, box area, COCO size,
aspect ratio, boxes per image, and the per-class box size table."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from insight.charts.boxes import class_boxes_charts, histograms_chart
from insight.charts.style import draw_all
from insight.model.dataset import order_splits
from insight.model.insight import Insight
from insight.report.sections.common import Chart, Column, Table, chart, table

INLINE_CLASSES = 15  # up to this many classes, the per-class size table is printed in the block
HISTOGRAMS = (  # (BoxStats field, panel title, what a share is of)
    ("area_pct", "Box area (% of the image)", "boxes"),
    ("coco_size", "COCO size (box area in pixels)", "boxes"),
    ("aspect_ratio", "Aspect ratio (width / height)", "boxes"),
    ("per_image", "Boxes per image", "images"),
)


@dataclass(frozen=True)
class BoxSplitRow:
    """One split: boxes (crowd included), images, crowd boxes among them, median boxes per image, median box
    area as a share of the image (0..1, None when unknown), boxes whose area or shape is unknown."""

    split: str
    boxes: int
    images: int
    crowd: int
    per_image_median: float | None
    area_median: float | None
    area_unknown: int
    aspect_unknown: int
    # the boxes of unknown area / shape when some of the split's boxes have one (when none has, the
    # chart's caption says that panel is not drawn), else 0
    area_note: int = 0
    aspect_note: int = 0


@dataclass(frozen=True)
class BoxClassRow:
    """One class; tuples hold one value per split (BoxesContext.splits order). Areas are shares of
    the image (0..1); None where the split has no box of the class."""

    name: str
    boxes: tuple[int, ...]
    images: tuple[int, ...]
    area_median: tuple[float | None, ...]
    area_p5: tuple[float | None, ...]
    area_p95: tuple[float | None, ...]
    aspect_median: tuple[float | None, ...]


@dataclass(frozen=True)
class BoxesContext:
    """Template: sections/data_boxes.html.

    splits: split names. per_split: one summary row per split. classes: the label distribution
    charts (each class's share of the split's boxes and of its images; classes with at least one
    box; several when there are many): for detection they replace the data section's own.
    histograms: area, COCO size, aspect ratio and boxes-per-image chart. class_rows: per-class sizes,
    largest class first, classes with at least one box (printed in the block when inline_table is
    True, else only in the tables section). class_count: how many classes have a box.
    coco_size_drawn: the COCO size panel is drawn (some box has a size in pixels).
    crowd: the format marks crowd boxes (COCO's iscrowd), or some box is one: the crowd column and the
    captions' "crowd boxes included" are shown only then (a VOC or YOLO box is never a crowd box).
    aspect_known: some class has a median aspect ratio; without image sizes (YOLO labels alone) none has,
    and the per-class table leaves out a column that would be dashes only.
    """

    splits: tuple[str, ...]
    per_split: tuple[BoxSplitRow, ...]
    classes: tuple[Chart, ...]
    histograms: Chart
    class_rows: tuple[BoxClassRow, ...]
    inline_table: bool
    class_count: int
    coco_size_drawn: bool
    crowd: bool = True
    aspect_known: bool = True


def _share(pct) -> float | None:
    return None if pct is None else pct / 100.0


def split_rows(insight: Insight) -> tuple[BoxSplitRow, ...]:
    return tuple(BoxSplitRow(split=s, boxes=b.count, images=b.images, crowd=b.crowd,
                             per_image_median=b.quantiles["per_image"].median,
                             area_median=_share(b.quantiles["area_pct"].median),
                             area_unknown=b.area_pct_unknown, aspect_unknown=b.aspect_unknown,
                             area_note=_partly(b.area_pct_unknown, b.count),
                             aspect_note=_partly(b.aspect_unknown, b.count))
                 for s, b in _ordered(insight))


def _partly(unknown: int, boxes: int) -> int:
    return unknown if 0 < unknown < boxes else 0


def class_rows(insight: Insight) -> tuple[BoxClassRow, ...]:
    """Every declared class with a box in some split, most boxes (over all splits) first; ties keep the
    declared order. A class with no box anywhere is named in the summary's one line on classes without
    labels, not given a row of dashes here."""
    stats = _ordered(insight)
    names = [c.name for c in stats[0][1].per_class] if stats else []
    per = [{c.name: c for c in b.per_class} for _, b in stats]
    rows = [BoxClassRow(name=n, boxes=tuple(p[n].boxes for p in per), images=tuple(p[n].images for p in per),
                        area_median=tuple(_share(p[n].area_pct.median) for p in per),
                        area_p5=tuple(_share(p[n].area_pct.p5) for p in per),
                        area_p95=tuple(_share(p[n].area_pct.p95) for p in per),
                        aspect_median=tuple(p[n].aspect_ratio.median for p in per)) for n in names]
    return tuple(sorted((r for r in rows if any(r.boxes)), key=lambda r: -sum(r.boxes)))


def histogram_frame(insight: Insight, field: str) -> pd.DataFrame:
    """bin, split, count, share (of the split's total in this histogram)."""
    rows = []
    for split, stats in _ordered(insight):
        hist = getattr(stats, field)
        total = sum(hist.counts)
        rows += [{"bin": b, "split": split, "count": n, "share": n / total if total else 0.0}
                 for b, n in zip(hist.labels, hist.counts)]
    return pd.DataFrame(rows, columns=["bin", "split", "count", "share"])


def _of(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _ordered(insight: Insight):
    return [(s, insight.boxes[s]) for s in order_splits(insight.boxes)]


def build(insight: Insight) -> BoxesContext | None:
    if not insight.boxes:
        return None
    splits = tuple(order_splits(insight.boxes))
    rows = drawn = class_rows(insight)  # classes with no box are named in the summary's line instead
    totals = {s: (insight.boxes[s].count, insight.boxes[s].images) for s in splits}
    shares = pd.DataFrame([{"class": r.name, "split": s, "box_share": _of(b, totals[s][0]),
                           "image_share": _of(i, totals[s][1])}
                           for r in drawn for s, b, i in zip(splits, r.boxes, r.images)],
                          columns=["class", "split", "box_share", "image_share"])
    vs = " vs ".join(splits)
    crowd = has_crowd(insight)
    class_caption = (f"Each class's share of the split's boxes (left) and of the split's images that "
                     f"contain it (right), {vs}; {'crowd boxes included; ' if crowd else ''}classes with the "
                     f"most boxes first.")
    panels, left_out = [], []
    for field, title, what in HISTOGRAMS:
        frame = histogram_frame(insight, field)
        frame = frame[frame["bin"] != "unknown"]  # unknown sizes are counted in the text, not drawn
        if frame["count"].sum() == 0:
            left_out.append(_in_sentence(title.split(" (")[0]))
            continue
        total = frame.groupby("split")["count"].transform("sum")
        frame = frame.assign(share=(frame["count"] / total.where(total > 0)).fillna(0.0))
        panels.append((title, f"share of {what} (%)", frame))
    caption = (f"{', '.join(t for t, _, _ in panels)}: {vs}, as shares of each split's boxes (boxes per "
               f"image: of its images).{' Crowd boxes included.' if crowd else ''}")
    if left_out:
        caption += f" Not drawn, as no box has the size in pixels it needs: {' and '.join(left_out)}."
    svgs, hist_svg = draw_all([lambda: class_boxes_charts(shares, list(splits)) if drawn else [],
                               lambda: histograms_chart(panels, list(splits))])
    parts = len(svgs)
    charts = tuple(chart(f"box-classes-{i + 1}", svg,
                         class_caption + (f" Part {i + 1} of {parts}, on its own scale." if parts > 1 else ""))
                   for i, svg in enumerate(svgs))
    hist = chart("box-histograms", hist_svg, caption)
    return BoxesContext(splits=splits, per_split=split_rows(insight), classes=charts, histograms=hist,
                        class_rows=rows, inline_table=len(rows) <= INLINE_CLASSES, class_count=len(rows),
                        coco_size_drawn="COCO size" not in left_out, crowd=crowd,
                        aspect_known=any(v is not None for r in rows for v in r.aspect_median))


def _in_sentence(title: str) -> str:
    """A panel's title inside a sentence: 'Aspect ratio' -> 'aspect ratio'; 'COCO size' stays."""
    return title if title.split()[0].isupper() else title[0].lower() + title[1:]


CROWD_FORMATS = ("coco",)  # formats whose boxes can be crowd boxes (COCO's iscrowd)


def has_crowd(insight: Insight) -> bool:
    """The dataset's format marks crowd boxes, or some box is one."""
    in_format = insight.dataset is not None and insight.dataset.format in CROWD_FORMATS
    return in_format or any(b.crowd for b in insight.boxes.values())


WH = "w/\u2060h"  # width / height; the word joiner keeps a narrow header from breaking after the slash
SPLITS_PER_TABLE = 2  # split column groups per "Boxes per class" table: 1 + 4 x 2 columns fit A4


def _pct(share: float | None) -> float | None:
    """A share 0..1 as a percentage number: printed with 3 significant digits, so a 0.04 % box does
    not read 0.0 %."""
    return None if share is None else 100.0 * share


def class_tables(insight: Insight) -> list[Table]:
    """Boxes per class, SPLITS_PER_TABLE splits side by side per table (train vs val together)."""
    splits = order_splits(insight.boxes)
    rows = class_rows(insight)
    groups = [list(range(i, min(i + SPLITS_PER_TABLE, len(splits)))) for i in range(0, len(splits), SPLITS_PER_TABLE)]
    out = []
    for n, group in enumerate(groups, start=1):
        columns = [Column("class")]
        for i in group:
            s = splits[i]
            columns += [Column(f"{s} boxes", "int"), Column(f"{s} images", "int"),
                        Column(f"{s} median area (%)", "num"), Column(f"{s} median {WH}", "num")]
        body = [[r.name] + [v for i in group for v in (r.boxes[i], r.images[i], _pct(r.area_median[i]),
                                                        r.aspect_median[i])] for r in rows]
        suffix = f" ({', '.join(splits[i] for i in group)})" if len(groups) > 1 else ""
        out.append(table(f"t-box-classes{'-' + str(n) if len(groups) > 1 else ''}",
                         "Boxes per class: count, images containing the class, median box area "
                         f"(% of the image) and median aspect ratio{suffix}", columns, body))
    return out


def tables(insight: Insight) -> tuple[Table, ...]:
    if not insight.boxes:
        return ()
    splits = order_splits(insight.boxes)
    out = class_tables(insight)
    for field, title, _ in HISTOGRAMS:
        frame = histogram_frame(insight, field)
        cols = [Column("bin")] + [c for s in splits for c in (Column(f"{s} count", "int"),
                                                               Column(f"{s} share", "pct"))]
        body = []
        for b, part in frame.groupby("bin", sort=False):
            by = part.set_index("split")
            body.append([b] + [v for s in splits for v in (by.at[s, "count"], by.at[s, "share"])])
        out.append(table(f"t-box-{field.replace('_', '-')}", title, cols, body))  # a few rows: full width
    return tuple(out)
