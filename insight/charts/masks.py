"""Mask charts: how much of the image each class covers, train vs val.

Inputs are plain tables; outputs are SVG strings (charts/style.py).
- `coverage_chart`: the share of (image, class) pairs in each area_pct bin, pooled over the classes,
  one bar per split in each bin: are the objects small or large, and alike in train and val?
- `mean_area_chart`: mean area_pct where present per class, horizontal bars, one per split. At most
  `MAX_ROWS` classes (the ones covering the least of their images first), so the chart fits one
  printed page whatever the number of classes (150 for ADE20K); the tables list every class.
"""

from __future__ import annotations

import pandas as pd

from insight.charts.style import (COLORS, bars, group_hovers, new_figure, rows_per_page, share_limits, styled,
                                  to_svg)

MAX_ROWS = 40  # classes in the mean-area chart at most; `max_rows` gives fewer when rows are taller
ROW_IN = 0.15  # inches per class row and split
BASE_IN = 1.1  # axes, ticks and legend above and below the rows
LABEL_BOX = {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}


def _short(name: str, limit: int = 28) -> str:
    name = str(name)
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _row_in(splits: int) -> float:
    return ROW_IN * max(1.0, 0.7 * splits)


def max_rows(splits: int) -> int:
    """Classes the mean-area chart draws for this many splits: as many as fit one A4 page with the
    caption, at most MAX_ROWS."""
    return rows_per_page(BASE_IN, _row_in(splits), MAX_ROWS)


def coverage_chart(table: pd.DataFrame, splits: list[str], key: str = "mask-coverage") -> str:
    """`table`: columns bin, split, share (0..1 of the split's (image, class) pairs with the class
    present), bins in order. One group of bars per bin, one bar per split."""
    bins = list(dict.fromkeys(table["bin"]))
    wide = table.pivot(index="bin", columns="split", values="share").reindex(bins).fillna(0.0)
    wide = wide.reindex(columns=splits, fill_value=0.0)
    width = 0.8 / max(1, len(splits))
    with styled():
        fig = new_figure(2.8)
        ax = fig.add_subplot()
        for i, split in enumerate(splits):
            xs = [p - 0.4 + width * (i + 0.5) for p in range(len(bins))]
            bars(ax, xs, 100 * wide[split], width, COLORS.get(split, COLORS["other"]), label=split)
        ax.set_xticks(range(len(bins)), bins, rotation=45, ha="right", rotation_mode="anchor", fontsize=6.5)
        ax.set_xlabel("area of the image the class covers (%)")
        ax.set_ylabel("share of (image, class) pairs (%)")
        ax.grid(axis="x", visible=False)
        fig.legend(loc="outside lower center", ncols=max(1, len(splits)))
        return to_svg(fig, key, group_hovers(ax, wide, scale=100))


def mean_area_chart(table: pd.DataFrame, splits: list[str], key: str = "mask-mean-area") -> str:
    """`table`: columns class, split, mean_area_pct (NaN where absent: no bar), in the order to draw
    (top first); the first max_rows(len(splits)) classes are drawn. Bars labelled with their value."""
    classes = list(dict.fromkeys(table["class"]))[:max_rows(len(splits))]
    wide = table.pivot(index="class", columns="split", values="mean_area_pct").reindex(classes)
    wide = wide.reindex(columns=splits)
    rows = len(classes)
    width = 0.8 / max(1, len(splits))
    top = 1.18 * max(float(wide.max().max()) if wide.notna().any().any() else 1.0, 1.0)
    with styled():
        fig = new_figure(BASE_IN + _row_in(len(splits)) * rows)
        ax = fig.add_subplot()
        for i, split in enumerate(splits):
            ys = [p - 0.4 + width * (i + 0.5) for p in range(rows)]
            values = wide[split].fillna(0.0)
            bars(ax, ys, values, width, COLORS.get(split, COLORS["other"]), label=split, horizontal=True)
            for y, v, raw in zip(ys, values, wide[split]):
                if not pd.isna(raw):
                    ax.annotate(f"{v:.1f} %", (v, y), xytext=(2, 0), textcoords="offset points", ha="left",
                                va="center", fontsize=5.5, bbox=LABEL_BOX)
        ax.set_yticks(range(rows), [_short(c) for c in classes], fontsize=7)
        ax.set_ylim(rows - 0.5, -0.5)
        share_limits(ax, top)
        ax.set_xlabel("mean area where present (% of the image)")
        ax.xaxis.set_ticks_position("top")
        ax.xaxis.set_label_position("top")
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="y", length=0)
        fig.legend(loc="outside lower center", ncols=max(1, len(splits)))
        return to_svg(fig, key, group_hovers(ax, wide, vertical=False))
