"""Every real TensorBoard, Detectron2, MMEngine/MMCV and MLflow log under ../shared/realdata/logs_*.

Independent methods: event files are parsed here from their TFRecord framing with the protobuf classes
(not with the event reader the code uses); JSON lines with json; MLflow metric files as text.
Figures quoted from PROVENANCE.md are marked so.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from insight.errors import LogError
from insight.logs import detect, load_run
from tests.realdata import REALDATA, realdata

BOOKKEEPING_TAGS = {"time", "data_time", "eta_seconds", "rank_data_time", "epoch", "hp_metric"}


def raw_scalars(path: Path) -> list[tuple[str, int, float]]:
    """(tag, step, value) of every simple-value scalar, read record by record:
    uint64 length, uint32 crc, payload (an Event), uint32 crc."""
    from tensorboard.compat.proto import event_pb2

    data, pos, out = path.read_bytes(), 0, []
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from("<Q", data, pos)
        event = event_pb2.Event.FromString(data[pos + 12: pos + 12 + length])
        pos += 12 + length + 4
        out.extend((v.tag, event.step, v.simple_value) for v in event.summary.value if v.HasField("simple_value"))
    return out


def event_files() -> list[Path]:
    if not REALDATA.exists():
        return []
    return sorted(p for p in REALDATA.glob("logs_*/**/*") if "tfevents" in p.name)


@pytest.mark.parametrize("path", event_files(), ids=lambda p: str(p.relative_to(REALDATA)))
def test_every_event_file_loads_or_is_refused(path):
    pytest.importorskip("tensorboard")
    raw = raw_scalars(realdata(str(path.relative_to(REALDATA))))
    module, _ = detect(path)
    assert module.NAME == "tensorboard"
    if not raw:  # PROVENANCE: the DETR folder holds one 40-byte, header-only file
        assert path.stat().st_size == 40
        with pytest.raises(LogError) as err:
            module.read(path)
        assert str(err.value) == f"{path}: holds no scalar values (40 bytes: no summary was ever written); " \
                                 "expected scalars such as loss or val/loss"
        return
    run = module.read(path)
    expected, previous = {}, {}
    for tag, step, value in raw:  # the last value logged for a (tag, step) wins, except a repeat of the
        # step the tag just logged (an extra evaluation in the same process: the step's own value stays)
        again, previous[tag] = previous.get(tag) == step, step
        if again:
            continue
        if tag not in BOOKKEEPING_TAGS and not tag.lower().startswith("test"):
            # Detectron2's evaluators log AP in percent; the table holds every AP as 0..1
            expected[(tag, step)] = value / 100 if tag.startswith("bbox/AP") else value
    got = {(src, step): value for src, step, value in run.metrics[["source", "step", "value"]].itertuples(index=False)}
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-12, nan_ok=True), key


def test_yolov5_event_file_has_the_csv_values():
    # PROVENANCE: 13 scalar tags x 150 epochs; the TB steps are YOLOv5's epochs 0-149
    path = realdata("logs_ultralytics/yolov5_helmet_grafit-kil/runs/train/exp2")
    run = load_run(next(path.glob("events.out.tfevents.*")))
    assert len(run.metrics) == 1950
    m50 = run.series("mAP50", "val")
    assert m50["step"].tolist() == list(range(150))
    assert m50["value"].max() == pytest.approx(0.858, abs=5e-4)


def test_korawich_nested_folders_with_spaces():
    pytest.importorskip("tensorboard")
    root = realdata("logs_ultralytics/yolov5_korawichint/runs/train/exp5/tensor_data")
    run = load_run(root)
    assert run.format == "tensorboard"
    lr0 = raw_scalars(next((root / "Learning Rate" / "lr0").iterdir()))
    assert run.series("lr_pg0", "train")["value"].tolist() == [v for _, _, v in lr0]
    box = [v for t, _, v in raw_scalars(next(root.glob("events.out.tfevents.1725375148*")))
           if t == "Result/Box_Regression_Loss"]
    assert run.series("box_loss", "train")["value"].tolist() == box
    assert len(run.series("loss", "train")) == 100  # Result/Mean_of_Loss, 100 epochs (two hosts, same values)
    assert any("11 event files merged" in n for n in run.notes)


def test_lightning_tensorboard_run_folder():
    pytest.importorskip("tensorboard")
    root = realdata("logs_lightning/mnist_cnn_hcdescamps/lightning_logs/mnist_cnn/version_1")
    run = load_run(root)
    assert sorted(set(zip(run.metrics["split"], run.metrics["name"]))) == [
        ("train", "loss"), ("val", "accuracy"), ("val", "loss")]
    assert run.metrics["epoch"].notna().all()  # from the epoch scalar logged at the same steps
    assert any("test_accuracy" in n for n in run.notes)


# ---- Detectron2 ---------------------------------------------------------------------------------------

def raw_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def by_step(run, name, split="train"):
    s = run.series(name, split)
    return dict(zip(s["step"], s["value"]))


def test_detectron2_medical_waste():
    path = realdata("logs_detectron2/medical_waste_elbhnasy/output/metrics.json")
    raw = raw_lines(path)
    run = load_run(path)
    assert run.format == "detectron2"
    loss = by_step(run, "loss")
    assert loss == {r["iteration"]: r["total_loss"] for r in raw}
    assert len(loss) == 200 and max(loss) == 3999
    assert min(loss, key=loss.get) == 3799 and loss[3799] == pytest.approx(0.94, abs=5e-3)  # PROVENANCE
    box = by_step(run, "loss_box_reg")
    assert box == {r["iteration"]: r["loss_box_reg"] for r in raw}
    assert box[99] == pytest.approx(0.48, abs=5e-3) and box[579] == pytest.approx(0.85, abs=5e-3)
    assert by_step(run, "loss_rpn_cls") == {r["iteration"]: r["loss_rpn_cls"] for r in raw}
    assert run.series("loss", "val").empty  # training-only log


def test_detectron2_pothole_bump():
    path = realdata("logs_detectron2/pothole_aaryan004/output/metrics.json")
    raw = raw_lines(path)
    run = load_run(path)
    loss = by_step(run, "loss")
    assert loss == {r["iteration"]: r["total_loss"] for r in raw} and len(loss) == 90
    assert loss[19] == pytest.approx(86.5, abs=0.05)
    assert by_step(run, "loss_cls")[19] == pytest.approx(55.1, abs=0.05)
    assert max(loss[139], loss[159]) == pytest.approx(14.6, abs=0.05)  # PROVENANCE: second bump


def test_detectron2_balloon_repeated_first_row():
    path = realdata("logs_detectron2/balloon_kevindic0214/output/metrics.json")
    raw = raw_lines(path)
    assert [r["iteration"] for r in raw[:2]] == [19, 19] and len(raw) == 16
    run = load_run(path)
    loss = by_step(run, "loss")
    assert loss == {r["iteration"]: r["total_loss"] for r in raw[1:]}  # the second start is the run
    assert loss[299] == pytest.approx(0.35, abs=0.01)
    lr = by_step(run, "lr")
    assert lr[19] == pytest.approx(1.6e-5, rel=1e-2) and lr[299] == pytest.approx(2.5e-4, rel=1e-2)
    assert "2 runs appended" in run.notes[0]


def test_detectron2_detr_eight_appended_runs():
    path = realdata("logs_detectron2/detr_d2_citypersons_pr357/d2/output/metrics.json")
    raw = raw_lines(path)
    starts = [i for i in range(1, len(raw)) if raw[i]["iteration"] < raw[i - 1]["iteration"]]
    assert len(starts) == 7  # PROVENANCE: the counter resets 7 times
    last = raw[starts[-1]:]
    run = load_run(path)
    assert by_step(run, "loss") == {r["iteration"]: r["total_loss"] for r in last if "total_loss" in r}
    ap = by_step(run, "mAP50_95", "val")
    expected = {r["iteration"]: r["bbox/AP"] / 100 for r in last if "bbox/AP" in r}  # percent -> 0..1
    assert sorted(ap) == [199, 399, 599, 799] and ap == pytest.approx(expected)
    assert ap[199] == pytest.approx(0.107, abs=5e-4) and ap[799] == pytest.approx(0.205, abs=5e-4)
    assert by_step(run, "loss_ce_4") == {r["iteration"]: r["loss_ce_4"] for r in last if "loss_ce_4" in r}
    assert run.series("bbox/AP-n/a", "val")["value"].isna().all()
    assert "8 runs appended" in run.notes[0] and f"lines {starts[-1] + 1}-{len(raw)}" in run.notes[0]


def test_detectron2_text_log_is_refused_in_one_line():
    path = realdata("logs_detectron2/detr_d2_citypersons_pr357/d2/output/log.txt")
    with pytest.raises(LogError) as err:
        load_run(path)
    message = str(err.value)
    assert message.startswith(f"{path}: not a training log this tool reads") and "\n" not in message


# ---- MMEngine / MMCV ----------------------------------------------------------------------------------

def test_mmengine_vis_data():
    path = realdata("logs_mmengine/mmpretrain_tests_vis_data/vis_data.json")
    raw = raw_lines(path)
    run = load_run(path)
    assert run.format == "mmengine"
    train = [r for r in raw if "loss" in r]
    assert by_step(run, "loss") == {r["step"]: r["loss"] for r in train}
    assert by_step(run, "loss")[train[0]["step"]] == pytest.approx(2.65, abs=5e-3)
    assert by_step(run, "loss")[train[-1]["step"]] == pytest.approx(2.04, abs=5e-3)
    val = run.series("accuracy", "val")
    top1 = {r["step"]: r["accuracy/top1"] / 100 for r in raw if "accuracy/top1" in r}  # val step = epoch
    assert dict(zip(val["epoch"], val["value"])) == pytest.approx(top1)
    last_step = {e: max(r["step"] for r in train if r["epoch"] == e) for e in top1}
    assert dict(zip(val["epoch"], val["step"])) == last_step


@pytest.mark.parametrize("name, lr_max", [("20200408_174207.log.json", 0.02), ("20200408_180013.log.json", 0.2)])
def test_mmcv_log_json_without_losses(name, lr_max):
    path = realdata(f"logs_mmengine/mmcv_tests_textlogger_log_json/{name}")
    raw = raw_lines(path)
    run = load_run(path)
    assert run.format == "mmengine"
    assert not [n for n in run.names if "loss" in n]  # PROVENANCE: format only, no loss keys
    assert list(by_step(run, "lr").values()) == [r["lr"] for r in raw]
    assert list(by_step(run, "momentum").values()) == [r["momentum"] for r in raw]
    assert max(by_step(run, "lr").values()) == lr_max


# ---- MLflow -------------------------------------------------------------------------------------------

def test_mlflow_file_store():
    root = realdata("logs_mlflow/deep_temporal_clustering_gergogit/mlruns")
    run = load_run(root)
    assert run.format == "mlflow"
    # independently: the FINISHED runs (status 3) with a metrics folder, latest end_time first
    finished = []
    for meta in root.glob("*/*/meta.yaml"):
        text = meta.read_text()
        if "status: 3" in text and (meta.parent / "metrics").is_dir():
            end = int(next(line.split()[1] for line in text.splitlines() if line.startswith("end_time")))
            finished.append((end, meta.parent))
    assert len(finished) == 5
    chosen = max(finished)[1]
    assert chosen.name.startswith("57668b34")
    for file, split in (("train_loss", "train"), ("val_loss", "val")):
        lines = sorted(tuple(map(float, line.split())) for line in (chosen / "metrics" / file).read_text().splitlines())
        assert run.series("loss", split)["value"].tolist() == [v for _, v, _ in lines]
    assert "run 57668b34" in run.notes[0] and "7 other run(s)" in run.notes[0]
    assert "step 0" in run.notes[1]


# ---- the registry on every real log folder --------------------------------------------------------------

@pytest.mark.parametrize("folder", sorted(p.relative_to(REALDATA) for p in REALDATA.glob("logs_*/*"))
                         if REALDATA.exists() else [], ids=str)
def test_every_real_log_folder_gives_a_run(folder):
    run = load_run(realdata(str(folder)))
    assert len(run.metrics) > 0
    assert np.issubdtype(run.metrics["step"].dtype, np.integer)
