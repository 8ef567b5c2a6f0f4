"""Atomic writes: a failure or a kill while writing leaves the last good report in place."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from insight.errors import UsageError
from insight.report import write
from insight.report.write import prepare_out, write_outputs


def test_writes_all_files(tmp_path):
    written = write_outputs(tmp_path / "out", {"a.json": b"{}", "b.html": b"<p>"})
    assert [p.name for p in written] == ["a.json", "b.html"]
    assert (tmp_path / "out" / "b.html").read_bytes() == b"<p>"
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".tmp")]


def test_files_get_the_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        write_outputs(tmp_path, {"report.html": b"x"})
    finally:
        os.umask(old)
    assert (tmp_path / "report.html").stat().st_mode & 0o777 == 0o644


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    write_outputs(tmp_path, {"report.pdf": b"good"})

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(write.os, "replace", boom)
    with pytest.raises(OSError):
        write_outputs(tmp_path, {"report.pdf": b"half"})
    assert (tmp_path / "report.pdf").read_bytes() == b"good"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_out_must_be_a_folder(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(UsageError, match="must be a folder"):
        prepare_out(tmp_path / "f")


def test_killed_while_writing_leaves_previous_report(tmp_path):
    """A child process is killed in the middle of writing a large file; the old file survives intact."""
    write_outputs(tmp_path, {"report.pdf": b"previous report"})
    script = textwrap.dedent(f"""
        import os, sys, time
        from insight.report import write
        real_fsync = os.fsync
        def slow_fsync(fd):
            sys.stdout.write("writing\\n"); sys.stdout.flush(); time.sleep(30)
        write.os.fsync = slow_fsync
        write.write_outputs(__import__("pathlib").Path({str(tmp_path)!r}), {{"report.pdf": b"x" * 5_000_000}})
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "writing"
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert (tmp_path / "report.pdf").read_bytes() == b"previous report"
