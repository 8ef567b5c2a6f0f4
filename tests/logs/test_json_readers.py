"""Detectron2 metrics.json, MMEngine/MMCV JSON logs and plain JSON lines, on tiny hand-written files."""

from __future__ import annotations

import json

import pytest

from insight.errors import LogError
from insight.logs import detect, detectron2, jsonl, mmengine


def lines(tmp_path, name, records):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


def series(run, name, split):
    s = run.series(name, split)
    return list(zip(s["step"], s["value"]))


def d2(it, total, **more):
    return {"iteration": it, "total_loss": total, "loss_cls": total / 2, "loss_box_reg": total / 4,
            "lr": 0.01, "time": 0.3, **more}


# ---- Detectron2 ---------------------------------------------------------------------------------------

def test_detectron2_train_and_eval_rows(tmp_path):
    path = lines(tmp_path, "output/metrics.json", [
        d2(19, 2.0), d2(39, 1.6),
        d2(59, 1.2, **{"bbox/AP": 10.5, "bbox/AP50": 25.0, "segm/AP": 8.0, "bbox/AP-n/a": float("nan")})])
    assert detect(path)[0] is detectron2
    run = detectron2.read(path)
    assert series(run, "loss", "train") == [(19, 2.0), (39, 1.6), (59, 1.2)]
    assert series(run, "loss_cls", "train") == [(19, 1.0), (39, 0.8), (59, 0.6)]
    assert series(run, "loss_box_reg", "train")[0] == (19, 0.5)  # Detectron2's own name is kept
    # Detectron2 AP is in percent: 10.5 % -> 0.105
    assert series(run, "mAP50_95", "val") == [(59, pytest.approx(0.105))]
    assert series(run, "mAP50", "val") == [(59, 0.25)]
    assert series(run, "mask_mAP50_95", "val") == [(59, 0.08)]
    assert run.series("bbox/AP-n/a", "val")["value"].isna().all()
    assert run.metrics["epoch"].isna().all()  # Detectron2 counts iterations, not epochs
    assert run.notes == ()


def test_detectron2_restarts_keep_the_last_complete_segment(tmp_path):
    first = [d2(i, 3.0 - i / 100) for i in (19, 39, 59, 79, 99, 119)]  # 6 rows, then a restart
    second = [d2(i, 2.0 - i / 100) for i in (19, 39, 59, 79, 99)]  # 5 rows: complete
    aborted = [d2(i, 9.0) for i in (19, 39)]  # 2 rows: an aborted start
    path = lines(tmp_path, "metrics.json", first + second + aborted)
    run = detectron2.read(path)
    assert series(run, "loss", "train") == [(i, 2.0 - i / 100) for i in (19, 39, 59, 79, 99)]
    (note,) = run.notes
    assert "3 runs appended" in note and "lines 7, 12" in note
    assert "lines 7-11 (iterations 19-99, 5 rows)" in note and "aborted" in note


def test_detectron2_same_iteration_logged_again_is_a_restart_but_an_eval_row_is_not(tmp_path):
    path = lines(tmp_path, "metrics.json", [d2(19, 5.0)] + [d2(i, 1.0) for i in (19, 39, 59, 79, 99)]
                 + [{"iteration": 99, "bbox/AP": 50.0}])
    run = detectron2.read(path)
    assert series(run, "loss", "train")[0] == (19, 1.0)
    assert series(run, "mAP50_95", "val") == [(99, 0.5)]


def test_detectron2_resume_continues_the_segment_before(tmp_path):
    before = [d2(i, 3.0 - i / 1000) for i in range(19, 240, 20)]  # 19 .. 239, crashed after checkpoint 199
    resumed = [d2(i, 2.0 - i / 1000) for i in range(219, 400, 20)]  # resumed from iteration 200
    run = detectron2.read(lines(tmp_path, "metrics.json", before + resumed))
    steps = [s for s, _ in series(run, "loss", "train")]
    assert steps == list(range(19, 400, 20))
    assert dict(series(run, "loss", "train"))[199] == pytest.approx(3.0 - 0.199)  # from the first segment
    assert dict(series(run, "loss", "train"))[219] == pytest.approx(2.0 - 0.219)  # from the resumed one
    assert "resumes from a checkpoint" in run.notes[0]


def test_detectron2_bad_line_names_file_and_line(tmp_path):
    path = lines(tmp_path, "metrics.json", [d2(19, 1.0), '{"iteration": 39, "total_loss": ', d2(59, 1.0)])
    with pytest.raises(LogError) as err:
        detectron2.read(path)
    assert str(err.value).startswith(f"{path}:2: not a JSON object")


# ---- MMEngine / MMCV ----------------------------------------------------------------------------------

def test_mmengine_vis_data_val_step_is_the_epoch(tmp_path):
    path = lines(tmp_path, "20240101_000000/vis_data/scalars.json", [
        {"lr": 0.1, "data_time": 0.01, "loss": 2.5, "loss_cls": 1.5, "time": 0.2, "epoch": 1, "iter": 10, "step": 10},
        {"lr": 0.1, "data_time": 0.01, "loss": 2.0, "loss_cls": 1.2, "time": 0.2, "epoch": 1, "iter": 20, "step": 20},
        {"accuracy/top1": 40.0, "data_time": 0.01, "time": 0.1, "step": 1},
        {"lr": 0.1, "data_time": 0.01, "loss": 1.5, "loss_cls": 1.0, "time": 0.2, "epoch": 2, "iter": 30, "step": 30},
        {"accuracy/top1": 55.0, "data_time": 0.01, "time": 0.1, "step": 2}])
    assert detect(path)[0] is mmengine
    run = mmengine.read(path)
    assert series(run, "loss", "train") == [(10, 2.5), (20, 2.0), (30, 1.5)]
    assert series(run, "loss_cls", "train")[-1] == (30, 1.0)
    val = run.series("accuracy", "val")
    # val rows sit at the last train step of their epoch; percent becomes 0..1
    assert list(zip(val["step"], val["epoch"], val["value"])) == [(20, 1.0, 0.40), (30, 2.0, 0.55)]


def test_mmcv_log_json_iter_within_epoch_and_val_rows(tmp_path):
    path = lines(tmp_path, "20200408_174207.log.json", [
        {"env_info": "sys.platform: linux", "seed": 0},
        {"mode": "train", "epoch": 1, "iter": 50, "lr": 0.02, "memory": 100, "loss_cls": 1.0, "loss": 1.5},
        {"mode": "train", "epoch": 1, "iter": 100, "lr": 0.02, "memory": 100, "loss_cls": 0.8, "loss": 1.2},
        {"mode": "val", "epoch": 1, "iter": 500, "lr": 0.02, "bbox_mAP": 0.25, "bbox_mAP_50": 0.5},
        {"mode": "train", "epoch": 2, "iter": 50, "lr": 0.01, "memory": 100, "loss_cls": 0.6, "loss": 1.0}])
    run = mmengine.read(path)
    # epoch 2's iter 50 is global step 100 + 50
    assert series(run, "loss", "train") == [(50, 1.5), (100, 1.2), (150, 1.0)]
    assert series(run, "mAP50_95", "val") == [(100, 0.25)]
    assert series(run, "mAP50", "val") == [(100, 0.5)]
    assert run.series("lr", "val").empty  # the lr copied into val rows is not a val measurement
    assert list(run.series("lr", "train")["value"]) == [0.02, 0.02, 0.01]
    assert any("without a mode" in n for n in run.notes)


def test_mmcv_log_without_losses_loads(tmp_path):
    path = lines(tmp_path, "x.log.json", [{"mode": "train", "epoch": 1, "iter": i, "lr": 0.02, "time": 0.1,
                                           "momentum": 0.9} for i in (1, 2, 3)])
    run = mmengine.read(path)
    assert not any("loss" in n for n in run.names)
    assert series(run, "lr", "train") == [(1, 0.02), (2, 0.02), (3, 0.02)]


# ---- plain JSON lines ---------------------------------------------------------------------------------

def test_jsonl_with_epoch_split_key_and_nested_objects(tmp_path):
    path = lines(tmp_path, "log.jsonl", [
        {"epoch": 1, "step": 100, "train_loss": 0.9, "val_loss": 1.0, "val_acc": 0.5},
        {"epoch": 2, "step": 200, "split": "val", "loss": 0.8, "mAP50": 0.25},
        {"epoch": 3, "step": 300, "train": {"loss": 0.5}, "val": {"loss": 0.75}}])
    assert detect(path)[0] is jsonl
    run = jsonl.read(path)
    loss = run.series("loss", "val")
    assert list(zip(loss["step"], loss["epoch"], loss["value"])) == [(100, 1.0, 1.0), (200, 2.0, 0.8),
                                                                   (300, 3.0, 0.75)]
    assert series(run, "loss", "train") == [(100, 0.9), (300, 0.5)]
    assert series(run, "accuracy", "val") == [(100, 0.5)]
    assert series(run, "mAP50", "val") == [(200, 0.25)]


def test_jsonl_without_step_uses_line_index(tmp_path):
    run = jsonl.read(lines(tmp_path, "log.jsonl", [{"loss": 1.0}, {"loss": 0.5}]))
    assert series(run, "loss", "train") == [(0, 1.0), (1, 0.5)]
    assert run.notes == ("no step key: each line's index was used as its step",)


def test_jsonl_bad_line(tmp_path):
    path = lines(tmp_path, "log.jsonl", [{"epoch": 1, "loss": 1.0}, "[1, 2]"])
    with pytest.raises(LogError, match=r"log.jsonl:2: expected a JSON object per line, got list"):
        jsonl.read(path)


def test_mmengine_non_numeric_step_names_the_line(tmp_path):
    path = lines(tmp_path, "vis_data/scalars.json", [{"lr": 0.1, "loss": 1.0, "epoch": 1, "step": 10},
                                                    {"lr": 0.1, "loss": 0.9, "epoch": 1, "step": "x"}])
    with pytest.raises(LogError, match=r"scalars.json:2: step 'x' is not a number"):
        mmengine.read(path)
