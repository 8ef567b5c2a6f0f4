"""The report's Jinja filters: the shared number and text formats (insight/formatting.py)."""

from __future__ import annotations

from insight.formatting import FILTERS  # noqa: F401
from insight.formatting import fmt_cell, fmt_epoch, fmt_int, fmt_num, fmt_pct, join_and, plural  # noqa: F401
