"""Printed tables of chart values as fixed-width lines (insight/report/text_table.py).

Every expected line below is written out by hand, column by column: names left-aligned, numbers
right-aligned, two spaces between columns, trailing spaces dropped.
"""

from __future__ import annotations

from dataclasses import replace

from insight.report.sections.common import Column, table
from insight.report.text_table import PRINT_CHARS, printed_rows, text_rows


def _table(rows, layout="wide"):
    return table("t", "T", [Column("class"), Column("train boxes", "int"), Column("share", "pct")], rows,
                 layout=layout)


def test_numbers_right_names_left_header_wrapped_to_the_bottom():
    rows = text_rows(_table([["person", 253590, 0.3], ["cat", 7, 0.0125]]), chars=80)
    # widths: class 6 ("person"), train boxes 7 ("253,590"; the label wraps to "train"/"boxes"),
    # share 6 ("30.0 %")
    assert rows.header == ("          train\n"
                           "class     boxes   share")
    assert rows.rows == ("person  253,590  30.0 %",
                         "cat           7   1.2 %")


def test_a_dash_for_a_missing_value():
    rows = text_rows(_table([["dog", None, None]]), chars=80)
    # widths: "class" 5, "train"/"boxes" 5, "share" 5
    assert rows.rows == ("dog        –      –",)


def test_a_long_name_wraps_within_its_column_when_the_line_is_too_long():
    name = "chest of drawers chest bureau dresser"  # 37 characters
    rows = text_rows(_table([[name, 12, 0.5]]), chars=30)
    # numbers take "boxes" 5 + "share"/"50.0 %" 6 and two gaps of 2: 15, leaving 15 for the name;
    # first line: "chest of" padded to 15, gap 2, "12" right-aligned in 5, gap 2, "50.0 %"
    assert rows.rows == ("chest of" + " " * 7 + "  " + "   12" + "  " + "50.0 %\n"
                         "drawers chest\n"
                         "bureau dresser",)
    assert all(len(line) <= 30 for line in rows.rows[0].split("\n"))


def test_a_table_that_cannot_fit_prints_as_a_real_table():
    assert text_rows(_table([["person", 253590, 0.3]]), chars=20) is None


def test_the_print_layout_picks_the_width():
    """One row: 8 number columns of "1,000,000" (9 wide) and a 4-letter name, gaps
    of 2: 4 + 8 x 9 + 8 x 2 = 92. It fits a full-width line (112), not a half-page column (52):
    there the name column cannot shrink below NAME_MIN_CHARS, so it prints as a real table."""
    columns = [Column("name")] + [Column(f"c{i}", "int") for i in range(8)]
    rows = [["abcd"] + [1_000_000] * 8]
    wide = printed_rows(table("t", "T", columns, rows, layout="wide"))
    assert wide is not None and len(wide.rows[0]) == 92
    # table() turns a narrow table of more than 5 columns into a wide one: build the narrow Table as is
    narrow = replace(table("t", "T", columns, rows), layout="narrow")
    assert printed_rows(narrow) is None
    assert PRINT_CHARS["narrow"] < 92 <= PRINT_CHARS["wide"]


def test_rows_print_five_to_a_cell_unless_each_row_has_a_class():
    rows = text_rows(_table([[f"c{i}", i, 0.1] for i in range(7)]), chars=80)
    assert [text.count("\n") + 1 for _, text in rows.lines] == [5, 2]
    assert rows.lines[1][1] == "\n".join(rows.rows[5:])
    classed = table("t", "T", [Column("class"), Column("n", "int")], [["a", 1], ["b", 2]],
                    row_classes=("tier-row well", "tier-row serious"))
    assert text_rows(classed, 80).lines == (("tier-row well", "a      1"), ("tier-row serious", "b      2"))
