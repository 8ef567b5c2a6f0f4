"""A table of chart values as lines of fixed-width text, for the printed report.

WeasyPrint lays out every table cell as its own box: the COCO report's 2,000 value cells took half
of its PDF time. Printed, each row of the tables section is instead one line of monospace text
(numbers right-aligned, names left-aligned, columns two spaces apart), inside a one-column table so
that the header still repeats on every page. The HTML report keeps real tables.

`text_rows(table, chars)` returns None when the table cannot fit `chars` characters a line even with
its name column wrapped: such a table prints as a real table.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from insight.formatting import fmt_cell

# Characters a line holds in templates/report.css's print style: DejaVu Sans Mono advances 0.602 em,
# so at 7 pt (4.21 pt a character) the 174 mm of A4 text width hold 117 and a half-page column
# (83 mm) 55; at 8 pt ("list": the summary's labels to add) the full width holds 102. A little is
# kept for the cell's padding and border.
PRINT_CHARS = {"wide": 112, "narrow": 52, "list": 98}
GAP = "  "
ROWS_PER_RULE = 5
LEFT_KINDS = ("text", "tag")  # every other kind is a number, right-aligned
NAME_MIN_CHARS = 12  # a wrapped name column is never narrower than this


@dataclass(frozen=True)
class TextRows:
    """header: the column labels as lines (words wrapped, aligned to the bottom); rows: one string
    per table row, several lines joined by newlines where a long name wraps; classes: a CSS class
    per row, or none."""

    header: str
    rows: tuple[str, ...]
    classes: tuple[str, ...] = ()

    @property
    def lines(self) -> tuple[tuple[str, str], ...]:
        """(CSS class, text) per printed cell: a row each when rows have classes (a tier's colour),
        else ROWS_PER_RULE rows a cell, a rule under each group. Every cell is a box WeasyPrint lays
        out; five rows a box cost a third of one row a box."""
        if self.classes:
            return tuple(zip(self.classes, self.rows))
        return tuple(("", "\n".join(self.rows[i:i + ROWS_PER_RULE]))
                     for i in range(0, len(self.rows), ROWS_PER_RULE))


def printed_rows(table) -> TextRows | None:
    """The table's rows as text for its print layout (Table.layout: wide or narrow)."""
    return text_rows(table, PRINT_CHARS.get(table.layout, PRINT_CHARS["wide"]))


def text_rows(table, chars: int) -> TextRows | None:
    kinds = [c.kind for c in table.columns]
    cells = [[fmt_cell(cell.value, cell.kind) for cell in row] for row in table.rows]
    widths = [max([_longest_word(c.label)] + [len(row[i]) for row in cells]) for i, c in enumerate(table.columns)]
    over = sum(widths) + len(GAP) * (len(widths) - 1) - chars
    if over > 0:
        if kinds[0] not in LEFT_KINDS or widths[0] - over < NAME_MIN_CHARS:
            return None
        widths[0] -= over
        if _longest_word(table.columns[0].label) > widths[0]:
            return None
    header = _header([c.label for c in table.columns], widths, kinds)
    return TextRows(header=header, rows=tuple(_row(row, widths, kinds) for row in cells),
                    classes=tuple(table.row_classes))


def _longest_word(text: str) -> int:
    return max((len(w) for w in text.split()), default=0)


def _header(labels: list[str], widths: list[int], kinds: list[str]) -> str:
    wrapped = [textwrap.wrap(label, width) or [""] for label, width in zip(labels, widths)]
    height = max(len(w) for w in wrapped)
    columns = [[""] * (height - len(w)) + w for w in wrapped]  # bottom-aligned, like the HTML table
    return "\n".join(_line([col[k] for col in columns], widths, kinds) for k in range(height))


def _row(values: list[str], widths: list[int], kinds: list[str]) -> str:
    name = textwrap.wrap(values[0], widths[0], break_long_words=True) or [""]
    lines = [_line([name[0]] + values[1:], widths, kinds)]
    lines += [_line([part] + [""] * (len(values) - 1), widths, kinds) for part in name[1:]]
    return "\n".join(lines)


def _line(values: list[str], widths: list[int], kinds: list[str]) -> str:
    parts = [v.ljust(w) if k in LEFT_KINDS else v.rjust(w) for v, w, k in zip(values, widths, kinds)]
    return GAP.join(parts).rstrip()
