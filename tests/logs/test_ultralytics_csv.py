"""Ultralytics results.csv on tiny hand-written logs; expected values are the cells written below."""

from __future__ import annotations

import math

import pytest

from insight.errors import LogError
from insight.logs import detect, ultralytics_csv
from insight.logs.names import normalise

YOLOV5 = """\
               epoch,      train/box_loss,      train/obj_loss,      train/cls_loss,   metrics/precision,      metrics/recall,     metrics/mAP_0.5,metrics/mAP_0.5:0.95,        val/box_loss,        val/obj_loss,        val/cls_loss,               x/lr0,               x/lr1,               x/lr2
                   0,            0.044359,            0.058406,            0.017296,             0.66347,              0.5581,             0.61848,             0.41228,            0.041406,            0.038171,            0.010942,              0.0937,              0.0007,              0.0007
                   1,            0.045127,                 inf,            0.015708,             0.75447,             0.60969,             0.71498,             0.47026,            0.040718,                 nan,           0.0096529,            0.086005,            0.001005,            0.001005
"""

V8_SEG = """\
epoch,time,train/box_loss,train/seg_loss,train/cls_loss,train/dfl_loss,metrics/precision(B),metrics/recall(B),metrics/mAP50(B),metrics/mAP50-95(B),metrics/precision(M),metrics/recall(M),metrics/mAP50(M),metrics/mAP50-95(M),val/box_loss,val/seg_loss,val/cls_loss,val/dfl_loss,lr/pg0,lr/pg1,lr/pg2
1,43.2,1.5,2.5,1.4,1.2,0.60,0.48,0.51,0.36,0.61,0.46,0.49,0.31,1.1,2.4,1.2,1.1,0.005,0.005,0.005
2,86.0,1.4,2.4,1.3,1.1,0.62,0.49,0.52,0.37,0.62,0.47,0.50,0.32,1.0,2.3,1.1,1.0,0.004,0.004,0.004
"""

CLASSIFY = """\
                  epoch,             train/loss,  metrics/accuracy_top1,  metrics/accuracy_top5,               val/loss,                 lr/pg0
                      1,                 1.1726,                0.77358,                      1,                 1.1014,             0.00023359
                      2,                 0.3397,                0.94717,                      1,                0.84484,             0.00044825
"""

# YOLOv10-style: no validation in epochs 1-2 (all val zero), then validation every 2 epochs with the
# values carried forward unchanged in between (epochs 4 and 6 repeat 3 and 5).
V10 = """\
epoch,train/box_om,train/box_oo,metrics/mAP50-95(B),val/box_om,val/box_oo,lr/pg0
1,3.0,3.1,0,0,0,0.003
2,2.5,2.6,0,0,0,0.003
3,2.0,2.1,0.10,1.9,2.0,0.003
4,1.8,1.9,0.10,1.9,2.0,0.003
5,1.7,1.8,0.15,1.7,1.8,0.003
6,1.6,1.7,0.15,1.7,1.8,0.003
"""


def write(tmp_path, text, name="results.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def values(run, name, split):
    s = run.series(name, split)
    return dict(zip(s["epoch"], s["value"]))


def test_yolov5_padded_header_epochs_from_zero_and_nonfinite_values(tmp_path):
    path = write(tmp_path, YOLOV5)
    module, found = detect(path)
    assert module is ultralytics_csv
    run = ultralytics_csv.read(path)
    assert values(run, "box_loss", "train") == {0.0: 0.044359, 1.0: 0.045127}
    assert values(run, "mAP50", "val") == {0.0: 0.61848, 1.0: 0.71498}
    assert values(run, "mAP50_95", "val")[1.0] == 0.47026
    assert values(run, "lr_pg0", "train")[0.0] == 0.0937
    assert math.isinf(values(run, "obj_loss", "train")[1.0])  # inf kept as a value
    assert math.isnan(values(run, "obj_loss", "val")[1.0])  # nan kept as a value
    # step is the row index, epoch the log's own numbering (0-based for YOLOv5)
    assert sorted(run.metrics["step"].unique()) == [0, 1]
    assert sorted(run.metrics["epoch"].unique()) == [0.0, 1.0]
    # 13 metric columns x 2 rows, nothing dropped
    assert len(run.metrics) == 26
    assert run.notes == ()


def test_v8_segment_mask_metrics_and_time_column(tmp_path):
    run = ultralytics_csv.read(write(tmp_path, V8_SEG))
    assert values(run, "mask_mAP50_95", "val") == {1.0: 0.31, 2.0: 0.32}
    assert values(run, "mAP50_95", "val") == {1.0: 0.36, 2.0: 0.37}
    assert values(run, "mask_precision", "val")[2.0] == 0.62
    assert values(run, "seg_loss", "train") == {1.0: 2.5, 2.0: 2.4}
    assert values(run, "dfl_loss", "val")[2.0] == 1.0
    assert "time" not in set(run.metrics["source"])  # wall-clock time is not a metric


def test_v8_segment_counts_every_metric_column(tmp_path):
    run = ultralytics_csv.read(write(tmp_path, V8_SEG))
    header = V8_SEG.splitlines()[0].split(",")
    metric_columns = [c for c in header if c not in ("epoch", "time")]
    assert len(metric_columns) == 19
    assert len(run.metrics) == 2 * 19


def test_classify_run(tmp_path):
    run = ultralytics_csv.read(write(tmp_path, CLASSIFY))
    assert values(run, "loss", "train") == {1.0: 1.1726, 2.0: 0.3397}
    assert values(run, "loss", "val") == {1.0: 1.1014, 2.0: 0.84484}
    assert values(run, "accuracy", "val") == {1.0: 0.77358, 2.0: 0.94717}
    assert values(run, "accuracy_top5", "val") == {1.0: 1.0, 2.0: 1.0}


def test_yolov10_skipped_and_stale_validation_left_out_with_notes(tmp_path):
    run = ultralytics_csv.read(write(tmp_path, V10))
    # validation ran in epochs 3 and 5 only
    assert values(run, "box_loss_om", "val") == {3.0: 1.9, 5.0: 1.7}
    assert values(run, "mAP50_95", "val") == {3.0: 0.10, 5.0: 0.15}
    # train values of every epoch are kept
    assert sorted(values(run, "box_loss_oo", "train")) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    zero, stale = run.notes
    assert "epochs 1-2" in zero and "exactly 0" in zero
    assert "2 epochs" in stale and "(3, 5)" in stale


def test_a_normal_run_loses_no_val_value(tmp_path):
    run = ultralytics_csv.read(write(tmp_path, V8_SEG))
    assert len(run.series("box_loss", "val")) == 2
    assert run.notes == ()


def test_columns_are_found_by_name_not_position(tmp_path):
    header = V8_SEG.splitlines()[0].split(",")
    rows = [line.split(",") for line in V8_SEG.splitlines()[1:]]
    order = list(reversed(range(len(header))))
    text = "\n".join(",".join(r[i] for i in order) for r in [header, *rows]) + "\n"
    run = ultralytics_csv.read(write(tmp_path, text))
    assert values(run, "mask_mAP50_95", "val") == {1.0: 0.31, 2.0: 0.32}
    assert values(run, "box_loss", "train") == {1.0: 1.5, 2.0: 1.4}


def test_bad_input_is_one_line_naming_the_file(tmp_path):
    path = write(tmp_path, "epoch,train/box_loss\n1,0.5\nx,0.4\n")
    with pytest.raises(LogError) as err:
        ultralytics_csv.read(path)
    assert str(err.value) == f"{path}:3: epoch 'x' is not a number"
    ragged = write(tmp_path, "epoch,train/box_loss\n1,0.5\n2,0.4,9,9\n", "ragged.csv")
    with pytest.raises(LogError, match=r"ragged.csv:3: not a well-formed CSV"):
        ultralytics_csv.read(ragged)
    unknown = write(tmp_path, "epoch,metrics/foo\n1,2\n", "unknown.csv")  # train/foo would be a loss
    with pytest.raises(LogError, match="no recognised column"):
        ultralytics_csv.read(unknown)


def test_detect_rejects_other_csvs(tmp_path):
    assert ultralytics_csv.detect(write(tmp_path, "epoch,loss,val_loss\n0,1,1\n", "keras.csv")).confidence == 0
    assert ultralytics_csv.detect(write(tmp_path, "epoch,step,train/loss\n0,1,1\n", "pl.csv")).confidence == 0
    assert normalise("metrics/mAP50(B)").split == "val"


# Every column under train/ or val/ that is not a metric is a loss component, whatever its name: the
# YOLOv10 heads (box_om, cls_oo, dfl_om), and a part no pattern knows (rle); metrics/ and lr/ keep theirs.
V10_HEADS = """\
epoch,train/box_om,train/cls_om,train/dfl_om,train/box_oo,train/cls_oo,train/dfl_oo,train/rle,metrics/mAP50-95(B),val/box_om,val/cls_om,val/dfl_om,val/box_oo,val/cls_oo,val/dfl_oo,val/rle,lr/pg0
1,1.0,2.0,1.5,1.1,2.1,1.6,0.5,0.10,0.9,1.9,1.4,1.0,2.0,1.5,0.4,0.003
2,0.8,1.6,1.3,0.9,1.7,1.4,0.4,0.20,0.8,1.7,1.3,0.9,1.8,1.4,0.3,0.002
"""


def test_every_train_and_val_column_that_is_not_a_metric_is_a_loss_component(tmp_path):
    from insight.diagnose.epochs import per_epoch

    run = ultralytics_csv.read(write(tmp_path, V10_HEADS))
    names = set(run.metrics["name"])
    assert {"box_loss_om", "cls_loss_om", "dfl_loss_om", "box_loss_oo", "cls_loss_oo", "dfl_loss_oo",
            "rle_loss"} <= names
    assert {"mAP50_95", "lr_pg0"} <= names and not any(n.endswith("_loss") and "mAP" in n for n in names)
    # no total is logged: the diagnosis sums the seven components of each split (cells above, by hand)
    table = per_epoch(run)
    assert table.totals["train"].y.tolist() == pytest.approx([1.0 + 2.0 + 1.5 + 1.1 + 2.1 + 1.6 + 0.5,
                                                              0.8 + 1.6 + 1.3 + 0.9 + 1.7 + 1.4 + 0.4])
    assert table.totals["val"].y.tolist() == pytest.approx([0.9 + 1.9 + 1.4 + 1.0 + 2.0 + 1.5 + 0.4,
                                                            0.8 + 1.7 + 1.3 + 0.9 + 1.8 + 1.4 + 0.3])


def test_outside_an_ultralytics_csv_an_unknown_name_stays_unknown():
    assert normalise("train/rle") == ("train", "rle", None, False)
    assert normalise("train/rle", None, ("train", "val")).name == "rle_loss"
    assert normalise("train/momentum", None, ("train", "val")).name == "momentum"
