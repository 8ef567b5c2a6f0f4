"""The report's Jinja filters: the shared number and text formats (insight/formatting.py), and the
printed layout of a table of values."""

from __future__ import annotations

from insight.formatting import FILTERS as TEXT_FILTERS
from insight.formatting import fmt_cell, fmt_epoch, fmt_int, fmt_num, fmt_pct, join_and, plural  # noqa: F401


def printed_rows(table):
    """A table of chart values as fixed-width text lines for print, or None (see text_table.py)."""
    from insight.report.text_table import printed_rows as rows

    return rows(table)


FILTERS = {**TEXT_FILTERS, "printed_rows": printed_rows}
