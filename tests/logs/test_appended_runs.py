"""Runs appended one after another in one log: every reader keeps the same run, the last complete one.

The rule (logs/table.last_complete): the last run with at least 5 points (one Prechelt strip, the
diagnosis's min_points); shorter runs after it are aborted starts; when no run is that long, the last.
Expected runs are read off the hand-written files below.
"""

from __future__ import annotations

import json

import pytest

from insight.logs import detectron2, generic_csv
from insight.logs.table import MIN_RUN_POINTS, Rows, last_complete


@pytest.mark.parametrize("lengths, chosen", [
    ([6, 5, 2], 1),  # a complete run, another, then an aborted start of 2 points
    ([6, 4], 0),  # the last run has 4 points (< 5): an aborted start
    ([3, 4], 1),  # nothing complete: the last
    ([1, 25], 1),  # a stray first run, then the real one
    ([5], 0),
])
def test_last_complete_is_the_last_run_of_at_least_five_points(lengths, chosen):
    assert MIN_RUN_POINTS == 5
    assert last_complete(lengths) == chosen


def test_a_csv_run_followed_by_an_aborted_start_keeps_the_complete_run(tmp_path):
    # Keras CSVLogger(append=True): epochs 0-5, then a restart that logged epochs 0-1 and stopped
    path = tmp_path / "training.log"
    path.write_text("epoch,loss,val_loss\n" + "".join(f"{e},{1.0 - 0.1 * e:.1f},{1.1 - 0.1 * e:.1f}\n"
                                                      for e in range(6)) + "0,5.0,5.5\n1,4.0,4.5\n")
    run = generic_csv.read(path)
    assert run.series("loss", "train")["value"].tolist() == pytest.approx([1.0, 0.9, 0.8, 0.7, 0.6, 0.5])
    assert run.series("loss", "val")["value"].tolist() == pytest.approx([1.1, 1.0, 0.9, 0.8, 0.7, 0.6])
    note = next(n for n in run.notes if "runs one after another" in n)
    assert "last complete run (at least 5 points)" in note and "1 shorter run(s) after it" in note
    assert "4 value(s)" in note  # 2 rows x (loss, val_loss) of the aborted start


def test_an_aborted_start_is_measured_on_its_sparsest_series_so_series_never_mix():
    # a per-step train loss (10 steps an epoch) and a per-epoch val loss. Run 1: epochs 0-5 (60 train
    # points, 6 val points); run 2: epochs 0-2 (30 train points, 3 val points). Run 2 is long enough in
    # train points, but its val loss has 3 points: the run is an aborted start, and both series keep run 1
    rows = Rows()
    for run_no, epochs in ((1, 6), (2, 3)):
        for e in range(epochs):
            for s in range(10):
                rows.add(e * 10 + s, e, "train_loss", run_no * 10 + e)
            rows.add(e * 10 + 9, e, "val_loss", run_no * 100 + e)
    run = rows.run("test", "inline")
    assert run.series("loss", "val")["value"].tolist() == [100, 101, 102, 103, 104, 105]
    train = run.series("loss", "train")["value"]
    assert len(train) == 60 and set(train) == {10, 11, 12, 13, 14, 15}


def test_detectron2_and_a_csv_choose_the_same_run(tmp_path):
    # the same three appended runs (6, 5 and 2 points, the counter going back each time) as Detectron2
    # records and as a plain CSV: both keep the second run
    runs = [[3.0 - 0.1 * i for i in range(6)], [2.0 - 0.1 * i for i in range(5)], [9.0, 8.0]]
    json_path = tmp_path / "metrics.json"
    json_path.write_text("".join(json.dumps({"iteration": 19 + 20 * i, "total_loss": v}) + "\n"
                                 for values in runs for i, v in enumerate(values)))
    csv_path = tmp_path / "log.csv"
    csv_path.write_text("step,loss\n" + "".join(f"{19 + 20 * i},{v}\n" for values in runs
                                                for i, v in enumerate(values)))
    for run in (detectron2.read(json_path), generic_csv.read(csv_path)):
        assert run.series("loss", "train")["value"].tolist() == pytest.approx(runs[1])
        assert any("aborted" in n for n in run.notes)


def test_a_value_logged_once_does_not_make_the_last_run_look_aborted():
    # two appended runs of 6 and 5 epochs; the second logs a final score once at its end. That series has
    # one point and no restart: it measures no run, so the second run (5 points) is complete and is kept
    rows = Rows()
    for run_no, epochs in ((1, 6), (2, 5)):
        for e in range(epochs):
            rows.add(e, e, "train_loss", run_no * 10 + e)
    rows.add(4, 4, "val_f1", 0.9)
    run = rows.run("test", "inline")
    assert run.series("loss", "train")["value"].tolist() == [20, 21, 22, 23, 24]
    assert run.series("f1", "val")["value"].tolist() == [0.9]
