"""Multi-label charts: labels per image (train vs val) and the co-occurrence of the top classes.

Inputs are plain tables; outputs are SVG strings (charts/style.py).
- `per_image_chart`: share of each split's images with 0, 1, 2, ... positive labels, side by side.
- `cooccurrence_chart`: a heatmap of the top classes for one split; cell (row, column) is the share
  of the row class's images that also have the column class, written with the image count. The
  diagonal holds the images with the class (share 100 %).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from insight.charts.style import COLORS, TEXT_WIDTH_IN, Hover, bars, group_hovers, new_figure, styled, to_svg


def _short(name: str, limit: int = 22) -> str:
    name = str(name)
    return name if len(name) <= limit else name[: limit - 1] + "…"


def per_image_chart(table: pd.DataFrame, splits: list[str], key: str = "labels-per-image") -> str:
    """`table`: columns bin, split, share (0..1 of the split's images), bins in order."""
    bins = list(dict.fromkeys(table["bin"]))
    wide = table.pivot(index="bin", columns="split", values="share").reindex(bins).fillna(0.0)
    wide = wide.reindex(columns=splits, fill_value=0.0)
    width = 0.8 / max(1, len(splits))
    with styled():
        fig = new_figure(2.6)
        ax = fig.add_subplot()
        for i, split in enumerate(splits):
            xs = [p - 0.4 + width * (i + 0.5) for p in range(len(bins))]
            bars(ax, xs, 100 * wide[split], width, COLORS.get(split, COLORS["other"]), label=split)
            for x, v in zip(xs, 100 * wide[split]):
                ax.annotate(f"{v:.0f} %", (x, v), xytext=(0, 2), textcoords="offset points", ha="center",
                            va="bottom", fontsize=6)
        ax.set_xticks(range(len(bins)), bins)
        ax.set_xlabel("positive labels per image")
        ax.set_ylabel("share of the split's images (%)")
        ax.set_ylim(0, 1.15 * max(100 * float(wide.to_numpy().max() or 0.0), 1.0))
        ax.grid(axis="x", visible=False)
        fig.legend(loc="outside lower center", ncols=max(1, len(splits)))
        return to_svg(fig, key, group_hovers(ax, wide.rename(index=lambda b: f"{b} labels"), scale=100))


def cooccurrence_chart(classes: list[str], counts: np.ndarray, key: str = "cooccurrence") -> str:
    """Heatmap of P(column | row) for `classes`, each cell labelled with its image count."""
    counts = np.asarray(counts, dtype=float)
    n = len(classes)
    diag = np.diag(counts).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(diag[:, None] > 0, counts / diag[:, None], 0.0)
    with styled():
        fig = new_figure(min(TEXT_WIDTH_IN, 1.5 + 0.3 * n))
        ax = fig.add_subplot()
        image = ax.imshow(share * 100, cmap="Blues", vmin=0, vmax=100, aspect="equal")
        for i in range(n):
            for j in range(n):
                if counts[i, j]:
                    ax.text(j, i, f"{int(counts[i, j]):,}", ha="center", va="center", fontsize=5.5,
                            color="white" if share[i, j] > 0.6 else COLORS["ink"])
        names = [_short(c) for c in classes]
        ax.set_xticks(range(n), names, rotation=45, ha="left", rotation_mode="anchor", fontsize=6.5)
        ax.set_yticks(range(n), names, fontsize=6.5)
        ax.xaxis.set_ticks_position("top")
        ax.tick_params(length=0)
        ax.grid(False)
        bar = fig.colorbar(image, ax=ax, shrink=0.6, pad=0.02)
        bar.set_label("% of the row class's images", fontsize=6.5)
        bar.ax.tick_params(labelsize=6.5)
        hover = [Hover(ax, j - 0.5, j + 0.5, i - 0.5, i + 0.5,
                       f"{classes[i]} and {classes[j]}: {int(counts[i, j]):,} images "
                       f"({100 * share[i, j]:.0f} % of {classes[i]}'s)")
                 for i in range(n) for j in range(n) if i != j]
        return to_svg(fig, key, hover)
