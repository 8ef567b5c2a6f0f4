"""`--run FOLDER`: the folder is searched, the newest run is read, the others are listed; one run logged
in two formats (results.csv and TensorBoard events below it) counts once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from insight.cli import main
from insight.config import Config
from insight.errors import LogError, UsageError
from insight.logs import find_runs, load_run, load_runs

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


OLDER = "epoch,loss,val_loss\n0,2.0,2.2\n1,1.5,1.9\n2,1.2,1.7\n"


def _two_runs(root: Path) -> None:
    """exp1 (older, OLDER's values) and exp2 (newer, CSV's values)."""
    _write_runs(root, {"exp1": 1_000_000, "exp2": 2_000_000})
    (root / "exp1" / "log.csv").write_text(OLDER)
    os.utime(root / "exp1" / "log.csv", (1_000_000, 1_000_000))


@pytest.mark.parametrize("wanted", ["exp1", "exp1/", "exp1/log.csv"])
def test_run_id_picks_a_run_folder_by_its_name(tmp_path, wanted):
    """The older run, not the newest, is read when --run-id names it. Expected by hand from OLDER:
    training loss 2.0, 1.5, 1.2 at epochs 0-2 (the newest run's would be 1.0, 0.8, ...)."""
    _two_runs(tmp_path)
    run = load_run(tmp_path, Config(run_id=wanted))
    assert run.source.endswith(str(Path("exp1") / "log.csv"))
    assert list(run.series("loss", "train")["value"]) == [2.0, 1.5, 1.2]
    assert "2 runs found under" in run.notes[-1]
    assert run.notes[-1].endswith("read exp1/log.csv, as asked with --run-id; not read: exp2/log.csv")
    runs, _ = load_runs([tmp_path], Config(run_id=wanted))  # the folder is one run then, not compared
    assert [r.source for r in runs] == [run.source]


def test_run_id_picks_a_log_file_beside_the_others_by_its_name(tmp_path):
    (tmp_path / "n_10.csv").write_text(OLDER)
    (tmp_path / "n_100.csv").write_text(CSV)
    assert load_run(tmp_path, Config(run_id="n_10")).source.endswith("n_10.csv")
    assert load_run(tmp_path, Config(run_id="n_100.csv")).source.endswith("n_100.csv")


def test_run_id_naming_no_run_lists_the_runs(tmp_path):
    _two_runs(tmp_path)
    with pytest.raises(LogError, match=r"no run under this folder matches --run-id 'exp3' \(expected a run "
                                       r"folder's name or path, or an MLflow run id; runs: exp2/log.csv, exp1/log.csv\)"):
        load_run(tmp_path, Config(run_id="exp3"))


def test_run_id_on_one_run_is_refused_in_one_line(tmp_path, capsys):
    """A log file, or a TensorBoard run folder read as a whole, is one run: --run-id picks nothing there
    and was silently ignored; now a usage error (exit code 2, as the CLI's other usage errors)."""
    _two_runs(tmp_path)
    log = tmp_path / "exp2" / "log.csv"
    with pytest.raises(UsageError, match="this is a log file, one generic-csv run"):
        load_run(log, Config(run_id="exp1"))
    assert main(["curves", str(log), "--run-id", "exp1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"insight: error: {log}: --run-id 'exp1' picks one of several runs")
    pytest.importorskip("tensorboard")
    _events(tmp_path / "tb")
    with pytest.raises(UsageError, match="this is a run folder read as a whole, one tensorboard run"):
        load_run(tmp_path / "tb", Config(run_id="x"))


def test_run_id_of_an_mlflow_run_in_a_folder_of_runs(tmp_path):
    """A folder holding a CSV run and an MLflow store: an id that names no folder goes to the store,
    whose own error names the runs it holds."""
    from tests.logs.test_mlflow import file_run

    _write_runs(tmp_path, {"exp1": 1_000_000})
    store = tmp_path / "mlruns"
    (store / "1").mkdir(parents=True)
    (store / "1" / "meta.yaml").write_text("experiment_id: '1'\nname: detector\nlifecycle_stage: active\n")
    file_run(store, "1", "aaaa1111", 3, 2000, {"train_loss": [(10, 0.9, 0), (11, 0.5, 1)]}, name="older")
    file_run(store, "1", "bbbb2222", 3, 5000, {"train_loss": [(20, 0.8, 0), (21, 0.4, 1)]}, name="newest")
    run = load_run(tmp_path, Config(run_id="aaaa"))
    assert list(run.series("loss", "train")["value"]) == [0.9, 0.5]
    assert load_run(tmp_path, Config(run_id="exp1")).source.endswith(str(Path("exp1") / "log.csv"))
    with pytest.raises(LogError, match="no run matches --run-id 'zzzz'"):
        load_run(tmp_path, Config(run_id="zzzz"))


def test_a_run_written_twice_in_one_folder_is_read_once(tmp_path):
    # the real Keras dogbreed folder (realdata/logs_keras/dogbreed_cnn_matty-gg) holds history.csv and
    # history.json, the same 20 epochs at 16 and 10 digits: the report compared the run with itself ("the
    # runs tie"). Here by hand: the same values, the CSV with more digits; a third log that differs stays
    from insight.logs import load_runs

    (tmp_path / "history.csv").write_text(",loss,val_loss\n0,2.1746535301208496,2.86723971\n"
                                          "1,2.143237352371216,2.88898253\n2,2.0902960300445557,2.7\n")
    (tmp_path / "history.json").write_text('{"loss":{"0":2.1746535301,"1":2.1432373524,"2":2.09029603},'
                                           '"val_loss":{"0":2.86723971,"1":2.88898253,"2":2.7}}')
    runs, _ = load_runs([tmp_path])
    assert len(runs) == 1
    kept = Path(runs[0].source).name
    (other,) = {"history.csv", "history.json"} - {kept}
    assert [n for n in runs[0].notes if "the same run written twice" in n] == [
        f"{other} holds the same values as {kept} (the same run written twice): read once"]
    (tmp_path / "other.csv").write_text("epoch,loss,val_loss\n0,2.0,2.5\n1,1.9,2.4\n2,1.8,2.45\n")
    assert len(load_runs([tmp_path])[0]) == 2
