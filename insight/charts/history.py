"""Trends over the nights (--history): labels per split, night by night, one line per split; nights
where something changed against the night before are marked by a dotted vertical line. Input is a plain
table; output an SVG string."""

from __future__ import annotations

import pandas as pd
from matplotlib.ticker import MaxNLocator

from insight.charts.style import COLORS, PALETTE, TEXT_WIDTH_IN, new_figure, styled, to_svg

HEIGHT_IN = 2.4
MAX_TICKS = 12  # night labels shown on the x axis at most (every k-th beyond that)


def labels_chart(table: pd.DataFrame, nights: list[str], changed: list[bool], key: str = "history-labels") -> str:
    """`table`: columns night (position in `nights`), split, labels. `changed[i]`: night i changed."""
    with styled():
        fig = new_figure(HEIGHT_IN, TEXT_WIDTH_IN)
        ax = fig.add_subplot()
        for i, (split, part) in enumerate(table.groupby("split", sort=False)):
            part = part.sort_values("night")
            ax.plot(part["night"], part["labels"], marker="o", markersize=3, linewidth=1.4,
                    color=COLORS.get(split, PALETTE[i % len(PALETTE)]), label=split)
        for x, was_changed in enumerate(changed):
            if was_changed:
                ax.axvline(x, color=COLORS["other"], linestyle=":", linewidth=1.0)
        step = max(1, -(-len(nights) // MAX_TICKS))
        ticks = list(range(0, len(nights), step))
        ax.set_xticks(ticks, [nights[t] for t in ticks], rotation=30, ha="right", rotation_mode="anchor",
                      fontsize=6.5)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("labels")
        ax.set_title("Labels per split, night by night (dotted: something changed)", loc="left")
        ax.legend(loc="best")
        return to_svg(fig, key)
