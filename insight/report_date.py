"""The report's date: today, or the date of `SOURCE_DATE_EPOCH` when it is set.

Every date or time written into report.html, report.pdf and insight.json comes from here, so the same
inputs give the same bytes on every run of a day, and on every run at all with `SOURCE_DATE_EPOCH` set
(the reproducible-builds convention: seconds since 1970-01-01 UTC).
"""

from __future__ import annotations

import datetime as dt
import os

from insight.errors import UsageError

SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"
today = dt.date.today


def report_date(environ=os.environ) -> dt.date:
    """The UTC date of SOURCE_DATE_EPOCH when it is set, else today (local)."""
    text = environ.get(SOURCE_DATE_EPOCH, "").strip()
    if not text:
        return today()
    try:
        seconds = int(text)
        return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).date()
    except (ValueError, OverflowError, OSError):
        raise UsageError(f"{SOURCE_DATE_EPOCH} must be a whole number of seconds since 1970-01-01 UTC, "
                         f"got {text[:40]!r}") from None


def epoch_seconds(day: dt.date) -> int:
    """Seconds since 1970-01-01 UTC at the start of `day` (UTC)."""
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp())
