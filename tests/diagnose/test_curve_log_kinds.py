"""Kinds of log seen in the public corpus, each written by hand in its framework's own layout, read by the
real reader and diagnosed: validation switched off, stale validation, a rising component inside a falling
total, appended and resumed runs, Lightning's extra rows, a degenerate run. Expected values are worked out
in the comments (statistics, plain Python, the independent smoother and noise measure in curve_runs.py)."""

from __future__ import annotations

import pytest

from insight.diagnose.curves import diagnose_run
from insight.diagnose.epochs import per_epoch
from insight.logs import generic_csv, lightning_csv, load_run, ultralytics_csv
from tests.diagnose.curve_runs import noise_by_hand, run_of, smooth_by_hand

HEADER = "epoch,train/box_loss,train/cls_loss,metrics/mAP50(B),val/box_loss,val/cls_loss,lr/pg0"


def codes(d):
    return [f.code for f in d.findings]


def found(d, code):
    return next(f for f in d.findings if f.code == code)


def ultralytics(tmp_path, rows: list[tuple], name="results.csv"):
    path = tmp_path / name
    path.write_text(HEADER + "\n" + "".join(",".join(f"{v:g}" for v in row) + "\n" for row in rows))
    return ultralytics_csv.read(path)


# -- validation switched off --------------------------------------------------------------------------------

def test_val_zero_until_the_last_epoch_is_not_measured_and_not_judged(tmp_path):
    # 8 epochs, train (box + cls) 6, 5, 4.4, 4, 3.7, 3.5, 3.35, 3.25; every val column and mAP is exactly 0
    # in epochs 1-7 (validation off) and real at epoch 8 (val sum 1.0). Read as values, val would be 0 then
    # 1.0: far below train (val_below_train) and a rise from 0. The reader leaves epochs 1-7 out; one val
    # point is fewer than the 5 a trend needs -> judged on train only, which falls and levels: A, with
    # missing_loss naming the one epoch validation ran.
    train = [6, 5, 4.4, 4, 3.7, 3.5, 3.35, 3.25]
    rows = [(e, t / 2, t / 2, 0, 0, 0, 0.01) for e, t in enumerate(train[:-1], start=1)]
    rows.append((8, train[-1] / 2, train[-1] / 2, 0.3, 0.4, 0.6, 0.01))
    d = diagnose_run(ultralytics(tmp_path, rows))
    assert d.scenario == "A" and d.judged_on == "train"
    assert "val_below_train" not in codes(d)
    missing = found(d, "missing_loss")
    assert missing.values["missing"] == ["val"] and missing.values["val_points"] == 1
    assert missing.values["val_x"] == [8.0]
    assert any("validation did not run in epochs 1-7" in n for n in d.notes)


# -- stale validation -----------------------------------------------------------------------------------------

def test_repeated_val_rows_are_not_measurements_for_trends_and_noise(tmp_path):
    # validation refreshed at epochs 1, 2, 3, 5, 7, 10, 14, 18, 22, 26, 30, 34 (12 of 36) and carried forward
    # unchanged in between, as Ultralytics writes it. The val curve the diagnosis reads holds the 12 new
    # values only; its noise is the noise of those 12 (noise_by_hand), not of 36 points of which most sit
    # exactly on their neighbour (which would read as no noise at all).
    ran = [1, 2, 3, 5, 7, 10, 14, 18, 22, 26, 30, 34]
    fresh = [3.0, 2.7, 2.55, 2.4, 2.32, 2.2, 2.16, 2.05, 2.02, 1.97, 1.95, 1.9]
    fresh = [v * (1.02 if i % 2 else 0.98) for i, v in enumerate(fresh)]
    rows, current = [], None
    for e in range(1, 37):
        if e in ran:
            current = fresh[ran.index(e)]
        train = 4.0 * 0.97 ** e
        rows.append((e, train / 2, train / 2, 0.5, current * 0.4, current * 0.6, 0.01))
    run = ultralytics(tmp_path, rows)
    table = per_epoch(run)
    assert table.totals["val"].x.tolist() == [float(e) for e in ran]
    assert table.totals["val"].y.tolist() == pytest.approx(fresh)
    d = diagnose_run(run)
    measured = noise_by_hand(fresh)  # the +-2 % zigzag of the fresh values, about 6.3 % point to point
    assert d.rule_finding.code == "converged"
    assert d.rule_finding.values["noise_pct"] == pytest.approx(100 * measured)
    assert found(d, "noisy_val").values["val_jitter_pct"] == pytest.approx(100 * measured)
    assert any("only the 12 epochs where it ran keep val values" in n for n in d.notes)


# -- a rising component inside a falling total ----------------------------------------------------------------

def test_a_val_component_rising_while_the_val_sum_falls_is_component_imbalance_not_c():
    # 20 epochs. val box 2.0 x 0.95^i falls to 0.754; val cls falls to 0.5 at epoch 5, then rises 3 % of 0.5
    # an epoch to 0.725 (+45 %). The sum still falls every epoch (box loses about 0.04 to 0.1 an epoch, cls
    # gains 0.015), so the total's best is its last epoch: no C rule fires on the total, and the scenario is A.
    # The rising cls is reported as component_imbalance, with its raw best 0.5 at epoch 5 (what the metrics
    # table shows) and the smoothed low its GL is measured from.
    box = [2.0 * 0.95 ** i for i in range(20)]
    cls = [1.0, 0.8, 0.65, 0.55, 0.5] + [0.5 * (1 + 0.03 * k) for k in range(1, 16)]
    total = [b + c for b, c in zip(box, cls)]
    assert all(b < a for a, b in zip(total, total[1:]))
    train_box = [2.2 * 0.94 ** i for i in range(20)]
    train_cls = [1.1 * 0.93 ** i for i in range(20)]
    d = diagnose_run(run_of({"train/box_loss": train_box, "train/cls_loss": train_cls,
                             "val/box_loss": box, "val/cls_loss": cls}))
    assert d.scenario == "A"
    f = found(d, "component_imbalance")
    assert f.values["split"] == "val" and f.values["name"] == "cls_loss" and f.values["others"] == ["box_loss"]
    assert (f.values["best"], f.values["best_x"]) == (0.5, 5) and f.epoch == 5
    assert f.values["smoothed_best"] == pytest.approx(min(smooth_by_hand(cls)))


# -- appended and resumed runs --------------------------------------------------------------------------------

def test_runs_appended_in_one_results_csv_keep_only_the_last(tmp_path):
    # a first run of 6 epochs, then a second of 5 appended to the same file (the epoch counter goes from 6
    # back to 1): only the second run's values are kept, and a note says so (6 rows x 6 values left out)
    first = [(e, 2.0 - 0.1 * e, 1.0, 0.1 * e, 1.9 - 0.1 * e, 1.1, 0.01) for e in range(1, 7)]
    second = [(e, 3.0 - 0.2 * e, 1.5, 0.05 * e, 2.8 - 0.2 * e, 1.4, 0.01) for e in range(1, 6)]
    run = ultralytics(tmp_path, first + second)
    s = run.series("box_loss", "train")
    assert s["epoch"].tolist() == [1, 2, 3, 4, 5]
    assert s["value"].tolist() == pytest.approx([3.0 - 0.2 * e for e in range(1, 6)])
    note = next(n for n in run.notes if "runs one after another" in n)
    assert "2 runs" in note and "epoch 6 back to 1" in note and "36 value(s)" in note


def test_keras_csvlogger_appended_runs_keep_only_the_last(tmp_path):
    # CSVLogger(append=True) run twice: epochs 0-2, then 0-3 with a new header-less block
    path = tmp_path / "training.log"
    path.write_text("epoch,loss,val_loss\n0,1.0,1.1\n1,0.8,0.9\n2,0.7,0.85\n"
                    "0,0.9,0.95\n1,0.6,0.7\n2,0.5,0.6\n3,0.45,0.55\n")
    run = generic_csv.read(path)
    assert run.series("loss", "train")["value"].tolist() == [0.9, 0.6, 0.5, 0.45]
    assert run.series("loss", "val")["value"].tolist() == [0.95, 0.7, 0.6, 0.55]
    assert any("2 runs one after another" in n for n in run.notes)


def test_a_resume_whose_count_carries_on_is_one_run_with_a_note(tmp_path):
    # lr falls every epoch (0.01 - 0.001 e) but repeats at epoch 5 (the schedule restored from a checkpoint)
    # while train jumps from 3.0 to 3.3: a resume. The epochs carry on, so the run is judged as one, and the
    # note names the epoch and the jump.
    train = [5.0, 4.2, 3.6, 3.0, 3.3, 2.9, 2.6, 2.4]
    lr = [0.01 - 0.001 * e for e in range(1, 9)]
    lr[4] = lr[3]
    rows = [(e, t / 2, t / 2, 0.1 * e, t / 2 + 0.1, t / 2 + 0.1, r)
            for e, t, r in zip(range(1, 9), train, lr)]
    d = diagnose_run(ultralytics(tmp_path, rows))
    note = next(n for n in d.notes if n.startswith("resumed at epoch 5"))
    assert "repeats epoch 4's" in note and "from 3 to 3.3" in note and "judged as one run" in note
    assert len(d.table[d.table["split"] == "train"]["x"].unique()) == 8


def test_a_constant_learning_rate_is_no_resume(tmp_path):
    train = [5.0, 4.2, 3.6, 3.0, 3.3, 2.9, 2.6, 2.4]
    rows = [(e, t / 2, t / 2, 0.1 * e, t / 2 + 0.1, t / 2 + 0.1, 0.01) for e, t in zip(range(1, 9), train)]
    assert not any(n.startswith("resumed") for n in diagnose_run(ultralytics(tmp_path, rows)).notes)


# -- Lightning: sparse train rows, val first at a step, an extra val row and a test row -----------------------

LIGHTNING = """\
epoch,step,test_loss,train_loss,val_loss
0,1,,0.9,
0,3,,0.5,
0,4,,,0.6
0,4,,0.4,
1,5,,0.35,
1,7,,0.25,
1,9,,,0.45
1,9,,0.3,
2,11,,0.2,
2,13,,0.2,
2,14,,,0.4
2,14,,0.14,
3,15,,0.18,
3,17,,0.1,
3,19,,,0.38
3,19,,0.08,
4,21,,0.12,
4,23,,0.06,
4,24,,,0.36
4,24,,0.03,
5,25,,,0.2
5,25,0.41,,
"""


def test_lightning_rows_in_any_order_and_the_rows_after_training_are_left_out(tmp_path):
    # train logged three times an epoch, the epoch-end val row written before the last train row of its
    # step; after training, trainer.validate() logs val_loss 0.2 at epoch 5 and trainer.test() a test_loss.
    # Train per epoch (the mean of its three values): 0.6, 0.3, 0.18, 0.12, 0.07; val 0.6, 0.45, 0.4, 0.38,
    # 0.36 at epochs 0-4. The epoch-5 val value and the test value are in no curve; each has its note.
    folder = tmp_path / "lightning_logs" / "version_0"
    folder.mkdir(parents=True)
    (folder / "metrics.csv").write_text(LIGHTNING)
    run = lightning_csv.read(folder / "metrics.csv")
    d = diagnose_run(run)
    table = per_epoch(run)
    assert table.totals["train"].y.tolist() == pytest.approx([0.6, 0.3, 0.18, 0.12, 0.07])
    assert table.totals["val"].x.tolist() == [0, 1, 2, 3, 4]
    assert table.totals["val"].y.tolist() == pytest.approx([0.6, 0.45, 0.4, 0.38, 0.36])
    assert any("test-set value" in n and "test_loss" in n for n in d.notes)
    assert any("after training ended (epoch 5" in n and "val_loss 0.2" in n for n in d.notes)
    val = next(m for m in d.metrics if m.name == "loss" and m.split == "val")
    assert (val.best, val.best_epoch) == (0.36, 4)  # not the 0.2 of the evaluation after training


def test_load_run_finds_the_lightning_folder(tmp_path):
    folder = tmp_path / "lightning_logs" / "version_0"
    folder.mkdir(parents=True)
    (folder / "metrics.csv").write_text(LIGHTNING)
    assert load_run(tmp_path).format == "lightning-csv"


# -- a degenerate run -----------------------------------------------------------------------------------------

def test_every_metric_zero_with_loss_parts_zero_throughout_is_a_loud_finding(tmp_path):
    # box loss 0 at every epoch (train and val), mAP 0 at every epoch; only cls moves (it falls 15 -> 11):
    # the loss curves read like A (both fall steadily, val by 0.2 an epoch more than train), but the run
    # learned nothing -> no scenario: degenerate_run, an error, decides it as "cannot judge" and says what the
    # losses alone read as (A, never shown as the verdict); the zero parts' note does not blame a
    # single-class run
    cls = [15, 14, 13.3, 12.8, 12.4, 12.1, 11.9, 11.7, 11.6]
    rows = [(e, 0, c, 0, 0, c + 8 - 0.2 * e, 0.01) for e, c in enumerate(cls, start=1)]
    d = diagnose_run(ultralytics(tmp_path, rows))
    f = found(d, "degenerate_run")
    assert f.severity.value == "error" and d.findings[0].code == "degenerate_run"
    assert d.scenario is None and d.rule_finding.code == "degenerate_run"
    assert (f.values["losses_read_as"], f.values["losses_rule"]) == ("A", "converged")
    assert f.values["metrics"] == ["mAP50"] and f.values["zero"] == ["train/box_loss", "val/box_loss"]
    assert f.values["moving"] == ["train/cls_loss", "val/cls_loss"] and f.values["points"] == 9
    assert "metric_near_zero" not in codes(d)
    assert not any("single-class" in n for n in d.notes)


def test_all_metrics_zero_with_every_loss_part_moving_is_only_near_zero(tmp_path):
    # mAP 0 at every epoch, but box and cls both move: metric_near_zero (a warning), no degenerate_run
    rows = [(e, 3 - 0.2 * e, 2 - 0.1 * e, 0, 3.1 - 0.2 * e, 2.1 - 0.1 * e, 0.01) for e in range(1, 10)]
    d = diagnose_run(ultralytics(tmp_path, rows))
    assert "degenerate_run" not in codes(d) and found(d, "metric_near_zero").severity.value == "warning"


def test_a_run_stopped_in_its_first_epoch_and_started_again_keeps_the_second(tmp_path):
    # a plain CSV logged once per epoch whose epoch 1 appears twice: first a stray row (loss 48.7, a run
    # stopped after one epoch), then the real epoch 1 (0.44). Epoch 1 read again right after itself, in a
    # series that holds one value per epoch, starts the run again: the stray row is left out, not averaged
    # into epoch 1 ((48.7 + 0.44) / 2 = 24.6 would be a huge first point).
    path = tmp_path / "train_log.csv"
    path.write_text("epoch,loss\n1,48.7\n1,0.44\n2,0.23\n3,0.16\n4,0.12\n5,0.10\n")
    run = generic_csv.read(path)
    assert run.series("loss", "train")["value"].tolist() == [0.44, 0.23, 0.16, 0.12, 0.10]
    assert any("2 runs one after another" in n and "epoch 1 to epoch 1 again" in n for n in run.notes)


def test_lightning_step_values_counted_per_dataloader_are_no_restart(tmp_path):
    # Lightning logs val_loss_step on the validation loop's own step (0-1 in epoch 0, 2-3 in epoch 1) and
    # val_loss_epoch at the training step: the per-step series is left out for the per-epoch one first, so
    # its low step numbers never read as a counter going back
    folder = tmp_path / "lightning_logs" / "version_0"
    folder.mkdir(parents=True)
    (folder / "metrics.csv").write_text(
        "step,epoch,train_loss,val_loss_step,val_loss_epoch\n"
        "9,0,0.9,,\n0,,,0.85,\n1,,,0.83,\n9,0,,,0.84\n"
        "19,1,0.6,,\n2,,,0.7,\n3,,,0.66,\n19,1,,,0.68\n")
    run = lightning_csv.read(folder / "metrics.csv")
    assert not any("runs one after another" in n for n in run.notes)
    assert run.series("loss", "val")["value"].tolist() == [0.84, 0.68]


def test_a_point_read_out_of_order_is_no_restart():
    # values read in the order steps 0, 2, 1, 3 (a reader ordering by a skewed timestamp): step 1 goes
    # back but was never logged before, so it is no new run; steps 0-3, then 0-1 again, are two runs
    from insight.logs.table import Rows

    rows = Rows()
    for step, value in [(0, 1.0), (2, 0.6), (1, 0.8), (3, 0.5)]:
        rows.add(step, None, "train_loss", value)
    run = rows.run("test", "inline")
    assert sorted(run.series("loss", "train")["step"]) == [0, 1, 2, 3]
    assert not any("runs one after another" in n for n in run.notes)
    rows = Rows()
    for step, value in [(0, 1.0), (1, 0.8), (2, 0.6), (3, 0.5), (0, 0.9), (1, 0.7)]:
        rows.add(step, None, "train_loss", value)
    run = rows.run("test", "inline")
    assert run.series("loss", "train")["value"].tolist() == [0.9, 0.7]
    assert any("2 runs one after another" in n and "step 3 back to 0" in n for n in run.notes)
