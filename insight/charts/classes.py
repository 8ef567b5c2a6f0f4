"""Class charts: label count per class coloured by tier with the cutoff line, and the label
distribution of each split side by side.

Inputs are plain tables; outputs are SVG strings (see charts/style.py), with a hover region per
class giving its numbers. Bars are sorted by count, largest first. Up to `VERTICAL_MAX` classes get
vertical bars; more classes get horizontal bars, `ROWS_PER_CHART` classes per chart, each chart on
its own scale (on the first part's scale, a long tail's bars are slivers), so 80 or 800 classes stay
legible (one chart per printed page at most).
"""

from __future__ import annotations

import math
from functools import partial

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from insight.charts.style import (TEXT_WIDTH_IN, COLORS, Hover, bars, draw_pages, group_hovers, new_figure,
                                  rows_per_page, share_limits, styled, to_svg)

TIERS = ("well", "mild", "serious")
TIER_LABELS = {
    "well": "well represented",
    "mild": "mildly under-represented",
    "serious": "seriously under-represented",
}
VERTICAL_MAX = 12  # more classes than this: horizontal bars (names stay horizontal and readable)
ROWS_PER_CHART = 40  # horizontal bars per chart: 40 rows x 0.15 in fit half an A4 page and more
GROUPS_PER_CHART = 40  # classes per chart in the split comparison (one bar per split each), at most
GROUPED_BASE_IN = 1.1  # split comparison: axes, ticks and legend above and below the rows
ROW_IN = 0.15  # height of one horizontal bar row, inches (about 11 pt: 7 pt text + a gap)
CLASS_ROW_IN = 0.125  # a row of the label-count chart (one bar): 9 pt, so 40 rows and the summary's
#                       verdict share a printed page
HEADROOM = 1.22  # axis end as a multiple of the largest bar: room for the count labels
LABEL_BOX = {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}


def cutoff_label(cutoff: int) -> str:
    return f"Cutoff threshold: {cutoff:,} label{'' if cutoff == 1 else 's'}"


def label_anchor(count: float, cutoff: float) -> float:
    """Where a bar's count label starts: the bar's end, or the cutoff line when the bar stops short of
    it, so the dashed line never runs through a label. (Drawing order cannot be relied on: WeasyPrint
    paints the dashed line over the white label boxes drawn after it.)"""
    return max(float(count), float(cutoff))


def sort_by_count(rows: pd.DataFrame) -> pd.DataFrame:
    """Largest count first; ties keep their declared order."""
    return rows.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)


def class_charts(rows: pd.DataFrame, cutoff: int, key: str = "classes") -> list[str]:
    """Bar charts of `rows` (columns name, count, share 0..1, tier; to_add optional) with the
    cutoff line.

    Returns one SVG for up to ROWS_PER_CHART classes, else one per ROWS_PER_CHART classes, each on
    its own scale (from 0 to past its largest bar and the cutoff).
    """
    ordered = sort_by_count(rows)
    if len(ordered) <= VERTICAL_MAX:
        return [_vertical(ordered, cutoff, key)]
    chunks = _chunks(ordered, ROWS_PER_CHART)
    return draw_pages(_horizontal, [(chunk, cutoff, HEADROOM * max(int(chunk["count"].max()), cutoff, 1),
                                     f"{key}-{i + 1}") for i, chunk in enumerate(chunks)])


def _chunks(frame: pd.DataFrame, size: int) -> list[pd.DataFrame]:
    count = max(1, math.ceil(len(frame) / size))
    per = math.ceil(len(frame) / count)  # even chunks: 80 classes -> 40 + 40, 50 -> 25 + 25
    return [frame.iloc[i:i + per] for i in range(0, len(frame), per)]


def _bar_text(count: int, share: float) -> str:
    return f"{count:,} ({100 * share:.1f} %)"


BAR_LABEL_PT = 7  # the count labels' font size
VERTICAL_PLOT_IN = TEXT_WIDTH_IN - 1.6  # the vertical chart's plot: the figure less the y axis and the
#                                         cutoff's label at the right


def bar_labels(counts, shares, slot_pt: float) -> list[str]:
    """The vertical bars' labels in the width each has (`slot_pt`, the distance between two bars), in one
    form for the whole chart: "count (share %)" on one line, or on two lines, or the count alone,
    whichever is the first in which every label fits, so neighbouring labels never run into each other
    and every bar says the same things."""
    pairs = [(int(c), float(s)) for c, s in zip(counts, shares)]
    for form in (_bar_text, lambda c, s: f"{c:,}\n({100 * s:.1f} %)"):
        labels = [form(c, s) for c, s in pairs]
        if all(_fits(label, slot_pt) for label in labels):
            return labels
    return [f"{c:,}" for c, _ in pairs]


def _fits(label: str, slot_pt: float) -> bool:
    return max(text_width_pt(line, BAR_LABEL_PT) for line in label.split("\n")) + _LABEL_GAP_PT <= slot_pt


_LABEL_GAP_PT = 3.0  # the label's white box (pad 0.1 em a side) and a hair between neighbours
_EM = {**dict.fromkeys("0123456789", 0.636), **dict.fromkeys(" .,", 0.318), "(": 0.39, ")": 0.39, "%": 0.95}


def text_width_pt(text: str, size_pt: float) -> float:
    """The width of a label in DejaVu Sans (the report's font): digits and the signs a count label uses
    at their own widths, any other character at 0.6 em."""
    return size_pt * sum(_EM.get(ch, 0.6) for ch in text)


def _class_hover(row) -> str:
    """A class's numbers, as the hover text of its bar."""
    to_add = int(getattr(row, "to_add", 0) or 0)
    text = f"{row.name}: {row.count:,} label{'' if row.count == 1 else 's'} ({100 * row.share:.1f} %), "
    return text + TIER_LABELS.get(row.tier, row.tier) + (f", add {to_add:,}" if to_add else "")


def _class_hovers(ax, rows: pd.DataFrame, horizontal: bool) -> list[Hover]:
    """One region per bar, across the whole plot (its row or column): easy to point at a short bar."""
    out = []
    for i, row in enumerate(rows.itertuples(index=False)):
        if horizontal:
            out.append(Hover(ax, -1e300, 1e300, i - 0.5, i + 0.5, _class_hover(row)))
        else:
            out.append(Hover(ax, i - 0.5, i + 0.5, -1e300, 1e300, _class_hover(row)))
    return out


def _legend(fig: Figure, tiers: list[str], cutoff: int) -> None:
    """Tier colours and the cutoff line, below the chart (never over a bar)."""
    handles = [Patch(color=COLORS[t], label=TIER_LABELS[t]) for t in TIERS if t in tiers]
    handles.append(Line2D([], [], color=COLORS["ink"], linestyle="--", label=cutoff_label(cutoff)))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(4, len(handles)), fontsize=7)


def _vertical(rows: pd.DataFrame, cutoff: int, key: str) -> str:
    with styled():
        fig = new_figure(3.4)
        ax = fig.add_subplot()
        xs = range(len(rows))
        bars(ax, xs, rows["count"], 0.7, [COLORS[t] for t in rows["tier"]])
        ax.set_ylim(0, HEADROOM * max(int(rows["count"].max()), cutoff, 1))
        labels = bar_labels(rows["count"], rows["share"], 72 * VERTICAL_PLOT_IN / max(len(rows), 1))
        for x, count, label in zip(xs, rows["count"], labels):
            ax.annotate(label, (x, label_anchor(count, cutoff)), xytext=(0, 2),
                        textcoords="offset points", ha="center", va="bottom", fontsize=BAR_LABEL_PT,
                        bbox=LABEL_BOX, multialignment="center")
        ax.axhline(cutoff, color=COLORS["ink"], linestyle="--", linewidth=1)
        # The line's label sits outside the plot, right of the line's end: it can hide no bar label.
        ax.annotate(cutoff_label(cutoff).replace(": ", ":\n"), (1, cutoff),
                    xycoords=("axes fraction", "data"), xytext=(4, 0), textcoords="offset points",
                    ha="left", va="center", fontsize=7, fontweight="bold", annotation_clip=False)
        rotation = _rotation(rows["name"])
        ax.set_xticks(list(xs), list(rows["name"]), rotation=rotation, ha="right" if rotation else "center",
                      rotation_mode="anchor")
        ax.set_ylabel("labels")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # label counts: no half labels
        ax.grid(axis="x", visible=False)
        _legend(fig, list(rows["tier"]), cutoff)
        return to_svg(fig, key, _class_hovers(ax, rows, horizontal=False))


def _rotation(names: pd.Series) -> int:
    """Tilt tick labels when long names would collide."""
    longest = max((len(str(n)) for n in names), default=0)
    return 30 if longest * len(names) > 70 else 0


def _horizontal(rows: pd.DataFrame, cutoff: int, top: float, key: str) -> str:
    with styled():
        fig = new_figure(1.2 + CLASS_ROW_IN * len(rows))
        ax = fig.add_subplot()
        ys = range(len(rows))
        bars(ax, ys, rows["count"], 0.72, [COLORS[t] for t in rows["tier"]], horizontal=True)
        for y, count, share in zip(ys, rows["count"], rows["share"]):
            ax.annotate(_bar_text(count, share), (label_anchor(count, cutoff), y), xytext=(2, 0),
                        textcoords="offset points",
                        ha="left", va="center", fontsize=6.5, bbox=LABEL_BOX)
        ax.set_yticks(list(ys), [_short(n) for n in rows["name"]], fontsize=7)
        ax.set_ylim(len(rows) - 0.4, -0.6)  # largest on top
        ax.set_xlim(0, top)
        ax.axvline(cutoff, color=COLORS["ink"], linestyle="--", linewidth=1, zorder=1.5)
        ax.annotate(cutoff_label(cutoff), (cutoff, 0), xycoords=("data", "axes fraction"), xytext=(-2, -3),
                    textcoords="offset points", ha="left", va="top", fontsize=7, fontweight="bold",
                    annotation_clip=False)
        ax.set_xlabel("labels")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="y", length=0)
        ax.xaxis.set_ticks_position("top")
        ax.xaxis.set_label_position("top")
        _legend(fig, list(rows["tier"]), cutoff)
        return to_svg(fig, key, _class_hovers(ax, rows.reset_index(drop=True), horizontal=True))


def _short(name: str, limit: int = 28) -> str:
    """Very long class names are shortened in the chart (the table has them in full)."""
    name = str(name)
    return name if len(name) <= limit else name[: limit - 1] + "…"


def split_charts(table: pd.DataFrame, splits: list[str], key: str = "splits") -> list[str]:
    """Share of each split's labels per class, splits side by side.

    `table`: columns class, split, share (0..1 of that split's labels), in the order classes should
    appear. `splits`: split names in order (train, val, test, ...).
    """
    classes = list(dict.fromkeys(table["class"]))
    wide = table.pivot(index="class", columns="split", values="share").reindex(classes).fillna(0.0)
    wide = wide.reindex(columns=splits, fill_value=0.0)
    if len(classes) <= VERTICAL_MAX:
        return [_grouped(wide, key, vertical=True)]
    chunks = _chunks(wide, rows_per_page(GROUPED_BASE_IN, _group_in(len(splits)), GROUPS_PER_CHART))
    # each part on its own scale: on one scale for all, a long tail's shares are bars too short to see
    return draw_pages(partial(_grouped, vertical=False),
                      [(c, f"{key}-{i + 1}", HEADROOM * 100 * float(c.to_numpy().max() or 1.0))
                       for i, c in enumerate(chunks)])


def _group_in(splits: int) -> float:
    """Height of one class row holding one bar per split, inches."""
    return ROW_IN * max(1.0, 0.6 * splits)


def _grouped(wide: pd.DataFrame, key: str, top: float | None = None, vertical: bool = True) -> str:
    splits = list(wide.columns)
    width = 0.8 / max(1, len(splits))
    with styled():
        rows = len(wide)
        fig = new_figure(3.2 if vertical else GROUPED_BASE_IN + _group_in(len(splits)) * rows)
        ax = fig.add_subplot()
        for i, split in enumerate(splits):
            offsets = [p - 0.4 + width * (i + 0.5) for p in range(rows)]
            pct = 100 * wide[split]
            color = COLORS.get(split, COLORS["other"])
            bars(ax, offsets, pct, width, color, label=split, horizontal=not vertical)
        names = [_short(n) for n in wide.index]
        if vertical:
            ax.set_xticks(range(rows), names, rotation=_rotation(wide.index),
                          ha="right" if _rotation(wide.index) else "center")
            ax.set_ylabel("share of the split's labels (%)")
            ax.grid(axis="x", visible=False)
        else:
            ax.set_yticks(range(rows), names, fontsize=7)
            ax.set_ylim(rows - 0.5, -0.5)
            share_limits(ax, top)
            ax.set_xlabel("share of the split's labels (%)")
            ax.grid(axis="y", visible=False)
            ax.tick_params(axis="y", length=0)
            ax.xaxis.set_ticks_position("top")
            ax.xaxis.set_label_position("top")
        fig.legend(loc="outside lower center", ncols=len(splits))
        return to_svg(fig, key, group_hovers(ax, wide, vertical, scale=100))
