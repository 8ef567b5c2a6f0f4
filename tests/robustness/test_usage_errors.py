"""A cron script with an unset variable, a gate that names no level, inputs that are not regular files:
each is a usage error or a bad input (exit 2, one line, nothing written), never exit 0 reading the current
folder, never a hang, never exit 1 (which means only that a --fail-on level fired)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from insight.cli import main

REPO = Path(__file__).resolve().parents[2]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err, err
    return code, out, err


@pytest.mark.parametrize("argv, what", [
    (["report", "DATA", "--out", ""], "argument --out: an empty path (is a variable in the script unset?)"),
    (["report", "DATA", "--run", ""], "argument --run: an empty path"),
    (["report", "DATA", "--baseline", ""], "argument --baseline: an empty path"),
    (["report", ""], "argument dataset: an empty path"),
    (["scan", " "], "argument dataset: an empty path"),
    (["curves", ""], "argument run: an empty path"),
    (["scan", "DATA", "--classes", ""], "argument --classes: an empty path"),
    (["report", "DATA", "--fail-on", ""], "--fail-on '' names no level"),
    (["report", "DATA", "--fail-on", ","], "--fail-on ',' names no level"),
    (["scan", "DATA", "--fail-on", " , "], "--fail-on ' , ' names no level"),
])
def test_empty_arguments_are_usage_errors(pets_dir, tmp_path, capsys, monkeypatch, argv, what):
    monkeypatch.chdir(tmp_path)  # an empty --out would have written here
    argv = [str(pets_dir) if a == "DATA" else a for a in argv]
    code, out, err = run(capsys, *argv, "-q")
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert what in err
    assert list(tmp_path.iterdir()) == []  # nothing written, not even the lock file


def test_a_fifo_as_baseline_is_refused_without_waiting(pets_dir, tmp_path):
    """No process ever writes to the FIFO: an open that waited for a writer would hang. The command runs
    in a child so that a regression ends in the timeout (a failure) instead of a stuck test run."""
    fifo = tmp_path / "insight.json"
    os.mkfifo(fifo)
    result = subprocess.run([sys.executable, "-m", "insight.cli", "report", str(pets_dir), "--out",
                             str(tmp_path / "out"), "--baseline", str(fifo), "-q"],
                            capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (f"insight: error: {fifo}: baseline is not a readable insight.json: is a FIFO "
                             "(named pipe), not a regular file: not read\n")
    assert not (tmp_path / "out").exists()


def test_a_device_as_baseline_is_refused(pets_dir, tmp_path, capsys):
    code, _, err = run(capsys, "report", str(pets_dir), "--out", str(tmp_path / "o"), "--baseline", "/dev/zero")
    assert code == 2 and err == ("insight: error: /dev/zero: baseline is not a readable insight.json: is a "
                                 "character device, not a regular file: not read\n")


@pytest.mark.not_insight_json  # a hostile baseline, broken on purpose
def test_a_baseline_nested_200k_deep(pets_dir, tmp_path, capsys):
    baseline = tmp_path / "insight.json"
    baseline.write_text('{"schema": "insight/1", "x": ' + "[" * 200_000 + "]" * 200_000 + "}")
    code, _, err = run(capsys, "report", str(pets_dir), "--out", str(tmp_path / "o"), "--baseline", str(baseline))
    assert code == 2 and err.startswith(f"insight: error: {baseline}: baseline is not a readable insight.json: "
                                        "JSON nested too deeply to read")


@pytest.mark.not_insight_json  # a hostile baseline, broken on purpose
def test_a_baseline_larger_than_the_cap(pets_dir, tmp_path, capsys, monkeypatch):
    from insight import commands

    monkeypatch.setattr(commands, "BASELINE_LIMIT", 1024)
    baseline = tmp_path / "insight.json"
    baseline.write_text(json.dumps({"schema": "insight/1", "pad": "x" * 2000}))  # 2,035 bytes
    code, _, err = run(capsys, "report", str(pets_dir), "--out", str(tmp_path / "o"), "--baseline", str(baseline))
    assert code == 2 and err == (f"insight: error: {baseline}: baseline is not a readable insight.json: the file "
                                 "is 2.0 KiB, more than the 1.0 KiB insight reads from one such file: not read "
                                 "(is it the right file?)\n")


@pytest.mark.parametrize("target, kind", [("/dev/zero", "a character device"), ("FIFO", "a FIFO (named pipe)")])
def test_a_run_that_is_not_a_file_or_folder(tmp_path, capsys, target, kind):
    if target == "FIFO":
        target = str(tmp_path / "results.csv")
        os.mkfifo(target)
    code, _, err = run(capsys, "curves", target)
    assert code == 2 and err == f"insight: error: {target}: is {kind}, not a training log file or folder\n"


def test_symlinks_out_of_the_log_folder_are_not_followed(tmp_path, capsys):
    """A log folder whose results.csv is a symlink to /dev/zero, and whose other log leads to a file
    outside it: neither is opened; the log inside is read and a note names both links."""
    logs = tmp_path / "logs"
    (logs / "a").mkdir(parents=True)
    (logs / "a" / "results.csv").symlink_to("/dev/zero")
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("epoch,loss,val_loss\n0,9,9\n1,8,8\n")
    (logs / "b.csv").symlink_to(outside)
    (logs / "c").mkdir()
    (logs / "c" / "log.csv").write_text("epoch,loss,val_loss\n0,1.0,1.5\n1,0.5,1.0\n")
    code, out, err = run(capsys, "curves", str(logs), "--json")
    assert code == 0, err
    curves = json.loads(out)["curves"]
    assert curves["source"] == str(logs / "c" / "log.csv")
    assert f"symlinks that lead out of {logs} were not followed (name a file outside it with --run to read it): " \
           "b.csv, a/results.csv" in curves["notes"]  # the folder itself first, then a/


def test_exit_1_only_when_a_level_fired(pets_dir, tmp_path, capsys):
    """pets has fish seriously under-represented (test_cli.py works the counts out by hand)."""
    code, _, err = run(capsys, "scan", str(pets_dir), "--fail-on", "serious")
    assert code == 1 and err.startswith("insight: --fail-on: serious: 1 class(es)")
    code, _, err = run(capsys, "scan", str(tmp_path / "missing"), "--fail-on", "serious")
    assert code == 2


@pytest.mark.parametrize("failure", [RuntimeError("a bug"), MemoryError(), RecursionError("too deep"),
                                     RuntimeError("x" * 100_000)])
def test_a_bug_is_exit_2_in_one_bounded_line_never_exit_1(pets_run, capsys, monkeypatch, failure):
    """Exit 1 tells a nightly script that a --fail-on level fired and a new report was written; a crash
    must never look like that. A huge message (one that quotes a hostile file) is cut to one short line."""
    from insight import commands

    def broken(*args, **kwargs):
        raise failure

    monkeypatch.setattr(commands, "_load_runs", broken)
    code = main(["curves", str(pets_run), "-q", "--fail-on", "scenario:B"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("insight: internal error: ")
    assert len(err) < 2200
