"""Training-curve charts: one chart per loss (train and val, raw faint + smoothed, best val marked)
and one per metric (train and val, best and last marked).

Input: the rows of `CurveDiagnosis.table` for one name (columns x, split, value, smoothed) and plain
values for the marks. Output: an SVG string (charts/style.py).

- Non-finite values (NaN, inf) never break a line: lines join the finite points, and every
  non-finite value is drawn as an "x" marker along the top edge of the plot at its x.
- The y axis turns logarithmic when the finite values are all positive and span more than
  `LOG_SPAN` (a factor of 100: two orders of magnitude), e.g. a loss that blows up; never for a
  quality metric (accuracy, mAP), whose plateau near its best is what the reader looks at.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import blended_transform_factory

from insight.charts.style import COLORS, PALETTE, new_figure, styled, to_svg

LOG_SPAN = 100.0  # max/min of the finite values above which the y axis is logarithmic
RAW_ALPHA = 0.35  # raw values are drawn faint behind the smoothed line
CHART_HEIGHT_IN = 2.8
NONFINITE_Y = 0.97  # where non-finite markers sit, as a fraction of the axis height


@dataclass(frozen=True)
class Mark:
    """A point to mark on a chart: `kind` is "best" or "last"."""

    split: str
    kind: str
    x: float
    value: float


def uses_log_scale(values: pd.Series) -> bool:
    finite = values[np.isfinite(values.to_numpy(dtype=float))]
    if finite.empty or (finite <= 0).any():
        return False
    return float(finite.max()) / float(finite.min()) > LOG_SPAN


def loss_chart(rows: pd.DataFrame, title: str, x_label: str, marks: list[Mark] = (),
               key: str = "loss") -> str:
    """Train and val of one loss: raw values faint, smoothed values solid, marks (best val) shown."""
    with styled():
        fig = new_figure(CHART_HEIGHT_IN)
        ax = fig.add_subplot()
        for split, color, part in _by_split(rows):
            has_smooth = part["smoothed"].notna().any()
            _line(ax, part, "value", color, f"{split} (raw)" if has_smooth else split,
                  alpha=RAW_ALPHA if has_smooth else 1.0, linewidth=0.9 if has_smooth else 1.4)
            if has_smooth:
                _line(ax, part, "smoothed", color, f"{split} (smoothed)")
            _nonfinite(ax, part, color, split)
        _finish(ax, rows, title, x_label, marks)
        return to_svg(fig, key)


def metric_chart(rows: pd.DataFrame, title: str, x_label: str, marks: list[Mark] = (),
                 key: str = "metric", allow_log: bool = True) -> str:
    """Train and val of one metric, raw values, with best and last marked. `allow_log=False` keeps a
    quality metric (accuracy, mAP: 0..1) on a linear axis, where its plateau stays readable."""
    with styled():
        fig = new_figure(CHART_HEIGHT_IN)
        ax = fig.add_subplot()
        for split, color, part in _by_split(rows):
            few = len(part) <= 30
            _line(ax, part, "value", color, split, marker="o" if few else None)
            _nonfinite(ax, part, color, split)
        _finish(ax, rows, title, x_label, marks, allow_log)
        return to_svg(fig, key)


def _by_split(rows: pd.DataFrame):
    """(series name, colour, rows) per split; other series names (e.g. several learning rates in
    the `split` column) take the palette in turn."""
    order = {"train": 0, "val": 1}
    names = sorted(rows["split"].unique(), key=lambda s: (order.get(s, 2), s))
    for i, split in enumerate(names):
        color = COLORS[split] if split in order else PALETTE[i % len(PALETTE)]
        yield split, color, rows[rows["split"] == split].sort_values("x", kind="stable")


def _line(ax: Axes, part: pd.DataFrame, column: str, color: str, label: str, alpha: float = 1.0,
          linewidth: float = 1.4, marker: str | None = None) -> None:
    values = part[column].to_numpy(dtype=float)
    keep = np.isfinite(values)
    if not keep.any():
        return
    ax.plot(part["x"].to_numpy(dtype=float)[keep], values[keep], color=color, alpha=alpha,
            linewidth=linewidth, label=label, marker=marker, markersize=2.5,
            gid=f"{part['split'].iloc[0]}-{column}")


def _nonfinite(ax: Axes, part: pd.DataFrame, color: str, split: str) -> None:
    values = part["value"].to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if not bad.any():
        return
    xs = part["x"].to_numpy(dtype=float)[bad]
    ax.plot(xs, [NONFINITE_Y] * len(xs), transform=blended_transform_factory(ax.transData, ax.transAxes),
            linestyle="none", marker="x", markersize=5, markeredgewidth=1.4, color=color, clip_on=False,
            label=f"{split}: NaN/inf ({len(xs)})", gid=f"{split}-nonfinite")


def _finish(ax: Axes, rows: pd.DataFrame, title: str, x_label: str, marks: list[Mark],
            allow_log: bool = True) -> None:
    values = pd.concat([rows["value"], rows["smoothed"]]) if "smoothed" in rows else rows["value"]
    if allow_log and uses_log_scale(values):
        ax.set_yscale("log")
        title = f"{title} (log scale)"
    for mark in marks:
        _mark(ax, mark)
    ax.set_title(title, loc="left")
    ax.set_xlabel(x_label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    handles, labels = ax.get_legend_handles_labels()
    if handles:  # below the plot, never over a line; 3 columns: train, val, then the marks
        ax.figure.legend(handles, labels, loc="outside lower center", ncols=min(3, len(handles)))
    if not np.isfinite(rows["value"].to_numpy(dtype=float)).any():
        ax.text(0.5, 0.5, "no finite values", transform=ax.transAxes, ha="center", va="center")


def _mark(ax: Axes, mark: Mark) -> None:
    if not (np.isfinite(mark.x) and np.isfinite(mark.value)):
        return
    color = COLORS.get(mark.split, COLORS["other"])
    best = mark.kind == "best"
    if best:
        ax.axvline(mark.x, color=color, linestyle=":", linewidth=1)
    ax.plot([mark.x], [mark.value], linestyle="none", marker="*" if best else "o",
            markersize=9 if best else 5, markerfacecolor=color if best else "white",
            markeredgecolor=color, zorder=5,
            label=f"{mark.split} {mark.kind}: {mark.value:.4g} at {mark.x:g}")
