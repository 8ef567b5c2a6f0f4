"""One scoped matplotlib style for every chart, and deterministic SVG output.

Charts build `matplotlib.figure.Figure` objects directly (never pyplot, so no global figure
state) inside `styled()`, which applies `STYLE` with `matplotlib.rc_context` and restores the
caller's settings afterwards. `to_svg(fig, key)` returns the SVG text ready to be inlined in HTML:

- no XML prolog or DOCTYPE, no metadata block (no date, no matplotlib version);
- `svg.hashsalt` fixed, so clip-path ids are the same on every run;
- every id (and every reference to it) prefixed with `key`, so several charts inlined in one
  page never share an id;
- text kept as SVG `<text>` (`svg.fonttype: none`): WeasyPrint renders it as well as paths (checked
  on A4 pages at 60-150 dpi), it stays selectable and searchable in the PDF, and class names in the
  chart are escaped by matplotlib's SVG writer like any other XML text.
- no width/height attributes on the root: the page's CSS sizes the chart, the viewBox keeps its shape;
- optionally, hover regions (`Hover`): transparent rectangles over bars, bins or stretches of a curve,
  each with an SVG `<title>` holding the values drawn there, which a browser shows on hover. They
  come last in the SVG, in one `<g class="hover">`; `split_hover` takes them apart, so the printed
  report leaves them out.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from xml.sax.saxutils import escape

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.path import Path
from matplotlib.ticker import FixedLocator

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies and in greyscale.
COLORS = {
    "well": "#009E73",  # bluish green
    "mild": "#E69F00",  # orange
    "serious": "#D55E00",  # vermilion
    "train": "#0072B2",  # blue
    "val": "#D55E00",  # vermilion
    "test": "#009E73",
    "other": "#999999",
    "ink": "#222222",
    "grid": "#DDDDDD",
    "marker": "#CC79A7",  # reddish purple: non-finite values
}

# Further series (several learning rates, unknown split names) take these in turn.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")

TEXT_WIDTH_IN = 6.7  # A4 (210 mm) minus 2 x 18 mm margins = 174 mm = 6.85 in; a little to spare
HALF_WIDTH_IN = 3.25  # one of two charts side by side (report.css .chart-grid: two columns, 0.2 in apart)
# A4 (297 mm) minus 20 + 18 mm margins = 259 mm = 10.2 in of text height; a chart keeps 1.6 in of it
# for its heading and caption, so chart and caption print on one page.
PAGE_CHART_IN = 8.6
FONT_SIZE = 8.0

STYLE = {
    "font.family": ["sans-serif"],
    # the SVG names these fonts on every text: DejaVu Sans (drawn by matplotlib and WeasyPrint), then
    # the usual sans fonts of a reader's browser; a long list cost WeasyPrint a look-up per letter
    "font.sans-serif": ["DejaVu Sans", "Helvetica", "Arial"],
    "font.size": FONT_SIZE,
    "axes.titlesize": FONT_SIZE + 1,
    "axes.titleweight": "bold",
    "axes.labelsize": FONT_SIZE,
    "axes.edgecolor": COLORS["ink"],
    "axes.linewidth": 0.6,
    "axes.grid": True,
    "axes.axisbelow": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "grid.color": COLORS["grid"],
    "grid.linewidth": 0.5,
    "xtick.labelsize": FONT_SIZE - 0.5,
    "ytick.labelsize": FONT_SIZE - 0.5,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "legend.fontsize": FONT_SIZE - 0.5,
    "legend.frameon": False,
    "lines.linewidth": 1.4,
    "figure.dpi": 72,
    "savefig.facecolor": "white",
    "svg.fonttype": "none",
    "svg.hashsalt": "insight",
    "svg.image_inline": True,
}

# Every metadata key set to None: matplotlib then writes no date, creator or format.
NO_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}

_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(url\(#|href="#)([^)"]+)')
_KEY = re.compile(r"[^A-Za-z0-9_-]+")


@contextmanager
def styled() -> Iterator[None]:
    """Apply the report style for the charts built inside the block; restore it afterwards."""
    with matplotlib.rc_context(STYLE):
        yield


def new_figure(height_in: float, width_in: float = TEXT_WIDTH_IN) -> Figure:
    """A Figure sized for the A4 text width, laid out by matplotlib's constrained layout.

    Call it inside `styled()` so the artists pick up the style.
    """
    return Figure(figsize=(width_in, height_in), layout="constrained")


def rows_per_page(base_in: float, row_in: float, most: int) -> int:
    """How many rows of `row_in` inches fit one printed page under `base_in` inches of axes, ticks
    and legend; at most `most`, at least 1."""
    return max(1, min(most, int((PAGE_CHART_IN - base_in) / row_in)))


_PARALLEL: ContextVar[Callable[[list], list] | None] = ContextVar("insight_chart_map", default=None)


def draw_all(calls: list[Callable[[], object]]) -> list:
    """[call() for call in calls]: charts that do not depend on each other. Inside
    `drawn_by(mapper)`, `mapper` gets the calls and returns their results in order (the report's
    renderer draws them in parallel processes)."""
    mapper = _PARALLEL.get()
    if mapper is None or len(calls) < 2:
        return [call() for call in calls]
    return mapper(calls)


def draw_pages(draw: Callable[..., str], pages: list[tuple]) -> list[str]:
    """[draw(*page) for page in pages]: the SVGs of one chart cut into printed pages (see draw_all)."""
    return draw_all([partial(draw, *page) for page in pages])


@contextmanager
def drawn_by(mapper: Callable[[list], list]) -> Iterator[None]:
    token = _PARALLEL.set(mapper)
    try:
        yield
    finally:
        _PARALLEL.reset(token)


def bars(ax, positions, lengths, thickness: float, color, label: str | None = None,
         horizontal: bool = False) -> None:
    """Bars from 0 to each length, centred on their positions, drawn as one path per colour.

    The picture of ax.bar / ax.barh (bars start at the axis: 0 is a sticky edge), but ax.bar makes
    every bar a patch of its own, which matplotlib lays out and WeasyPrint draws one by one: one path
    per colour made an 80-class chart about a quarter faster to make and to print. `color` is one
    colour or one per bar; `label` names a single-colour series in the legend."""
    positions = np.asarray(positions, dtype=float)
    lengths = np.nan_to_num(np.asarray(lengths, dtype=float), nan=0.0)
    colors = [color] * len(positions) if isinstance(color, str) else list(color)
    for shade in dict.fromkeys(colors):
        picked = np.array([c == shade for c in colors], dtype=bool)
        start, end = positions[picked] - thickness / 2, positions[picked] + thickness / 2
        length, zero = lengths[picked], np.zeros(int(picked.sum()))
        corners = ([(zero, start), (length, start), (length, end), (zero, end)] if horizontal
                   else [(start, zero), (start, length), (end, length), (end, zero)])
        vertices = np.stack([np.column_stack(c) for c in corners + [corners[0]]], axis=1).reshape(-1, 2)
        codes = np.tile([Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY], len(length))
        patch = PathPatch(Path(vertices, codes), facecolor=shade, edgecolor="none", linewidth=0,
                          label=label if len(set(colors)) == 1 else None)
        (patch.sticky_edges.x if horizontal else patch.sticky_edges.y).append(0.0)
        ax.add_patch(patch)
    ax.autoscale_view()  # add_patch, unlike ax.bar, leaves the limits to the caller


def share_limits(ax, top: float, horizontal: bool = True) -> None:
    """A share axis in per cent from 0 to `top` (room past the longest bar for its label) whose ticks, from
    the axis's own locator, stop at 100: a tick of 125 % on an axis of shares reads as a share."""
    axis = ax.xaxis if horizontal else ax.yaxis
    (ax.set_xlim if horizontal else ax.set_ylim)(0, top)
    ticks = [t for t in axis.get_major_locator().tick_values(0, top) if 0 <= t <= min(top, 100)]
    axis.set_major_locator(FixedLocator(ticks))


def chart_key(*parts: str) -> str:
    """A safe, readable id prefix from parts such as ("loss", "box_loss")."""
    return _KEY.sub("-", "-".join(str(p) for p in parts)).strip("-") or "chart"


@dataclass(frozen=True)
class Hover:
    """A rectangle of `ax` in data coordinates (cut to the plot area) and the text a browser shows
    when the pointer is over it."""

    ax: Axes
    x0: float
    x1: float
    y0: float
    y1: float
    text: str


HOVER_START = '<g class="hover" fill="#000" fill-opacity="0">'  # invisible until hovered (report.css)


def to_svg(fig: Figure, key: str = "chart", hover: Sequence[Hover] = ()) -> str:
    """The figure as inline-ready SVG text, with its hover regions last; identical input gives
    identical text."""
    buffer = io.StringIO()
    with matplotlib.rc_context(STYLE):
        fig.savefig(buffer, format="svg", metadata=NO_METADATA)
    text = buffer.getvalue()
    svg = _without_plain_groups(text[text.index("<svg"):])
    svg = _scope_ids(svg, chart_key(key))
    svg = re.sub(r'<svg ([^>]*?)width="[^"]*" height="[^"]*" ', r"<svg \1", svg, count=1)
    svg = svg.replace("<svg ", '<svg class="chart-svg" ', 1).strip()
    if hover:  # the layout is final once the figure is saved: data positions map to the SVG's points
        end = svg.rindex("</svg>")
        svg = svg[:end] + _hover_group(fig, hover) + "\n" + svg[end:]
    return svg


def split_hover(svg: str) -> tuple[str, str]:
    """(the drawing, its hover group or ""): the drawing alone is a whole SVG."""
    start = svg.find(HOVER_START)
    if start < 0:
        return svg, ""
    end = svg.rindex("</svg>")
    return svg[:start].rstrip() + "\n</svg>", svg[start:end].rstrip()


def group_hovers(ax: Axes, wide, vertical: bool = True, fmt: str = "{:.1f} %", scale: float = 1.0,
                 counts=None) -> list[Hover]:
    """Hover regions of grouped bars: one per row of `wide` (a DataFrame: one row per group, one
    column per split, groups at 0, 1, 2 ... along the axis), across the whole plot; the text gives
    each split's value (times `scale`, in `fmt`) and, with `counts` (the same shape), its count."""
    out = []
    for i, (name, values) in enumerate(wide.iterrows()):
        parts = []
        for split, value in values.items():
            part = f"{split} " + ("–" if value != value else fmt.format(scale * float(value)))
            if counts is not None:
                part += f" ({int(counts.at[name, split]):,})"
            parts.append(part)
        box = (i - 0.5, i + 0.5, -1e300, 1e300) if vertical else (-1e300, 1e300, i - 0.5, i + 0.5)
        out.append(Hover(ax, *box, f"{name}: " + ", ".join(parts)))
    return out


def _hover_group(fig: Figure, hover: Sequence[Hover]) -> str:
    height = fig.bbox.height  # display units are points: the figure's dpi is 72, the SVG's unit
    rects = []
    for h in hover:
        area = h.ax.get_window_extent()
        (x0, y0), (x1, y1) = h.ax.transData.transform([(h.x0, h.y0), (h.x1, h.y1)])
        left, right = max(min(x0, x1), area.x0), min(max(x0, x1), area.x1)
        bottom, top = max(min(y0, y1), area.y0), min(max(y0, y1), area.y1)
        if right - left < 0.1 or top - bottom < 0.1 or not np.isfinite([left, right, bottom, top]).all():
            continue
        rects.append(f'<rect x="{left:.1f}" y="{height - top:.1f}" width="{right - left:.1f}" '
                     f'height="{top - bottom:.1f}"><title>{escape(h.text)}</title></rect>')
    return HOVER_START + "\n" + "\n".join(rects) + "\n</g>"


# matplotlib's own ids (figure_1, patch_3, matplotlib.axis_2, text_12); a gid set by our charts
# (train-value) is kept, with its group
_AUTO_ID = r'( id="[A-Za-z][A-Za-z0-9.]*_\d+")?'
_PLAIN_GROUP = re.compile(f"<g{_AUTO_ID}>")
_EMPTY_GROUP = re.compile(f"<g{_AUTO_ID}/>")


def _without_plain_groups(svg: str) -> str:
    """matplotlib wraps every artist in a <g id="..."> that sets nothing (a third of the nodes; its
    own ids are never referenced). Drawing them cost WeasyPrint a sixth of a chart's time, so they are
    unwrapped: their children stay in place, in order. Groups with any other attribute (transform,
    clip-path, style) are kept. The SVG writer puts each group tag on a line of its own."""
    kept: list[str] = []
    open_groups: list[bool] = []  # for each open <g>: is its tag kept?
    for line in svg.split("\n"):
        tag = line.strip()
        if _EMPTY_GROUP.fullmatch(tag):
            continue
        if _PLAIN_GROUP.fullmatch(tag):
            open_groups.append(False)
            continue
        if tag == "</g>" and open_groups:
            if open_groups.pop():
                kept.append(line)
            continue
        if tag.startswith("<g") and not tag.endswith("/>") and "</g>" not in tag:
            open_groups.append(True)
        kept.append(line)
    return "\n".join(kept)


def _scope_ids(svg: str, key: str) -> str:
    svg = _ID.sub(lambda m: f'id="{key}-{m.group(1)}"', svg)
    return _REF.sub(lambda m: f"{m.group(1)}{key}-{m.group(2)}", svg)
