"""MLflow reader on a file store and a SQLite store built here, laid out as MLflow writes them
(mlflow/store/tracking/file_store.py and the SqlMetric/SqlRun tables); expected values are the ones written."""

from __future__ import annotations

import sqlite3

import pytest

from insight.config import Config
from insight.errors import LogError
from insight.logs import detect, load_run, mlflow


def file_run(root, exp, run_id, status, end, metrics, name="run"):
    run = root / exp / run_id
    (run / "tags").mkdir(parents=True)
    (run / "tags" / "mlflow.runName").write_text(name)
    (run / "meta.yaml").write_text(f"run_id: {run_id}\nrun_uuid: {run_id}\nexperiment_id: '{exp}'\n"
                                   f"status: {status}\nstart_time: {end - 1000}\nend_time: {end}\n"
                                   "lifecycle_stage: active\nartifact_uri: file:///C:/Users/x/mlruns\n")
    for key, lines in metrics.items():
        file = run / "metrics" / key
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text("".join(f"{ts} {value} {step}\n" for ts, value, step in lines))
    return run


@pytest.fixture()
def store(tmp_path):
    root = tmp_path / "mlruns"
    (root / "1").mkdir(parents=True)
    (root / "1" / "meta.yaml").write_text("experiment_id: '1'\nname: detector\nlifecycle_stage: active\n")
    file_run(root, "1", "aaaa1111", 3, 2000, {"train_loss": [(10, 0.9, 0), (11, 0.5, 1)],
                                              "val_loss": [(10, 1.0, 0), (11, 0.7, 1)]}, name="older")
    file_run(root, "1", "bbbb2222", 3, 5000, {"train/loss": [(20, 0.8, 0), (21, 0.4, 1), (22, 0.3, 2)],
                                              "val/mAP50": [(20, 0.25, 0), (22, 0.5, 2)],
                                              "epoch": [(20, 0, 0), (21, 1, 1), (22, 2, 2)]}, name="newest")
    file_run(root, "1", "cccc3333", 4, 9000, {}, name="crashed")  # FAILED, newer, no metrics
    return root


def series(run, name, split):
    s = run.series(name, split)
    return list(zip(s["step"], s["value"]))


def test_file_store_reads_the_latest_finished_run_with_metrics(store):
    assert detect(store)[0] is mlflow
    run = mlflow.read(store)
    assert series(run, "loss", "train") == [(0, 0.8), (1, 0.4), (2, 0.3)]  # metrics/train/loss, a nested name
    assert series(run, "mAP50", "val") == [(0, 0.25), (2, 0.5)]
    assert list(run.series("loss", "train")["epoch"]) == [0.0, 1.0, 2.0]  # from the epoch metric
    note = run.notes[0]
    assert "run bbbb2222 ('newest', experiment 'detector')" in note
    assert "latest FINISHED run with metrics" in note
    assert "2 other run(s)" in note and "1 FAILED" in note


def test_run_id_chooses_a_run(store):
    run = mlflow.read(store, Config(run_id="aaaa"))
    assert series(run, "loss", "val") == [(0, 1.0), (1, 0.7)]
    assert "as asked with --run-id" in run.notes[0]
    with pytest.raises(LogError, match="no run matches --run-id 'zzzz'"):
        mlflow.read(store, Config(run_id="zzzz"))


def test_a_run_folder_reads_that_run(store):
    run = load_run(store / "1" / "aaaa1111")
    assert series(run, "loss", "train") == [(0, 0.9), (1, 0.5)]


def test_points_all_at_step_zero_are_numbered_by_timestamp(tmp_path):
    root = tmp_path / "mlruns"
    (root / "0").mkdir(parents=True)
    (root / "0" / "meta.yaml").write_text("experiment_id: '0'\nname: Default\n")
    # written out of timestamp order on purpose
    file_run(root, "0", "dddd4444", 3, 100, {"train_loss": [(30, 0.2, 0), (10, 0.9, 0), (20, 0.4, 0)]})
    run = mlflow.read(root)
    assert series(run, "loss", "train") == [(0, 0.9), (1, 0.4), (2, 0.2)]
    assert any("logged at step 0" in n for n in run.notes)


def test_bad_metric_line_names_file_and_line(tmp_path):
    root = tmp_path / "mlruns"
    (root / "0").mkdir(parents=True)
    (root / "0" / "meta.yaml").write_text("experiment_id: '0'\nname: Default\n")
    run = file_run(root, "0", "eeee5555", 3, 100, {"loss": [(1, 0.5, 0)]})
    (run / "metrics" / "loss").write_text("1 0.5 0\n2 oops 1\n")
    with pytest.raises(LogError) as err:
        mlflow.read(root)
    assert str(err.value).startswith(f"{run / 'metrics' / 'loss'}:2: expected '<timestamp> <value> <step>'")


SCHEMA = """
CREATE TABLE experiments (experiment_id INTEGER PRIMARY KEY, name VARCHAR(256), lifecycle_stage VARCHAR(32));
CREATE TABLE runs (run_uuid VARCHAR(32) PRIMARY KEY, name VARCHAR(250), status VARCHAR(9), start_time BIGINT,
                   end_time BIGINT, lifecycle_stage VARCHAR(20), experiment_id INTEGER);
CREATE TABLE metrics (key VARCHAR(250), value FLOAT, timestamp BIGINT, run_uuid VARCHAR(32), step BIGINT,
                      is_nan BOOLEAN);
"""


def sqlite_store(path):
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    db.execute("INSERT INTO experiments VALUES (1, 'segmenter', 'active')")
    db.executemany("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, 1)", [
        ("r1", "first", "FINISHED", 100, 200, "active"),
        ("r2", "second", "FINISHED", 300, 400, "active"),
        ("r3", "deleted", "FINISHED", 500, 600, "deleted"),
        ("r4", "running", "RUNNING", 700, None, "active")])
    db.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)", [
        ("train_loss", 1.0, 1, "r1", 0, 0),
        ("train_loss", 0.9, 1, "r2", 0, 0), ("train_loss", 0.6, 2, "r2", 1, 0),
        ("val_loss", 0.0, 1, "r2", 0, 1),  # MLflow stores NaN as 0 with is_nan set
        ("val_loss", 1.7976931348623157e308, 2, "r2", 1, 0),  # and +inf as the largest float
        ("val_dice", 0.5, 2, "r2", 1, 0),
        ("train_loss", 5.0, 1, "r3", 0, 0), ("train_loss", 7.0, 1, "r4", 0, 0)])
    db.commit()
    db.close()
    return path


def test_sqlite_store(tmp_path):
    path = sqlite_store(tmp_path / "mlflow.db")
    assert detect(path)[0] is mlflow
    run = mlflow.read(path)
    assert series(run, "loss", "train") == [(0, 0.9), (1, 0.6)]
    val = run.series("loss", "val")["value"].tolist()
    assert val[0] != val[0] and val[1] == float("inf")
    assert series(run, "dice", "val") == [(1, 0.5)]
    assert "run r2 ('second', experiment 'segmenter')" in run.notes[0]
    assert "2 other run(s)" in run.notes[0]  # the deleted run is not counted
    assert series(mlflow.read(tmp_path, Config(run_id="first")), "loss", "train") == [(0, 1.0)]


def test_a_sqlite_file_that_is_not_a_store(tmp_path):
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    assert mlflow.detect(path).confidence == 0
    with pytest.raises(LogError, match="other.db: not an MLflow SQLite store"):
        mlflow.read(path)
