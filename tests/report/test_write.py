"""Atomic writes: a failure or a kill while writing leaves the last good report in place, and two
jobs on one folder never mix their files.

The kill tests stop a child process with SIGKILL at a known point: the child announces the point on
stdout and then blocks reading stdin, so nothing depends on timing.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from insight.errors import UsageError
from insight.report import write

# The writing is tested with placeholder bytes ("old json", "new json"): the files named insight.json here
# are not documents (the real ones these tests write come through insight_dict, which is still checked).
pytestmark = pytest.mark.not_insight_json
from insight.report.write import LOCK_NAME, prepare_out, write_outputs

OLD = {"report.pdf": b"old pdf", "report.html": b"old html", "insight.json": b"old json"}


def _contents(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.name != LOCK_NAME}


def _kill_at_marker(script: str, marker: str, env=None) -> None:
    child = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, env=env)
    try:
        assert child.stdout.readline().strip() == marker
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL


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


def test_every_file_is_on_disk_before_the_first_rename(tmp_path, monkeypatch):
    """Renames come after all temporary files are written, in the order given, under the lock."""
    write_outputs(tmp_path, OLD)
    renames = []
    real_replace = os.replace

    def replace(src, dst):
        temps = sorted(p.name.split(".")[1] for p in tmp_path.glob(".*.tmp"))
        # a second open file description cannot take the lock while write_outputs holds it
        with open(tmp_path / LOCK_NAME) as other, pytest.raises(BlockingIOError):
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        renames.append((os.path.basename(dst), temps))
        real_replace(src, dst)

    monkeypatch.setattr(write.os, "replace", replace)
    write_outputs(tmp_path, {"report.pdf": b"new pdf", "report.html": b"new html", "insight.json": b"new json"})
    assert renames == [("report.pdf", ["insight", "report", "report"]),
                       ("report.html", ["insight", "report"]),
                       ("insight.json", ["insight"])]
    assert _contents(tmp_path) == {"report.pdf": b"new pdf", "report.html": b"new html", "insight.json": b"new json"}


def test_failed_write_keeps_the_old_files_and_says_so_in_one_line(tmp_path, monkeypatch):
    write_outputs(tmp_path, OLD)
    real = write.write_temp

    def full_disk(path, data):
        if path.name == "insight.json":
            raise OSError(28, "No space left on device")
        return real(path, data)

    monkeypatch.setattr(write, "write_temp", full_disk)
    with pytest.raises(UsageError) as err:
        write_outputs(tmp_path, {"report.pdf": b"new", "report.html": b"new", "insight.json": b"new"})
    assert str(err.value) == (f"{tmp_path}: cannot write the report (No space left on device); "
                              "the previous report was left in place")
    assert _contents(tmp_path) == OLD  # no temporary file left either


def test_stale_temporary_files_of_a_killed_run_are_removed(tmp_path):
    (tmp_path / ".report.pdf.k1ll3d.tmp").write_bytes(b"half")
    (tmp_path / ".insight.json.x.tmp").write_bytes(b"half")
    (tmp_path / "notes.tmp").write_bytes(b"the user's")
    (tmp_path / ".other.x.tmp").write_bytes(b"not ours")
    write_outputs(tmp_path, {"report.pdf": b"pdf", "insight.json": b"json"})
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        LOCK_NAME, ".other.x.tmp", "insight.json", "notes.tmp", "report.pdf"]


def test_out_must_be_a_folder(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(UsageError, match="must be a folder"):
        prepare_out(tmp_path / "f")


def test_killed_before_the_renames_leaves_the_whole_previous_report(tmp_path):
    """Killed while writing the last temporary file (the two others already on disk): all three old
    files survive, not a mix; the next run clears the killed run's temporary files."""
    write_outputs(tmp_path, OLD)
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from insight.report import write
        real = write.write_temp
        def stalled(path, data):
            if path.name != "insight.json":
                return real(path, data)
            with open(str(path.parent / ".insight.json.half.tmp"), "wb") as f:
                f.write(data[: len(data) // 2])
            print("writing insight.json", flush=True)
            sys.stdin.read()
        write.write_temp = stalled
        write.write_outputs(Path({str(tmp_path)!r}), {{"report.pdf": b"x" * 5_000_000, "report.html": b"new",
                                                      "insight.json": b"new json"}})
    """)
    _kill_at_marker(script, "writing insight.json")
    assert {name: (tmp_path / name).read_bytes() for name in OLD} == OLD
    # what the killed run left: its pdf and html temporary files and half a json, nothing else
    assert sorted(p.name.split(".")[1] for p in tmp_path.glob(".*.tmp")) == ["insight", "report", "report"]
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == sorted(OLD)
    write_outputs(tmp_path, {"report.pdf": b"next", "report.html": b"next", "insight.json": b"next"})
    assert _contents(tmp_path) == {"report.pdf": b"next", "report.html": b"next", "insight.json": b"next"}


def test_report_killed_in_the_pdf_step_keeps_the_previous_report(pets_dir, pets_run, tmp_path):
    """The real command, killed inside WeasyPrint's write_pdf (layout done, PDF bytes made, nothing
    written yet): the previous three files are unchanged, no temporary file is left in --out, and
    nothing was written outside it (TMPDIR stays empty; one worker, so no process pool runs)."""
    from insight.cli import main

    out, tmp = tmp_path / "out", tmp_path / "tmp"
    tmp.mkdir()
    assert main(["report", str(pets_dir), "--out", str(out), "-q", "--workers", "1"]) == 0
    before = _contents(out)
    script = textwrap.dedent(f"""
        import sys
        import weasyprint.document
        real = weasyprint.document.Document.write_pdf
        def stalled(self, *args, **kwargs):
            data = real(self, *args, **kwargs)
            print("pdf made", len(data) > 1000, flush=True)
            sys.stdin.read()
        weasyprint.document.Document.write_pdf = stalled
        from insight.cli import main
        main(["report", {str(pets_dir)!r}, "--run", {str(pets_run)!r}, "--out", {str(out)!r}, "-q",
              "--workers", "1"])
    """)
    _kill_at_marker(script, "pdf made True", env={**os.environ, "TMPDIR": str(tmp)})
    assert _contents(out) == before  # the killed run had a --run: its insight.json would differ
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "tmp"] and not list(tmp.iterdir())
