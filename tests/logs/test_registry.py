"""`--run FOLDER`: the folder is searched, the newest run is read, the others are listed; one run logged
in two formats (results.csv and TensorBoard events below it) counts once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from insight.errors import LogError
from insight.logs import find_runs, load_run

CSV = "epoch,loss,val_loss\n0,1.0,1.1\n1,0.8,0.9\n2,0.6,0.8\n3,0.5,0.7\n4,0.45,0.66\n5,0.4,0.64\n"


def _events(folder: Path) -> None:
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    writer = EventFileWriter(str(folder))
    for step in range(6):
        value = Summary.Value(tag="train/loss", simple_value=1.0 / (step + 1))
        writer.add_event(Event(step=step, wall_time=1.0 + step, summary=Summary(value=[value])))
    writer.close()


def _write_runs(root: Path, modified: dict[str, float]) -> None:
    """ROOT/<name>/log.csv for each run, with the given modification time."""
    for name, when in modified.items():
        path = root / name / "log.csv"
        path.parent.mkdir()
        path.write_text(CSV)
        os.utime(path, (when, when))


def test_newest_run_is_read_and_the_others_listed(tmp_path):
    _write_runs(tmp_path, {"exp1": 1_000_000, "exp2": 2_000_000})
    run = load_run(tmp_path)
    assert run.source.endswith(str(Path("exp2") / "log.csv"))
    assert any("exp1/log.csv" in n for n in run.notes)


def test_one_run_in_two_formats_counts_once(tmp_path):
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "results.csv").write_text(CSV)
    _events(tmp_path / "exp" / "tensor_data")
    runs = find_runs(tmp_path)
    assert [p.name for p, _ in runs] == ["results.csv"]


def test_separate_runs_in_two_formats_both_count(tmp_path):
    (tmp_path / "version_0").mkdir()
    (tmp_path / "version_0" / "log.csv").write_text(CSV)
    _events(tmp_path / "version_1")
    assert sorted(p.name for p, _ in find_runs(tmp_path)) == ["log.csv", "version_1"]


def test_folder_without_logs(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing")
    with pytest.raises(LogError, match="no training log found"):
        load_run(tmp_path)


def test_runs_copied_together_are_ordered_by_their_number(tmp_path):
    # a clone or an archive gives every file about the same time: version_10 ran after version_5 and
    # version_9, whatever order the copy wrote them in
    for name, when in (("version_10", 1_000_000.0), ("version_9", 1_000_000.5), ("version_5", 1_000_001.0)):
        path = tmp_path / name / "metrics.csv"
        path.parent.mkdir()
        path.write_text("epoch,step,train_loss\n0,1,1.0\n1,2,0.8\n2,3,0.6\n3,4,0.5\n4,5,0.45\n")
        os.utime(path, (when, when))
    run = load_run(tmp_path)
    assert run.source.endswith(str(Path("version_10") / "metrics.csv"))
    (note,) = [n for n in run.notes if "runs found" in n]
    assert "read version_10/metrics.csv, the highest run number" in note
    assert note.endswith("not read: version_9/metrics.csv, version_5/metrics.csv")


def test_runs_written_apart_are_ordered_by_time(tmp_path):
    # exp2 was written an hour after exp10: time wins over the number
    _write_runs(tmp_path, {"exp10": 1_000_000.0, "exp2": 1_003_600.0})
    run = load_run(tmp_path)
    assert run.source.endswith(str(Path("exp2") / "log.csv"))
    assert any("read exp2/log.csv, the newest by modification time; not read: exp10/log.csv" in n for n in run.notes)
