"""The same inputs give the same report.html, report.pdf and insight.json, byte for byte, run after run:
rendered in the helper process or in the command, whatever the wall clock says. Every date inside them
is the report's date: today, or the UTC date of SOURCE_DATE_EPOCH."""

from __future__ import annotations

import datetime as dt
import json
import os
import time

import pytest

import insight.report_date
from insight.cli import main
from insight.report_date import report_date

OUTPUTS = ("report.html", "report.pdf", "insight.json")


def _report(pets_dir, pets_run, out, *extra) -> dict[str, bytes]:
    code = main(["report", str(pets_dir), "--run", str(pets_run), "--out", str(out), "-q", *extra])
    assert code == 0
    return {name: (out / name).read_bytes() for name in OUTPUTS}


def test_two_reports_at_different_times_are_byte_identical(pets_dir, pets_run, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.setattr(insight.report_date, "today", lambda: dt.date(2026, 11, 22))  # no midnight in between
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000.0)
    helper = _report(pets_dir, pets_run, tmp_path / "a")  # the helper process, where the machine has one
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.0)  # three years later
    here = _report(pets_dir, pets_run, tmp_path / "b", "--workers", "1")  # rendered in the command
    assert (helper["report.html"], helper["report.pdf"]) == (here["report.html"], here["report.pdf"])
    assert b"2026-11-22" in here["report.html"]
    assert "SOURCE_DATE_EPOCH" not in os.environ  # set for the PDF only, then removed again
    # insight.json too: generated_at is the start of the report's date, whatever the clock says
    assert here["insight.json"] == helper["insight.json"]
    assert json.loads(here["insight.json"])["generated_at"] == "2026-11-22T00:00:00Z"


def test_with_source_date_epoch_insight_json_is_byte_identical(pets_dir, pets_run, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795350000")  # 2026-11-22 12:20 UTC
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000.0)
    first = _report(pets_dir, pets_run, tmp_path / "a", "--workers", "1")
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.0)
    assert _report(pets_dir, pets_run, tmp_path / "b", "--workers", "1") == first
    assert json.loads(first["insight.json"])["generated_at"] == "2026-11-22T12:20:00Z"


def test_source_date_epoch_is_the_report_date(pets_dir, pets_run, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795350000")  # `date -u -d @1795350000`: 2026-11-22 12:20 UTC
    files = _report(pets_dir, pets_run, tmp_path / "a", "--workers", "1")
    assert b"<td>2026-11-22</td>" in files["report.html"]
    assert os.environ["SOURCE_DATE_EPOCH"] == "1795350000"


@pytest.mark.parametrize("value", ["yesterday", "1.5e9", "99999999999999999999"])
def test_a_malformed_source_date_epoch_is_a_usage_error(value, pets_run, capsys, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    code = main(["curves", str(pets_run), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 UTC" in err


def test_report_date():
    assert report_date({"SOURCE_DATE_EPOCH": "0"}) == dt.date(1970, 1, 1)
    assert report_date({"SOURCE_DATE_EPOCH": "1795305599"}) == dt.date(2026, 11, 21)  # 23:59:59 UTC
    assert report_date({"SOURCE_DATE_EPOCH": " "}) == insight.report_date.today()


def test_report_time_is_the_start_of_the_day_or_source_date_epoch(monkeypatch):
    monkeypatch.setattr(insight.report_date, "today", lambda: dt.date(2026, 11, 22))
    assert insight.report_date.report_time({}) == dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
    # `date -u -d @1795350000`: 2026-11-22 12:20:00 UTC
    assert insight.report_date.report_time({"SOURCE_DATE_EPOCH": "1795350000"}) == dt.datetime(
        2026, 11, 22, 12, 20, tzinfo=dt.timezone.utc)
