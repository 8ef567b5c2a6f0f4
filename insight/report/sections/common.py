"""Small value types the section contexts share: charts, finding rows, table cells."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from insight.model.findings import Finding, Severity

SEVERITY_LABELS = {"error": "Error", "warning": "Warning", "info": "Note"}


@dataclass(frozen=True)
class Chart:
    """One chart: `svg` is inline SVG from insight.charts (trusted markup: matplotlib escapes the
    text it draws), `caption` a plain sentence (escaped like any text), `key` its id in the page."""

    key: str
    svg: Markup
    caption: str


def chart(key: str, svg: str, caption: str) -> Chart:
    return Chart(key=key, svg=Markup(svg), caption=caption)


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
    """A table of a chart's values. `note` says when rows were thinned out (long step logs).
    `layout` is "wide" (full width), "narrow" (a long table of few columns, printed in two
    columns per page) or "list" (full width, a size larger: the summary's labels to add)."""

    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""
    layout: str = "wide"
    row_classes: tuple[str, ...] = ()  # a CSS class per row (e.g. its tier), or none


NARROW_MAX_COLUMNS = 5  # a "narrow" table prints in half the A4 width only up to this many columns


def table(key: str, title: str, columns: list[Column], rows: list[list], note: str = "",
          layout: str = "wide", row_classes: tuple[str, ...] = ()) -> Table:
    """Build a Table from plain row values; each value takes its column's kind. A "narrow" table
    with more than NARROW_MAX_COLUMNS columns (three splits side by side) is printed full width: in
    half the page its columns would run into the next print column."""
    if layout == "narrow" and len(columns) > NARROW_MAX_COLUMNS:
        layout = "wide"
    cells = tuple(tuple(Cell(v, c.kind) for v, c in zip(row, columns)) for row in rows)
    return Table(key=key, title=title, columns=tuple(columns), rows=cells, note=note, layout=layout,
                 row_classes=tuple(row_classes))
