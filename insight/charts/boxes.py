"""Box charts (detection), train vs val side by side. Inputs are plain tables; outputs SVG strings.

- `histograms_chart`: several binned statistics (box area, COCO size, aspect ratio, boxes per image),
  one panel each, one bar per split in each bin, as the share of the split's boxes (or images): splits
  of different sizes compare directly.
- `class_boxes_charts`: the label distribution per class: each class's share of the split's boxes
  and share of the split's images that contain it, two panels side by side, horizontal bars sorted
  by box count (largest on top), one bar per split. Shares, not counts: a validation split 25 times
  smaller than train still shows its bars next to train's. At most `ROWS_PER_CHART` classes per
  chart, every chart on the same scale, so 80 classes make two legible charts.
"""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.ticker import MaxNLocator

from insight.charts.style import (COLORS, bars, draw_pages, group_hovers, new_figure, rows_per_page, share_limits,
                                  styled, to_svg)

ROWS_PER_CHART = 40  # classes per chart at most; fewer when more splits make each row taller
ROW_IN = 0.15  # inches per class row and split
BASE_IN = 1.2  # axes, ticks and legend above and below the rows
LABEL_BOX = {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}


def _short(name: str, limit: int = 24) -> str:
    name = str(name)
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _color(split: str) -> str:
    return COLORS.get(split, COLORS["other"])


def histograms_chart(panels: list[tuple[str, str, pd.DataFrame]], splits: list[str],
                     key: str = "box-histograms") -> str:
    """`panels`: (title, y label, table with columns bin, split, share 0..1), bins in order.

    Two panels per row; each bin gets one bar per split.
    """
    cols = 2 if len(panels) > 1 else 1
    rows = math.ceil(len(panels) / cols)
    width = 0.8 / max(1, len(splits))
    hover = []
    with styled():
        fig = new_figure(0.5 + 2.3 * rows)
        axes = fig.subplots(rows, cols, squeeze=False).ravel()
        for ax, (title, ylabel, table) in zip(axes, panels):
            bins = list(dict.fromkeys(table["bin"]))
            wide = table.pivot(index="bin", columns="split", values="share").reindex(bins).fillna(0.0)
            wide = wide.reindex(columns=splits, fill_value=0.0)
            counts = None
            if "count" in table:
                counts = table.pivot(index="bin", columns="split", values="count").reindex(bins)
                counts = counts.reindex(columns=splits).fillna(0)
            hover += group_hovers(ax, wide, scale=100, counts=counts)
            for i, split in enumerate(splits):
                xs = [p - 0.4 + width * (i + 0.5) for p in range(len(bins))]
                bars(ax, xs, 100 * wide[split], width, _color(split), label=split)
            ax.set_xticks(range(len(bins)), bins, rotation=35 if len(bins) > 5 else 0,
                          ha="right" if len(bins) > 5 else "center", rotation_mode="anchor", fontsize=6.5)
            ax.set_title(title, loc="left")
            ax.set_ylabel(ylabel)
            ax.grid(axis="x", visible=False)
        for ax in axes[len(panels):]:
            ax.set_visible(False)
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=max(1, len(splits)))
        return to_svg(fig, key, hover)


def class_boxes_charts(table: pd.DataFrame, splits: list[str], key: str = "box-classes") -> list[str]:
    """`table`: columns class, split, box_share (0..1 of the split's boxes), image_share (0..1 of the
    split's images containing the class), classes in the order to draw (top first).

    Returns one SVG per ROWS_PER_CHART classes (even chunks). Each has its own scale: on one scale
    for all, the long tail of a COCO-like dataset (shares of 0.1 %) is bars too short to see.
    """
    classes = list(dict.fromkeys(table["class"]))
    boxes = 100 * _wide(table, classes, splits, "box_share")
    images = 100 * _wide(table, classes, splits, "image_share")
    most = rows_per_page(BASE_IN, _row_in(len(splits)), ROWS_PER_CHART)
    count = max(1, math.ceil(len(classes) / most))
    per = max(1, math.ceil(len(classes) / count))
    pages = [(boxes.iloc[i:i + per], images.iloc[i:i + per]) for i in range(0, max(len(classes), 1), per)]
    return draw_pages(_class_chart, [(b, m, splits, (_top(b), _top(m)), f"{key}-{n + 1}")
                                     for n, (b, m) in enumerate(pages)])


def _top(shares: pd.DataFrame) -> float:
    return 1.25 * max(float(shares.to_numpy().max(initial=0)), 1e-9)


def _wide(table: pd.DataFrame, classes: list[str], splits: list[str], column: str) -> pd.DataFrame:
    wide = table.pivot(index="class", columns="split", values=column).reindex(classes).fillna(0)
    return wide.reindex(columns=splits, fill_value=0)


def _row_in(splits: int) -> float:
    """Height of one class row holding one bar per split, inches."""
    return ROW_IN * max(1.0, 0.6 * splits)


def _class_chart(boxes: pd.DataFrame, images: pd.DataFrame, splits: list[str], tops, key: str) -> str:
    rows = len(boxes)
    width = 0.8 / max(1, len(splits))
    with styled():
        fig = new_figure(BASE_IN + _row_in(len(splits)) * max(rows, 3))
        fig.get_layout_engine().set(wspace=0.08)  # room between the panels' end and start ticks
        ax_boxes, ax_images = fig.subplots(1, 2)  # same rows; only the left one names them
        for ax, wide, top, label in ((ax_boxes, boxes, tops[0], "share of the split's boxes (%)"),
                                     (ax_images, images, tops[1], "share of the split's images with the class (%)")):
            for i, split in enumerate(splits):
                ys = [p - 0.4 + width * (i + 0.5) for p in range(rows)]
                bars(ax, ys, wide[split], width, _color(split), label=split, horizontal=True)
                if len(splits) * rows <= 60:
                    for y, v in zip(ys, wide[split]):
                        ax.annotate(f"{v:.3g} %", (v, y), xytext=(2, 0), textcoords="offset points",
                                    ha="left", va="center", fontsize=5.5, bbox=LABEL_BOX)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
            share_limits(ax, top)
            ax.set_xlabel(label)
            ax.xaxis.set_ticks_position("top")
            ax.xaxis.set_label_position("top")
            ax.grid(axis="y", visible=False)
            ax.tick_params(axis="y", length=0)
        ax_boxes.set_yticks(range(rows), [_short(c) for c in boxes.index], fontsize=7)
        ax_images.set_yticks([])  # a shared axis would draw (and lay out) every name twice
        for ax in (ax_boxes, ax_images):
            ax.set_ylim(rows - 0.5, -0.5)
        handles, labels = ax_boxes.get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=max(1, len(splits)))
        hover = (group_hovers(ax_boxes, boxes.rename(columns=lambda s: f"{s} boxes"), vertical=False, fmt="{:.3g} %")
                 + group_hovers(ax_images, images.rename(columns=lambda s: f"{s} images"), vertical=False,
                                fmt="{:.3g} %"))
        return to_svg(fig, key, hover)
