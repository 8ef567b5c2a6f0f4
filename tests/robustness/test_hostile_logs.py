"""Training logs that are hostile, damaged or caught mid-write, each written by the program that writes
such a log (PyYAML, Python's json and csv modules as Detectron2, Lightning and Keras use them, sqlite3 with
MLflow's tables, TensorBoard's own event writer), then cut or damaged the way a disk, a copy or an attacker
would. Each ends as a one-line error naming the file (exit 2) or is read with a note (exit 0); the expected
values are the ones written."""

from __future__ import annotations

import csv
import json
import sqlite3
import struct

import pytest
import yaml

from insight.cli import main
from insight.logs import load_run, mlflow
from tests.logs.test_mlflow import SCHEMA, file_run


def curves(capsys, path, *extra):
    code = main(["curves", str(path), "--json", "-q", *extra])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err, err
    return code, (json.loads(out) if code in (0, 1) else None), err


def refused(capsys, path, where: str, what: str) -> None:
    """Exit 2 with one line that starts with the file (and line) and says what is wrong."""
    code, _, err = curves(capsys, path)
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"insight: error: {where}: {what}"), err


def series(run, name, split):
    s = run.series(name, split)
    return list(zip(s["step"].tolist(), s["value"].tolist()))


def logged(run, source: str) -> list[float]:
    """The values read from the log's own column or key `source`, in step order."""
    m = run.metrics
    return m[m["source"] == source].sort_values("step")["value"].tolist()


# --- YAML alias bombs and deep nesting ---------------------------------------------------------------

def alias_bomb(levels: int = 9, width: int = 10):
    """A list that refers to the same list `width` times, `levels` deep: PyYAML writes each shared list
    once with an anchor and then aliases, a few hundred bytes that expand to width ** levels strings."""
    node: object = "lol"
    for _ in range(levels):
        node = [node] * width
    return node


def mlflow_store_with_meta(root, meta_text: str):
    (root / "0").mkdir(parents=True)
    (root / "0" / "meta.yaml").write_text("experiment_id: '0'\nname: Default\n")
    run = file_run(root, "0", "aaaa1111", 3, 2000, {"train_loss": [(10, 0.5, 0)]})
    (run / "meta.yaml").write_text(meta_text)
    return run


def test_yaml_alias_bomb_is_a_few_hundred_bytes():
    text = yaml.safe_dump({"tags": alias_bomb()})
    # levels 2-9 each hold one anchored list and 9 aliases of it (strings are not anchored): 8 * 9 aliases
    assert len(text) < 2000 and text.count("*id") == 72


@pytest.mark.parametrize("tags, expected", [
    (alias_bomb(), "YAML aliases expand this file to more than 100,000 values (an alias bomb?): not read"),
    (None, "YAML alias *id001 refers to a node that contains it: not read"),
])
def test_yaml_that_would_not_end_is_one_line(tmp_path, capsys, tags, expected):
    if tags is None:  # a list that contains itself: PyYAML writes `&id001 [*id001]`
        tags = []
        tags.append(tags)
    run = mlflow_store_with_meta(tmp_path / "mlruns", yaml.safe_dump({"run_id": "aaaa1111", "tags": tags}))
    code, _, err = curves(capsys, tmp_path / "mlruns")
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"insight: error: {run / 'meta.yaml'}:") and expected in err, err


def test_yaml_nested_deeper_than_a_meta_yaml_ever_is(tmp_path, capsys):
    deep: object = "x"
    for _ in range(150):
        deep = [deep]
    run = mlflow_store_with_meta(tmp_path / "mlruns", yaml.safe_dump({"run_id": "aaaa1111", "tags": deep}))
    code, _, err = curves(capsys, tmp_path / "mlruns")
    assert code == 2 and "YAML nested more than 100 levels deep: not read" in err
    assert err.startswith(f"insight: error: {run / 'meta.yaml'}:")


# --- JSON nested 200,000 deep ------------------------------------------------------------------------

def test_detectron2_line_nested_200k_deep(tmp_path, capsys):
    path = tmp_path / "metrics.json"
    first = json.dumps({"iteration": 19, "total_loss": 1.5, "loss_cls": 1.0}, sort_keys=True)
    path.write_text(first + "\n" + '{"iteration": 39, "x": ' + "[" * 200_000 + "]" * 200_000 + "}\n")
    refused(capsys, path, f"{path}:2", "JSON nested too deeply to read")


# --- steps, epochs and iterations that are NaN or infinite ----------------------------------------------

@pytest.mark.parametrize("name, lines, where, what", [
    ("metrics.json", [{"iteration": 19, "total_loss": 1.5}, {"iteration": 39, "total_loss": 1.2},
                      {"iteration": float("inf"), "total_loss": 1.0}], 3, "iteration inf is not a finite number"),
    ("train.jsonl", [{"step": 1, "loss": 1.0}, {"step": float("nan"), "loss": 0.5}], 2,
     "step nan is not a finite number"),
    ("train.jsonl", [{"step": 1, "epoch": float("-inf"), "loss": 1.0}], 1, "epoch -inf is not a finite number"),
    ("train.jsonl", [{"step": 1e300, "loss": 1.0}], 1, "step 1e+300 is not a finite number"),
])
def test_json_lines_with_a_step_that_is_not_finite(tmp_path, capsys, name, lines, where, what):
    path = tmp_path / name
    # Python's json writes NaN and Infinity as Detectron2's JSONWriter does (json.dumps, allow_nan)
    path.write_text("".join(json.dumps(line, sort_keys=True) + "\n" for line in lines))
    assert "Infinity" in path.read_text() or "NaN" in path.read_text() or "1e+300" in path.read_text()
    refused(capsys, path, f"{path}:{where}", what)


def test_keras_history_with_an_infinite_epoch_index(tmp_path, capsys):
    path = tmp_path / "history.json"
    path.write_text(json.dumps({"loss": {"0": 1.0, "inf": 0.5}, "val_loss": {"0": 1.2, "1": 0.9}}))
    refused(capsys, path, str(path), "'loss' epoch index 'inf' is not a finite number")


# --- MLflow SQLite: a NULL timestamp, a store locked by a running trainer --------------------------------

def sqlite_store(path, metrics):
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    db.execute("INSERT INTO experiments VALUES (1, 'exp', 'active')")
    db.execute("INSERT INTO runs VALUES ('r1', 'one', 'FINISHED', 100, 200, 'active', 1)")
    db.executemany("INSERT INTO metrics VALUES (?, ?, ?, 'r1', ?, 0)", metrics)
    db.commit()
    db.close()
    return path


def test_mlflow_sqlite_null_timestamp_is_read_at_its_step(tmp_path, capsys):
    path = sqlite_store(tmp_path / "mlflow.db", [("train_loss", 1.0, 10, 0), ("train_loss", 0.5, None, 1),
                                                  ("val_loss", 1.25, 10, 0), ("val_loss", 0.75, 11, 1)])
    run = load_run(path)
    assert series(run, "loss", "train") == [(0, 1.0), (1, 0.5)]
    assert "1 value(s) have no timestamp (NULL): they were read at their step" in run.notes
    code, doc, _ = curves(capsys, path)
    assert code == 0 and any("no timestamp" in n for n in doc["curves"]["notes"])


def test_mlflow_sqlite_locked_by_a_trainer_says_locked(tmp_path, capsys, monkeypatch):
    path = sqlite_store(tmp_path / "mlflow.db", [("train_loss", 1.0, 10, 0)])
    monkeypatch.setattr(mlflow, "BUSY_TIMEOUT", 0.1)
    trainer = sqlite3.connect(path)
    trainer.execute("BEGIN EXCLUSIVE")  # what a writer holds while it commits
    try:
        refused(capsys, path, str(path), "the MLflow SQLite store is locked by another process")
    finally:
        trainer.rollback()
        trainer.close()
    assert series(load_run(path), "loss", "train") == [(0, 1.0)]  # free again: read


def test_mlflow_reads_only_the_chosen_run_in_sql(tmp_path):
    """Issue: the SQLite reader loaded every metric of every run; now the query names the run."""
    path = sqlite_store(tmp_path / "mlflow.db", [("train_loss", 1.0, 10, 0)])
    db = sqlite3.connect(path)
    db.execute("INSERT INTO runs VALUES ('r0', 'old', 'FINISHED', 10, 20, 'active', 1)")
    db.executemany("INSERT INTO metrics VALUES ('train_loss', ?, ?, 'r0', ?, 0)",
                   [(9.0, i, i) for i in range(1000)])
    db.commit()
    db.close()
    queries = []

    class Traced(sqlite3.Connection):
        def execute(self, sql, *args):
            queries.append((sql, args))
            return super().execute(sql, *args)

    connect = sqlite3.connect
    sqlite3.connect = lambda *a, **k: connect(*a, factory=Traced, **k)
    try:
        run = load_run(path)
    finally:
        sqlite3.connect = connect
    assert series(run, "loss", "train") == [(0, 1.0)]
    selects = [(sql, args) for sql, args in queries if "FROM metrics" in sql and "key" in sql]
    assert selects == [(selects[0][0], (("r1",),))] and "WHERE run_uuid = ?" in selects[0][0]


# --- TensorBoard: a record whose checksum fails ----------------------------------------------------------

def event_file(folder, steps: int = 10):
    """TensorBoard's writer: one file_version record, then train/loss = 2 ** -step for each step."""
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    writer = EventFileWriter(str(folder))
    for step in range(steps):
        summary = Summary(value=[Summary.Value(tag="train/loss", simple_value=2.0 ** -step)])
        writer.add_event(Event(step=step, wall_time=1.0 + step, summary=summary))
    writer.close()
    return next(folder.glob("events.out.tfevents.*"))


def record_offsets(data: bytes) -> list[tuple[int, int]]:
    """(offset, payload length) of each record: a uint64 length, 4 bytes of its CRC, payload, 4 bytes."""
    offsets, pos = [], 0
    while pos < len(data):
        (length,) = struct.unpack("<Q", data[pos:pos + 8])
        offsets.append((pos, length))
        pos += 12 + length + 4
    assert pos == len(data)
    return offsets


def test_tensorboard_record_with_a_bad_checksum_keeps_what_was_read(tmp_path, capsys):
    pytest.importorskip("tensorboard")
    file = event_file(tmp_path)
    data = bytearray(file.read_bytes())
    offsets = record_offsets(bytes(data))
    assert len(offsets) == 11  # file_version + 10 steps
    pos, length = offsets[4]  # step 3's record
    data[pos + 12 + length // 2] ^= 0xFF  # one payload byte flipped; the framing is intact
    file.write_bytes(bytes(data))
    run = load_run(tmp_path)
    assert series(run, "loss", "train") == [(0, 1.0), (1, 0.5), (2, 0.25)]
    assert any("record 5 of 11 fails its checksum" in n and "7 record(s) were dropped" in n for n in run.notes)
    code, doc, _ = curves(capsys, tmp_path)
    assert code == 0 and any("fails its checksum" in n for n in doc["curves"]["notes"])


def test_tensorboard_record_whose_length_is_damaged(tmp_path):
    pytest.importorskip("tensorboard")
    file = event_file(tmp_path)
    data = bytearray(file.read_bytes())
    pos, _ = record_offsets(bytes(data))[6]  # step 5's record
    data[pos] ^= 0x40  # its length no longer matches the length's own CRC
    file.write_bytes(bytes(data))
    run = load_run(tmp_path)
    assert series(run, "loss", "train") == [(s, 2.0 ** -s) for s in range(5)]
    lost = len(data) - pos
    assert any(f"the length of record 7 fails its checksum" in n and f"the last {lost} bytes" in n
               for n in run.notes), run.notes


# --- a log caught mid-write: the last line cut -----------------------------------------------------------

def cut(path, text: str, keep: str) -> None:
    """`text` written, then cut just after the last occurrence of `keep` (a copy taken mid-write)."""
    path.write_bytes(text.encode()[: text.rindex(keep) + len(keep)])


def csv_text(header: list[str], rows: list[list]) -> str:
    """What csv.writer writes (Lightning's and Keras's CSV loggers use it: lines end with \\r\\n)."""
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


LOSSES = [1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125, 0.0625]


def test_lightning_cut_last_line_is_not_read_as_a_loss_of_zero(tmp_path, capsys):
    path = tmp_path / "metrics.csv"
    rows = [[epoch, 10 * epoch + 9, loss] for epoch, loss in enumerate(LOSSES)]
    cut(path, csv_text(["epoch", "step", "train_loss"], rows), "8,89,0.")  # the row of 0.0625, cut
    run = load_run(path)
    assert series(run, "loss", "train") == [(10 * e + 9, loss) for e, loss in enumerate(LOSSES[:8])]
    assert run.notes == ("metrics.csv: the last line (line 10) has no line end, so the file was cut or is still "
                         "being written: that line was not read ('8,89,0.')",)
    code, doc, _ = curves(capsys, path)
    assert code == 0 and any("line 10) has no line end" in n for n in doc["curves"]["notes"])


def test_ultralytics_cut_row_is_left_out_with_a_note(tmp_path):
    path = tmp_path / "results.csv"
    header = ["epoch", "train/box_loss", "metrics/mAP50(B)", "val/box_loss"]
    # Ultralytics v8 writes '%23.5g,' per value, padded, one row per epoch
    rows = [(epoch + 1, loss, 0.5 * epoch, loss + 0.25) for epoch, loss in enumerate(LOSSES)]
    lines = [",".join(f"{h:>23s}" for h in header)] + [",".join(f"{v:23.5g}" for v in row) for row in rows]
    cut(path, "\n".join(lines) + "\n", lines[-1][:60])
    run = load_run(path)
    assert series(run, "box_loss", "train") == [(e, loss) for e, loss in enumerate(LOSSES[:8])]
    assert any("results.csv: the last line (line 10) has no line end" in n for n in run.notes)


def test_json_lines_cut_last_line_is_left_out_and_a_whole_one_kept(tmp_path):
    path = tmp_path / "metrics.json"
    lines = [json.dumps({"iteration": 20 * i + 19, "total_loss": loss, "loss_cls": loss}, sort_keys=True)
             for i, loss in enumerate(LOSSES)]
    cut(path, "\n".join(lines) + "\n", lines[-1][:30])
    run = load_run(path)
    assert logged(run, "total_loss") == LOSSES[:8]
    assert any("metrics.json: the last line (line 9) has no line end" in n for n in run.notes)
    path.write_text("\n".join(lines))  # every object whole, only the final line end missing: all read
    run = load_run(path)
    assert logged(run, "total_loss") == LOSSES
    assert not any("no line end" in n for n in run.notes)


def test_keras_csv_logger_cut_last_line(tmp_path):
    path = tmp_path / "training.log"
    rows = [[epoch, loss, loss + 0.5] for epoch, loss in enumerate(LOSSES)]
    cut(path, csv_text(["epoch", "loss", "val_loss"], rows), "8,0.0625,0.")
    run = load_run(path)
    assert [v for _, v in series(run, "loss", "val")] == [loss + 0.5 for loss in LOSSES[:8]]
    assert any("training.log: the last line (line 10) has no line end" in n for n in run.notes)


def test_mlflow_metric_file_cut_last_line(tmp_path):
    root = tmp_path / "mlruns"
    (root / "0").mkdir(parents=True)
    (root / "0" / "meta.yaml").write_text("experiment_id: '0'\nname: Default\n")
    run_dir = file_run(root, "0", "aaaa1111", 3, 2000, {"train_loss": [(10 + s, loss, s) for s, loss in
                                                                       enumerate(LOSSES)]})
    metric = run_dir / "metrics" / "train_loss"
    cut(metric, metric.read_text(), "18 0.0")
    run = load_run(root)
    assert series(run, "loss", "train") == list(enumerate(LOSSES[:8]))
    assert any("metrics/train_loss: the last line (line 9) has no line end" in n for n in run.notes)
