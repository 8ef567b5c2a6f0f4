"""The report's date and time: now, or `SOURCE_DATE_EPOCH` when it is set.

Every date or time written into report.html, report.pdf and insight.json comes from here. report.html
and report.pdf hold only the date, so the same inputs give the same bytes on every run of a day;
insight.json's time of generation (`generated_at`) is the start of that day (00:00:00 UTC) unless
`SOURCE_DATE_EPOCH` is set (the reproducible-builds convention: seconds since 1970-01-01 UTC), whose
moment it then is, to the second: insight.json too is byte-identical on every run of a day, and its
`report_id` is the same for the same inputs on any day.
"""

from __future__ import annotations

import datetime as dt
import os

from insight.errors import UsageError

SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"
today = dt.date.today


def report_date(environ=os.environ) -> dt.date:
    """The UTC date of SOURCE_DATE_EPOCH when it is set, else today (local)."""
    moment = _source_date(environ)
    return moment.date() if moment is not None else today()


def report_time(environ=os.environ) -> dt.datetime:
    """SOURCE_DATE_EPOCH when it is set (UTC, whole seconds), else the start of the report's date, 00:00 UTC:
    a time to the second would make two reports of the same inputs differ."""
    moment = _source_date(environ)
    if moment is None:
        day = today()
        moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
    return moment


def iso_utc(moment: dt.datetime) -> str:
    """RFC 3339 in UTC to the second, e.g. 2026-11-22T12:20:00Z (insight.json `generated_at`)."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _source_date(environ) -> dt.datetime | None:
    text = environ.get(SOURCE_DATE_EPOCH, "").strip()
    if not text:
        return None
    try:
        return dt.datetime.fromtimestamp(int(text), dt.timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise UsageError(f"{SOURCE_DATE_EPOCH} must be a whole number of seconds since 1970-01-01 UTC, "
                         f"got {text[:40]!r}") from None


def epoch_seconds(day: dt.date) -> int:
    """Seconds since 1970-01-01 UTC at the start of `day` (UTC)."""
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp())
