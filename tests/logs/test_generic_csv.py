"""Keras CSVLogger, pandas history dumps, plain CSVs and Keras history.json, on tiny hand-written logs."""

from __future__ import annotations

import json

import pytest

from insight.errors import LogError
from insight.logs import detect, generic_csv, lightning_csv


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def values(run, name, split):
    s = run.series(name, split)
    return dict(zip(s["epoch"], s["value"]))


def test_keras_csvlogger(tmp_path):
    path = write(tmp_path, "training.log",
                 "epoch,accuracy,dice_coef,loss,lr,mean_io_u_5,precision,val_accuracy,val_dice_coef,val_loss,"
                 "val_mean_io_u_5,val_precision\n"
                 "0,0.98,0.33,0.056,0.001,0.76,0.989,0.985,0.38,0.0546,0.816,0.9893\n"
                 "1,0.99,0.37,0.043,0.001,0.79,0.991,0.986,0.38,0.0453,0.821,0.9907\n")
    assert detect(path)[0] is generic_csv
    run = generic_csv.read(path)
    assert values(run, "loss", "train") == {0.0: 0.056, 1.0: 0.043}
    assert values(run, "loss", "val") == {0.0: 0.0546, 1.0: 0.0453}
    # unprefixed Keras metrics are train metrics, even precision (which alone would default to val)
    assert values(run, "precision", "train") == {0.0: 0.989, 1.0: 0.991}
    assert values(run, "precision", "val") == {0.0: 0.9893, 1.0: 0.9907}
    assert values(run, "iou", "val") == {0.0: 0.816, 1.0: 0.821}
    assert values(run, "dice", "train") == {0.0: 0.33, 1.0: 0.37}
    assert values(run, "lr", "train") == {0.0: 0.001, 1.0: 0.001}
    assert len(run.metrics) == 2 * 11


def test_pandas_history_with_unnamed_index(tmp_path):
    path = write(tmp_path, "history.csv", ",loss,accuracy,val_loss,val_accuracy\n0,2.17,0.40,2.87,0.26\n"
                                          "1,2.14,0.41,2.89,0.25\n2,2.09,0.43,3.03,0.23\n")
    run = generic_csv.read(path)
    assert values(run, "loss", "val") == {0.0: 2.87, 1.0: 2.89, 2.0: 3.03}
    assert values(run, "accuracy", "train")[2.0] == 0.43
    assert any("pandas index" in n for n in run.notes)


def test_plain_csv_whose_columns_say_split_and_metric(tmp_path):
    path = write(tmp_path, "log.csv", "Epoch,Train Loss,Val Loss,Val mAP50,Train Acc\n1,0.9,1.0,0.2,0.5\n"
                                      "2,0.7,0.8,0.3,0.6\n")
    run = generic_csv.read(path)
    assert values(run, "loss", "train") == {1.0: 0.9, 2.0: 0.7}
    assert values(run, "loss", "val") == {1.0: 1.0, 2.0: 0.8}
    assert values(run, "mAP50", "val") == {1.0: 0.2, 2.0: 0.3}
    assert values(run, "accuracy", "train") == {1.0: 0.5, 2.0: 0.6}


def test_percent_metrics_become_fractions(tmp_path):
    path = write(tmp_path, "log.csv", "epoch,loss,val_loss,val_acc\n0,1,1,45.5\n1,0.5,0.8,60\n")
    run = generic_csv.read(path)
    assert values(run, "accuracy", "val") == {0.0: 0.455, 1.0: 0.6}
    assert any("percent" in n for n in run.notes)


def test_keras_history_json_column_oriented_and_lists(tmp_path):
    data = {"loss": {"0": 2.0, "1": 1.5}, "val_loss": {"0": 2.5, "1": 2.4}, "accuracy": {"0": 0.3, "1": 0.4}}
    path = write(tmp_path, "history.json", json.dumps(data))
    assert detect(path)[0] is generic_csv
    run = generic_csv.read(path)
    assert values(run, "loss", "val") == {0.0: 2.5, 1.0: 2.4}
    assert values(run, "accuracy", "train") == {0.0: 0.3, 1.0: 0.4}
    lists = write(tmp_path, "h2.json", json.dumps({"loss": [3.0, 2.0, 1.0], "val_loss": [3.5, 2.5, 2.0]}))
    assert values(generic_csv.read(lists), "loss", "train") == {0.0: 3.0, 1.0: 2.0, 2.0: 1.0}


def test_header_without_recognised_column_is_refused(tmp_path):
    path = write(tmp_path, "ann.csv", "image_name,dog,cat\na.jpg,1,0\n")
    assert generic_csv.detect(path).confidence == 0
    with pytest.raises(LogError) as err:
        generic_csv.read(path)
    assert str(err.value).startswith(f"{path}:1: header has no recognised metric column")


def test_unreadable_and_empty_files(tmp_path):
    empty = write(tmp_path, "empty.csv", "")
    with pytest.raises(LogError, match="empty.csv: empty file"):
        generic_csv.read(empty)
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"epoch,loss\n\xff\xfe\x00\x01")
    with pytest.raises(LogError, match="bin.csv: not a text file"):
        generic_csv.read(binary)
    bad_epoch = write(tmp_path, "bad.csv", "epoch,loss\n0,1\none,2\n")
    with pytest.raises(LogError, match=r"bad.csv:3: epoch 'one' is not a number"):
        generic_csv.read(bad_epoch)


# ---- Lightning CSVLogger ----------------------------------------------------------------------------

LIGHTNING = """\
epoch,step,test_loss,train_loss,val_accuracy,val_loss
0,49,,0.63,,
0,99,,0.19,,
0,99,,,0.97,0.071
1,149,,0.31,,
1,199,,0.08,,
1,199,,,0.98,0.039
1,199,0.032,,,
"""


def test_lightning_interleaved_blank_cells(tmp_path):
    path = write(tmp_path, "metrics.csv", LIGHTNING)
    assert detect(path)[0] is lightning_csv
    run = lightning_csv.read(path)
    train = run.series("loss", "train")
    assert list(zip(train["step"], train["epoch"], train["value"])) == [
        (49, 0.0, 0.63), (99, 0.0, 0.19), (149, 1.0, 0.31), (199, 1.0, 0.08)]
    val = run.series("loss", "val")
    assert list(zip(val["step"], val["epoch"], val["value"])) == [(99, 0.0, 0.071), (199, 1.0, 0.039)]
    assert list(run.series("accuracy", "val")["value"]) == [0.97, 0.98]
    # 4 train + 2 val loss + 2 val accuracy values; blanks are not values; the test value is left out
    assert len(run.metrics) == 8
    assert run.notes == ("1 test-set value(s) left out of the train/val curves (test_loss)",)


def test_lightning_step_and_epoch_series_keep_the_epoch_means(tmp_path):
    path = write(tmp_path, "metrics.csv", "epoch,step,train_loss_step,train_loss_epoch,val_loss\n"
                                          "0,9,1.0,,\n0,19,0.8,,\n0,19,,0.9,0.95\n1,29,0.6,,\n1,39,0.5,,\n"
                                          "1,39,,0.55,0.7\n")
    run = lightning_csv.read(path)
    train = run.series("loss", "train")
    assert list(zip(train["step"], train["value"])) == [(19, 0.9), (39, 0.55)]
    assert any("per-step series" in n and "4 values" in n for n in run.notes)


def test_lightning_nan_values_are_kept(tmp_path):
    path = write(tmp_path, "metrics.csv", "step,epoch,train_disc_loss,train_gen_loss\n0,0,-1.3e+25,nan\n"
                                          "1,0,nan,nan\n")
    run = lightning_csv.read(path)
    disc = run.series("disc_loss", "train")["value"].tolist()
    assert disc[0] == -1.3e25 and disc[1] != disc[1]
    assert run.series("gen_loss", "train")["value"].isna().all()


def test_lightning_bad_step(tmp_path):
    path = write(tmp_path, "metrics.csv", "epoch,step,train_loss\n0,9,1.0\n0,,0.5\n")
    with pytest.raises(LogError, match=r"metrics.csv:3: step '' is not a number"):
        lightning_csv.read(path)


def test_duplicate_columns_and_blank_lines(tmp_path):
    path = write(tmp_path, "log.csv", "epoch,loss,loss,val_loss\n\n0,1,7,1\n\n1,0.9,7,1\nx,1,1,1\n")
    with pytest.raises(LogError, match=r"log.csv:6: epoch 'x' is not a number"):  # the file's own line number
        generic_csv.read(path)
    path.write_text("epoch,loss,loss,val_loss\n\n0,1,7,1\n\n1,0.9,7,1\n")
    run = generic_csv.read(path)
    assert values(run, "loss", "train") == {0.0: 1.0, 1.0: 0.9}  # the first 'loss' column
    assert run.notes == ("the header has duplicate column names ('loss' x2): only the first column of each was read",)


def test_short_rows_leave_blank_cells(tmp_path):
    path = write(tmp_path, "log.csv", "epoch,loss,val_loss\n0,1.0\n1,0.5,0.75\n")
    run = generic_csv.read(path)
    assert values(run, "loss", "val") == {1.0: 0.75}


def test_the_left_out_step_count_is_written_with_a_thousands_separator(tmp_path):
    # 2 epochs of 600 per-step rows each: 1,200 values left out (counted by hand), written as the report
    # writes every count (a real Lightning log read "5286 values")
    rows = ["epoch,step,train_loss_step,train_loss_epoch,val_loss"]
    for epoch in range(2):
        rows += [f"{epoch},{epoch * 600 + i},0.5," for i in range(600)]
        rows.append(f"{epoch},{epoch * 600 + 599},,0.5,0.6")
    run = lightning_csv.read(write(tmp_path, "metrics.csv", "\n".join(rows) + "\n"))
    assert any("per-step series (train_loss_step, 1,200 values)" in n for n in run.notes), run.notes
