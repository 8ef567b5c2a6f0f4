"""Small value types the section contexts share: charts, finding rows, table cells."""

from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup

from insight.charts.style import split_hover

from insight.model.findings import Finding, Severity

SEVERITY_LABELS = {"error": "Error", "warning": "Warning", "info": "Note"}


@dataclass(frozen=True)
class Chart:
    """One chart: `svg` is inline SVG from insight.charts (trusted markup: matplotlib escapes the
    text it draws) for print; `screen_svg` the same with its hover regions (values shown when the
    pointer is over a bar or a stretch of curve), for report.html. `caption` a plain sentence
    (escaped like any text), `key` its id in the page."""

    key: str
    svg: Markup
    caption: str
    screen_svg: Markup = Markup("")


def chart(key: str, svg: str, caption: str) -> Chart:
    drawing, _ = split_hover(svg)
    return Chart(key=key, svg=Markup(drawing), caption=caption, screen_svg=Markup(svg))


@dataclass(frozen=True)
class FindingRow:
    """A finding as the report shows it. `message` is its rendered wording (Finding.message)."""

    code: str
    severity: str  # error | warning | info
    severity_label: str
    count: int
    message: str
    examples: tuple[str, ...]
    epoch: float | None


def finding_row(finding: Finding) -> FindingRow:
    severity = Severity(finding.severity).value
    return FindingRow(code=finding.code, severity=severity, severity_label=SEVERITY_LABELS[severity],
                      count=finding.count, message=finding.message or finding.code,
                      examples=tuple(finding.examples), epoch=finding.epoch)


def finding_rows(findings) -> tuple[FindingRow, ...]:
    """Most severe first; the given order is kept within a severity."""
    ordered = sorted(findings, key=lambda f: Severity(f.severity).rank)
    return tuple(finding_row(f) for f in ordered)


@dataclass(frozen=True)
class Cell:
    """One table cell. `kind` picks the `cell` filter's format: int, pct, num, epoch or text (any
    other kind, such as "tag", prints as text and only changes the CSS class)."""

    value: object
    kind: str = "text"


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = "text"  # also the cell's CSS class: numbers are right-aligned; "tag" is text kept on one line


@dataclass(frozen=True)
class Table:
    """A table of a chart's values (report.html only; insight.json has the data). `note` says when
    rows were thinned out (long step logs). `orders`: the row orders a reader can pick: orders[0] is
    the given order; when `sortable`, orders[k] is the order by column k - 1 (numbers largest first,
    text A to Z, missing values last), picked by clicking the column's heading. A table longer than
    SORTED_ROWS_MAX rows has its given order only."""

    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""
    orders: tuple[tuple[int, ...], ...] = ()
    sortable: bool = False


SORTED_ROWS_MAX = 300  # each order is a copy of the rows in the page: longer tables keep one order
SORTED_COLUMNS_MAX = 15  # report.css has the rules for this many sortable columns


def table(key: str, title: str, columns: list[Column], rows: list[list], note: str = "") -> Table:
    """Build a Table from plain row values; each value takes its column's kind."""
    cells = tuple(tuple(Cell(v, c.kind) for v, c in zip(row, columns)) for row in rows)
    orders: tuple[tuple[int, ...], ...] = (tuple(range(len(cells))),)
    sortable = 1 < len(cells) <= SORTED_ROWS_MAX and len(columns) <= SORTED_COLUMNS_MAX
    if sortable:
        orders += tuple(sort_order(cells, k) for k in range(len(columns)))
    return Table(key=key, title=title, columns=tuple(columns), rows=cells, note=note, orders=orders,
                 sortable=sortable)


def sort_order(rows: tuple[tuple[Cell, ...], ...], column: int) -> tuple[int, ...]:
    """Row indices sorted by one column: numbers largest first, text A to Z (case left aside),
    missing values (None, NaN) last; ties keep the given order."""
    def key(i: int):
        value = rows[i][column].value
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return (2, 0.0, "")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return (0, -float(value), "")
        return (1, 0.0, str(value).casefold())

    return tuple(sorted(range(len(rows)), key=key))


HEADLINE_CHARS = 160  # a line of page 1: the finding's first clause, cut at a word past this
CLAUSE_ENDS = (": ", "; ", ". ")
HEADLINE_MIN_CHARS = 20  # a first clause shorter than this ("Note: ...") is not a headline


def headline(message: str) -> str:
    """A finding's first clause: up to its first colon, semicolon or full stop outside brackets, for
    a line of page 1; cut at a word, with an ellipsis, past HEADLINE_CHARS."""
    text = " ".join(message.split())
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and i >= HEADLINE_MIN_CHARS and text[i:i + 2] in CLAUSE_ENDS and not _number_point(text, i):
            text = text[:i]
            break
    if len(text) > HEADLINE_CHARS:
        text = text[:HEADLINE_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + " …"
    return text


def _number_point(text: str, i: int) -> bool:
    """A full stop that ends an abbreviation or a number ("e.g. ", "3. ") is no clause end."""
    return text[i] == "." and (text[max(0, i - 3):i + 1].endswith(("e.g.", "i.e.")) or text[i - 1].isdigit())
