"""Training-curve charts: one chart per loss (train and val, raw faint + smoothed, best val marked)
and one per metric (train and val, best and last marked).

Input: the rows of `CurveDiagnosis.table` for one name (columns x, split, value, smoothed) and plain
values for the marks. Output: an SVG string (charts/style.py), with a hover region per stretch of x
giving every series' value there.

- Non-finite values (NaN, inf) never break a line: lines join the finite points, and every
  non-finite value is drawn as an "x" marker along the top edge of the plot at its x.
- A few values far above all the others (a spike) do not flatten the curve: `spike_cut` finds the
  top of the axis that leaves them out, and they are drawn as triangles along the top edge with
  their value written by them.
- The y axis turns logarithmic when the finite values under the axis top are all positive and span
  more than `LOG_SPAN` (a factor of 100: two orders of magnitude), e.g. a loss that blows up; never
  for a quality metric (accuracy, mAP), whose plateau near its best is what the reader looks at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import blended_transform_factory

from insight.charts.style import COLORS, PALETTE, TEXT_WIDTH_IN, Hover, new_figure, styled, to_svg
from insight.ordering import natural_key

LOG_SPAN = 100.0  # max/min of the finite values above which the y axis is logarithmic
RAW_ALPHA = 0.35  # raw values are drawn faint behind the smoothed line
CHART_HEIGHT_IN = 2.4
SMALL_HEIGHT_IN = 2.1  # a chart of two side by side
NONFINITE_Y = 0.97  # where non-finite markers sit, as a fraction of the axis height
CUT_Y = 0.99  # where values above a cut axis sit
# A spike: a value inside its series that stands more than SPIKE_RATIO times as far above the
# chart's lowest value as the higher of its two neighbours does (a first or last value is none: the
# start of a descent, the end of a blow-up). It is cut off the axis when at most
# SPIKE_SHARE of the points (at least one) are spikes and the highest would take more than two thirds
# of the axis drawn to scale (SPIKE_RATIO again): then it squeezes the rest of the curve into the
# bottom third. A curve's steep start is no spike: its neighbours are high too.
SPIKE_SHARE = 0.02
SPIKE_RATIO = 3.0
CUT_MARGIN = 0.08  # room above the highest value kept, as a share of the kept range
MAX_BANDS = 150  # hover regions per chart at most: longer logs give each region several x values
LINE_STYLES = ("-", "--", ":", "-.")  # series that may lie on one another (learning-rate groups)


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


def spike_cut(rows: pd.DataFrame) -> float | None:
    """The top of the y axis that leaves out the spikes of `rows` (columns x, split, value; see
    SPIKE_RATIO), or None when there is none worth cutting."""
    values = rows["value"].to_numpy(dtype=float)
    finite = np.isfinite(values)
    if finite.sum() < 5:
        return None
    low = float(values[finite].min())
    spikes = np.zeros(len(rows), dtype=bool)
    for _, part in rows[finite].groupby("split", sort=False):
        v = part.sort_values("x", kind="stable")["value"].to_numpy(dtype=float)
        left, right = np.r_[np.inf, v[:-1]], np.r_[v[1:], np.inf]
        near = np.maximum(left, right)  # inf at either end: a curve's first or last point is no spike
        spike = v - low > SPIKE_RATIO * (near - low)
        spikes[rows.index.get_indexer(part.sort_values("x", kind="stable").index[spike])] = True
    kept = values[finite & ~spikes]
    if not spikes.any() or spikes.sum() > max(1, math.floor(SPIKE_SHARE * finite.sum())) or kept.size == 0:
        return None
    top = float(kept.max())
    if float(values[spikes].max()) - low <= SPIKE_RATIO * (top - low):
        return None
    return top + CUT_MARGIN * max(top - low, abs(top), 1e-9)


def loss_chart(rows: pd.DataFrame, title: str, x_label: str, marks: list[Mark] = (),
               key: str = "loss", cut: float | None = None, width_in: float = TEXT_WIDTH_IN,
               height_in: float = CHART_HEIGHT_IN) -> str:
    """Train and val of one loss: raw values faint, smoothed values solid, marks (best val) shown;
    with `cut`, the axis ends there and the values above it are marked along the top edge."""
    with styled():
        fig = new_figure(height_in, width_in)
        ax = fig.add_subplot()
        for split, color, part in _by_split(rows):
            has_smooth = part["smoothed"].notna().any()
            _line(ax, part, "value", color, None if has_smooth else split,
                  alpha=RAW_ALPHA if has_smooth else 1.0, linewidth=0.9 if has_smooth else 1.4)
            if has_smooth:
                _line(ax, part, "smoothed", color, split)
            _nonfinite(ax, part, color, split)
        _finish(ax, rows, title, x_label, marks, cut=cut)
        return to_svg(fig, key, _bands(ax, rows, x_label))


def metric_chart(rows: pd.DataFrame, title: str, x_label: str, marks: list[Mark] = (),
                 key: str = "metric", allow_log: bool = True, cut: float | None = None,
                 width_in: float = TEXT_WIDTH_IN, height_in: float = CHART_HEIGHT_IN,
                 styled_series: bool = False) -> str:
    """Train and val of one metric, raw values, with best and last marked. `allow_log=False` keeps a
    quality metric (accuracy, mAP: 0..1) on a linear axis, where its plateau stays readable.
    `styled_series`: each series also gets its own line style (series that may lie on one another)."""
    with styled():
        fig = new_figure(height_in, width_in)
        ax = fig.add_subplot()
        for i, (split, color, part) in enumerate(_by_split(rows)):
            few = len(part) <= 30
            style = series_style(i) if styled_series else "-"
            _line(ax, part, "value", color, split, marker="o" if few else None, linestyle=style,
                  linewidth=1.4 + (0.6 if styled_series and i == 0 else 0.0))
            _nonfinite(ax, part, color, split)
        _finish(ax, rows, title, x_label, marks, allow_log, cut)
        return to_svg(fig, key, _bands(ax, rows, x_label))


def series_style(i: int) -> str:
    """The line style of the i-th styled series. It takes PALETTE[i % len(PALETTE)] (_by_split); the style
    moves on one more each time the colours start again, so that no two of the first
    len(PALETTE) x len(LINE_STYLES) series share both colour and style (8 colours, 4 styles: the 9th
    series is the 1st's colour dashed, not the same line)."""
    return LINE_STYLES[(i + i // len(PALETTE)) % len(LINE_STYLES)]


def _by_split(rows: pd.DataFrame):
    """(series name, colour, rows) per split; other series names (e.g. several learning rates, or the
    classes of a per-class AP family, in the `split` column) take the palette in turn, in natural order
    (class 2 before class 10: digit runs compare as numbers), which the legend follows."""
    order = {"train": 0, "val": 1}
    names = sorted(rows["split"].unique(), key=lambda s: (order.get(s, 2), natural_key(str(s))))
    for i, split in enumerate(names):
        color = COLORS[split] if split in order else PALETTE[i % len(PALETTE)]
        yield split, color, rows[rows["split"] == split].sort_values("x", kind="stable")


def _line(ax: Axes, part: pd.DataFrame, column: str, color: str, label: str | None, alpha: float = 1.0,
          linewidth: float = 1.4, marker: str | None = None, linestyle: str = "-") -> None:
    values = part[column].to_numpy(dtype=float)
    keep = np.isfinite(values)
    if not keep.any():
        return
    ax.plot(part["x"].to_numpy(dtype=float)[keep], values[keep], color=color, alpha=alpha,
            linewidth=linewidth, label=label, marker=marker, markersize=2.5, linestyle=linestyle,
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


def _above_cut(ax: Axes, rows: pd.DataFrame, cut: float) -> None:
    """Values above the cut axis: a triangle on the top edge at their x, their value beside it."""
    values = rows["value"].to_numpy(dtype=float)
    over = np.isfinite(values) & (values > cut)
    edge = blended_transform_factory(ax.transData, ax.transAxes)
    colors = {split: color for split, color, _ in _by_split(rows)}  # each series keeps its line's colour
    for split, _, part in _by_split(rows[over]):
        color = colors[split]
        xs, ys = part["x"].to_numpy(dtype=float), part["value"].to_numpy(dtype=float)
        ax.plot(xs, [CUT_Y] * len(xs), transform=edge, linestyle="none", marker="^", markersize=5,
                color=color, clip_on=False, label=f"{split} above the axis ({len(xs)})", gid=f"{split}-cut")
        for x, y in zip(xs, ys):
            ax.annotate(f"{y:.3g}", (x, CUT_Y), xycoords=edge, xytext=(4, -1), textcoords="offset points",
                        ha="left", va="top", fontsize=6.5, color=color, annotation_clip=False)


def _finish(ax: Axes, rows: pd.DataFrame, title: str, x_label: str, marks: list[Mark],
            allow_log: bool = True, cut: float | None = None) -> None:
    values = pd.concat([rows["value"], rows["smoothed"]]) if "smoothed" in rows else rows["value"]
    if cut is not None:
        ax.set_ylim(_bottom(values, cut), cut)
        _above_cut(ax, rows, cut)
        title = f"{title} (axis cut at {cut:.3g})"
    elif allow_log and uses_log_scale(values):
        ax.set_yscale("log")
        title = f"{title} (log scale)"
    for mark in marks:
        _mark(ax, mark)
    ax.set_title(title, loc="left")
    ax.set_xlabel(x_label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    handles, labels = ax.get_legend_handles_labels()
    if handles:  # below the plot, never over a line; 3 columns (2 in a half-width chart): train, val, marks
        wide = ax.figure.get_figwidth() > 4.5
        ax.figure.legend(handles, labels, loc="outside lower center", ncols=min(3 if wide else 2, len(handles)),
                         fontsize=None if wide else 6.5)
    if not np.isfinite(rows["value"].to_numpy(dtype=float)).any():
        ax.text(0.5, 0.5, "no finite values", transform=ax.transAxes, ha="center", va="center")


def _bottom(values: pd.Series, cut: float) -> float:
    """The axis bottom under a cut top: a little under the lowest finite value."""
    v = values.to_numpy(dtype=float)
    low = float(v[np.isfinite(v)].min())  # a cut exists only where finite values do
    return low - CUT_MARGIN * (cut - low)


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
            label=f"{mark.split} {mark.kind}: {mark.value:.3g} at {mark.x:g}")


def _bands(ax: Axes, rows: pd.DataFrame, x_label: str) -> list[Hover]:
    """Hover regions across the plot, one per x (or per run of x values in a long log), each giving
    every series' logged value at its middle x."""
    xs = np.sort(rows["x"].dropna().astype(float).unique())
    if len(xs) == 0:
        return []
    per = max(1, math.ceil(len(xs) / MAX_BANDS))
    groups = [xs[i:i + per] for i in range(0, len(xs), per)]
    edges = [xs[0] - _half_gap(xs, 0)] + [(a[-1] + b[0]) / 2 for a, b in zip(groups, groups[1:])]
    edges.append(xs[-1] + _half_gap(xs, len(xs) - 1))
    by_x = {x: part for x, part in rows.groupby(rows["x"].astype(float))}
    low, high = ax.get_ylim()
    out = []
    for group, left, right in zip(groups, edges, edges[1:]):
        x = group[len(group) // 2]
        values = ", ".join(f"{r.split} {_value(r.value)}" for r in by_x[x].itertuples())
        out.append(Hover(ax, left, right, low, high, f"{x_label} {x:g}: {values}"))
    return out


def _half_gap(xs: np.ndarray, i: int) -> float:
    if len(xs) < 2:
        return 0.5
    return (xs[1] - xs[0]) / 2 if i == 0 else (xs[-1] - xs[-2]) / 2


def _value(v: float) -> str:
    return f"{v:.4g}" if np.isfinite(v) else ("NaN" if math.isnan(v) else "inf")
