"""Every real CSV training log under ../shared/realdata/logs_{ultralytics,keras,lightning}.

Each test reads the raw file independently with pandas, maps its columns with a mapping written here by
hand (raw column -> split, name), and checks that every value the reader returns equals the raw cell;
then it checks the figures PROVENANCE.md gives for that log (computed there from the raw files).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from insight.logs import detect
from tests.realdata import realdata

V12_DETECT = {
    "train/box_loss": ("train", "box_loss"), "train/cls_loss": ("train", "cls_loss"),
    "train/dfl_loss": ("train", "dfl_loss"), "metrics/precision(B)": ("val", "precision"),
    "metrics/recall(B)": ("val", "recall"), "metrics/mAP50(B)": ("val", "mAP50"),
    "metrics/mAP50-95(B)": ("val", "mAP50_95"), "val/box_loss": ("val", "box_loss"),
    "val/cls_loss": ("val", "cls_loss"), "val/dfl_loss": ("val", "dfl_loss"),
    "lr/pg0": ("train", "lr_pg0"), "lr/pg1": ("train", "lr_pg1"), "lr/pg2": ("train", "lr_pg2"),
}
V12_SEG = {**V12_DETECT, "train/seg_loss": ("train", "seg_loss"), "val/seg_loss": ("val", "seg_loss"),
           "metrics/precision(M)": ("val", "mask_precision"), "metrics/recall(M)": ("val", "mask_recall"),
           "metrics/mAP50(M)": ("val", "mask_mAP50"), "metrics/mAP50-95(M)": ("val", "mask_mAP50_95")}
CLASSIFY = {"train/loss": ("train", "loss"), "metrics/accuracy_top1": ("val", "accuracy"),
            "metrics/accuracy_top5": ("val", "accuracy_top5"), "val/loss": ("val", "loss"),
            "lr/pg0": ("train", "lr_pg0"), "lr/pg1": ("train", "lr_pg1"), "lr/pg2": ("train", "lr_pg2")}
V5 = {"train/box_loss": ("train", "box_loss"), "train/obj_loss": ("train", "obj_loss"),
      "train/cls_loss": ("train", "cls_loss"), "metrics/precision": ("val", "precision"),
      "metrics/recall": ("val", "recall"), "metrics/mAP_0.5": ("val", "mAP50"),
      "metrics/mAP_0.5:0.95": ("val", "mAP50_95"), "val/box_loss": ("val", "box_loss"),
      "val/obj_loss": ("val", "obj_loss"), "val/cls_loss": ("val", "cls_loss"),
      "x/lr0": ("train", "lr_pg0"), "x/lr1": ("train", "lr_pg1"), "x/lr2": ("train", "lr_pg2")}
V10 = {f"{s}/{part}_{head}": (s, f"{part}_loss_{head}") for s in ("train", "val")
       for part in ("box", "cls", "dfl") for head in ("om", "oo")}
V10.update({k: v for k, v in V12_DETECT.items() if k.startswith(("metrics/", "lr/"))})


def raw_csv(path) -> pd.DataFrame:
    frame = pd.read_csv(path, skipinitialspace=True)
    frame.columns = [c.strip() for c in frame.columns]
    return frame


def load(path, reader):
    module, _ = detect(path)
    assert module.NAME == reader
    return module.read(path)


def by(run, split, name, key="epoch"):
    s = run.series(name, split)
    assert s[key].is_unique
    return dict(zip(s[key], s["value"]))


def assert_same_as_raw(run, raw, mapping, key="epoch", keep=None):
    """Every mapped raw cell (blank cells are no value; with `keep`, only rows where keep[split] holds)
    equals the reader's value at the same epoch or step, and the reader read nothing else."""
    assert set(mapping) <= set(raw.columns), set(mapping) - set(raw.columns)
    total = 0
    for column, (split, name) in mapping.items():
        text = raw[column].astype(str).str.strip()
        present = text != ""
        if keep is not None and split in keep:
            present &= keep[split]
        keys, cells = raw.loc[present, key].astype(float).to_numpy(), text[present].astype(float).to_numpy()
        got = by(run, split, name, key)
        assert sorted(got) == sorted(keys), (column, split, name)
        np.testing.assert_array_equal([got[k] for k in keys], cells, err_msg=column)
        total += len(cells)
    assert len(run.metrics) == total  # nothing else was read, nothing was dropped


def raw_lightning(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)  # blank stays '', 'nan' stays a value


ULTRA = "logs_ultralytics/"
SMALL = ULTRA + "yolov12_pr167_small_data_fractions/"


def test_yolov12n_detect():
    path = realdata(ULTRA + "yolov12_official_coco/yolov12n.csv")
    run, raw = load(path, "ultralytics-csv"), raw_csv(path)
    assert_same_as_raw(run, raw, V12_DETECT)
    assert np.isinf(by(run, "val", "cls_loss")[1.0])  # PROVENANCE: val/cls_loss is inf at epoch 1
    best = by(run, "val", "mAP50_95")
    assert max(best, key=best.get) == 600.0 and best[600.0] == pytest.approx(0.404, abs=5e-4)


def test_yolov12_segment_resumed_at_295():
    path = realdata(ULTRA + "yolov12_official_coco/yolov12_seg_n.csv")
    run, raw = load(path, "ultralytics-csv"), raw_csv(path)
    assert_same_as_raw(run, raw, V12_SEG)
    mask = by(run, "val", "mask_mAP50_95")
    assert min(mask) == 295.0 and max(mask) == 600.0 and len(mask) == 306
    assert mask[295.0] == pytest.approx(0.306, abs=5e-4) and max(mask.values()) == pytest.approx(0.333, abs=1e-3)


def test_yolov12_classify():
    path = realdata(ULTRA + "yolov12_official_coco/yolov12_cls_n.csv")
    run, raw = load(path, "ultralytics-csv"), raw_csv(path)
    assert_same_as_raw(run, raw, CLASSIFY)
    val = by(run, "val", "loss")
    assert min(val, key=val.get) == 199.0
    assert max(by(run, "val", "accuracy").values()) == pytest.approx(0.717, abs=1e-3)


def test_yolov10_dual_heads_and_validation_every_tenth_epoch():
    path = realdata(ULTRA + "yolov10_official_coco/yolov10n.csv")
    run, raw = load(path, "ultralytics-csv"), raw_csv(path)
    # independently: validation ran where the val values are not all zero and differ from the row before
    val = raw[[c for c in raw.columns if c.startswith(("val/", "metrics/"))]]
    ran = ~(val == 0).all(axis=1) & ~(val.diff() == 0).all(axis=1)
    assert list(raw.loc[ran, "epoch"]) == list(range(10, 491, 10)) + list(range(491, 501))  # PROVENANCE
    assert_same_as_raw(run, raw, V10, keep={"val": ran})
    assert len(run.series("box_loss_om", "train")) == 500
    assert "1-9" in run.notes[0] and "432 epochs" in run.notes[1]
    assert max(by(run, "val", "mAP50_95").values()) == pytest.approx(0.385, abs=1e-3)


def test_x_0_3125_overfits():
    path = realdata(SMALL + "x_0.3125.csv")
    run, raw = load(path, "ultralytics-csv"), raw_csv(path)
    assert_same_as_raw(run, raw, V12_DETECT)
    box = by(run, "val", "box_loss")
    assert min(box, key=box.get) == 177.0 and box[177.0] == pytest.approx(2.342, abs=5e-4)  # PROVENANCE
    assert box[600.0] == pytest.approx(2.431, abs=5e-4)
    cls = by(run, "val", "cls_loss")
    assert min(cls, key=cls.get) == 227.0 and cls[600.0] == pytest.approx(3.92, abs=5e-3)


def test_x_20_early_stopped():
    path = realdata(SMALL + "x_20.csv")
    run, raw = load(path, "ultralytics-csv"), raw_csv(path)
    assert_same_as_raw(run, raw, V12_DETECT)
    m = by(run, "val", "mAP50_95")
    assert max(m) == 494.0 and max(m, key=m.get) == 394.0 and m[394.0] == pytest.approx(0.392, abs=5e-4)
    cls = by(run, "val", "cls_loss")
    assert min(cls, key=cls.get) == 222.0


def test_n_0_3125_inf_val_cls_loss():
    path = realdata(SMALL + "n_0.3125.csv")
    run, raw = load(path, "ultralytics-csv"), raw_csv(path)
    assert_same_as_raw(run, raw, V12_DETECT)
    cls = by(run, "val", "cls_loss")
    infinite = sorted(e for e, v in cls.items() if np.isinf(v))
    assert len(infinite) == 105 and infinite[0] == 288.0  # PROVENANCE
    assert max(by(run, "val", "mAP50_95").values()) == pytest.approx(0.0018, abs=5e-5)


def test_n_10_divergence_spike():
    path = realdata(SMALL + "n_10.csv")
    run, raw = load(path, "ultralytics-csv"), raw_csv(path)
    assert_same_as_raw(run, raw, V12_DETECT)
    assert by(run, "val", "dfl_loss")[3.0] == pytest.approx(44.8, abs=0.05)
    assert int(np.isinf(run.metrics["value"]).sum()) == 2  # PROVENANCE: 2 inf cells
    m = by(run, "val", "mAP50_95")
    assert max(m) == 469.0 and max(m, key=m.get) == 364.0


def test_n_100_reference():
    path = realdata(SMALL + "n_100.csv")
    run, raw = load(path, "ultralytics-csv"), raw_csv(path)
    assert_same_as_raw(run, raw, V12_DETECT)
    m = by(run, "val", "mAP50_95")
    assert max(m, key=m.get) == 567.0 and m[567.0] == pytest.approx(0.400, abs=5e-4)


def test_yolov5_helmet_exp2():
    path = realdata(ULTRA + "yolov5_helmet_grafit-kil/runs/train/exp2/results.csv")
    run, raw = load(path, "ultralytics-csv"), raw_csv(path)
    assert_same_as_raw(run, raw, V5)
    assert set(by(run, "train", "box_loss")) == set(map(float, range(150)))  # epochs 0-149
    assert set(by(run, "val", "cls_loss").values()) == {0.0}  # single class
    m50 = by(run, "val", "mAP50")
    assert max(m50, key=m50.get) == 55.0 and m50[55.0] == pytest.approx(0.858, abs=5e-4)
    obj = by(run, "val", "obj_loss")
    assert min(obj, key=obj.get) == 65.0 and obj[65.0] == pytest.approx(0.00897, abs=5e-6)
    assert obj[149.0] == pytest.approx(0.0106, abs=5e-5)


def test_yolov5_helmet_three_epoch_stub():
    path = realdata(ULTRA + "yolov5_helmet_grafit-kil/runs/train/exp/results.csv")
    run, raw = load(path, "ultralytics-csv"), raw_csv(path)
    assert_same_as_raw(run, raw, V5)
    m50 = by(run, "val", "mAP50")
    assert sorted(m50) == [0.0, 1.0, 2.0] and m50[0.0] == pytest.approx(0.62, abs=5e-3)
    assert m50[2.0] == pytest.approx(0.74, abs=5e-3)


def test_yolov5_korawich_noisy_start():
    path = realdata(ULTRA + "yolov5_korawichint/runs/train/exp5/results.csv")
    run, raw = load(path, "ultralytics-csv"), raw_csv(path)
    assert_same_as_raw(run, raw, V5)
    p, r, m = by(run, "val", "precision"), by(run, "val", "recall"), by(run, "val", "mAP50")
    assert max(p, key=p.get) == 4.0 and p[4.0] == pytest.approx(0.69, abs=5e-3)
    assert min(r, key=r.get) == 12.0 and r[12.0] == pytest.approx(0.011, abs=5e-4)
    assert max(m, key=m.get) == 89.0 and m[89.0] == pytest.approx(0.284, abs=5e-4)


def test_yolov8_classify_weather():
    path = realdata(ULTRA + "yolov8_classify_weather_5pcd3/runs/classify/train/results.csv")
    run, raw = load(path, "ultralytics-csv"), raw_csv(path)
    assert_same_as_raw(run, raw, {k: v for k, v in CLASSIFY.items()})
    top1 = by(run, "val", "accuracy")
    assert max(top1, key=top1.get) == 3.0 and top1[3.0] == pytest.approx(0.977, abs=5e-4)
    assert top1[20.0] == pytest.approx(0.962, abs=5e-4)
    assert set(by(run, "val", "accuracy_top5").values()) == {1.0}
    assert by(run, "val", "loss")[20.0] == pytest.approx(0.79, abs=5e-3)


# ---- Keras --------------------------------------------------------------------------------------------

BRATS = {"accuracy": ("train", "accuracy"), "dice_coef": ("train", "dice"), "loss": ("train", "loss"),
         "lr": ("train", "lr"), "mean_io_u_5": ("train", "iou"), "precision": ("train", "precision"),
         "val_accuracy": ("val", "accuracy"), "val_dice_coef": ("val", "dice"), "val_loss": ("val", "loss"),
         "val_mean_io_u_5": ("val", "iou"), "val_precision": ("val", "precision")}
DOGS = {"loss": ("train", "loss"), "accuracy": ("train", "accuracy"), "val_loss": ("val", "loss"),
        "val_accuracy": ("val", "accuracy")}


def test_keras_brats_csvlogger():
    path = realdata("logs_keras/brats2020_unet_4hmetcakmak/training.log")
    run, raw = load(path, "generic-csv"), pd.read_csv(path)
    assert_same_as_raw(run, raw, BRATS)
    val = by(run, "val", "loss")
    assert min(val, key=val.get) == 13.0 and val[13.0] == pytest.approx(0.0345, abs=5e-5)
    iou = by(run, "val", "iou")
    assert max(iou, key=iou.get) == 2.0 and iou[23.0] == pytest.approx(0.813, abs=5e-4)
    lr = by(run, "train", "lr")
    assert lr[0.0] == pytest.approx(1e-3) and lr[23.0] == pytest.approx(1e-6)


def test_keras_dogbreed_history_csv():
    path = realdata("logs_keras/dogbreed_cnn_matty-gg/history.csv")
    run = load(path, "generic-csv")
    raw = pd.read_csv(path, index_col=0).rename_axis("epoch").reset_index()
    assert_same_as_raw(run, raw, DOGS)
    val = by(run, "val", "loss")
    assert max(val, key=val.get) == 17.0 and val[17.0] == pytest.approx(3.66, abs=5e-3)


def test_keras_dogbreed_history_json():
    path = realdata("logs_keras/dogbreed_cnn_matty-gg/history.json")
    run = load(path, "generic-csv")
    data = json.loads(path.read_text())
    raw = pd.DataFrame({k: pd.Series({int(i): v for i, v in col.items()}) for k, col in data.items()})
    assert_same_as_raw(run, raw.rename_axis("epoch").reset_index(), DOGS)
    train = by(run, "train", "loss")
    assert train[0.0] == pytest.approx(2.17, abs=5e-3) and train[19.0] == pytest.approx(1.60, abs=5e-3)


# ---- Lightning ----------------------------------------------------------------------------------------

LIGHT = "logs_lightning/"


def test_lightning_mnist_sparse_csv():
    path = realdata(LIGHT + "mnist_cnn_hcdescamps/lightning_logs/version_0/metrics.csv")
    run, raw = load(path, "lightning-csv"), raw_lightning(path)
    mapping = {"train_loss": ("train", "loss"), "val_loss": ("val", "loss"), "val_accuracy": ("val", "accuracy")}
    assert_same_as_raw(run, raw, mapping, key="step")
    val, acc = by(run, "val", "loss", "step"), by(run, "val", "accuracy", "step")
    assert list(val.values())[0] == pytest.approx(0.071, abs=5e-4) and list(val.values())[-1] == pytest.approx(
        0.014, abs=5e-4)
    assert list(acc.values())[0] == pytest.approx(0.976, abs=5e-4) and max(acc.values()) == pytest.approx(0.996, abs=5e-4)
    assert any("test_loss" in n for n in run.notes)


def test_lightning_gan_oscillating_negative_losses():
    path = realdata(LIGHT + "genrisk_gan_airi/lightning_logs/version_10/metrics.csv")
    run, raw = load(path, "lightning-csv"), raw_lightning(path)
    assert_same_as_raw(run, raw, {"train_disc_loss": ("train", "disc_loss"),
                                  "train_gen_loss": ("train", "gen_loss")}, key="step")
    gen = by(run, "train", "gen_loss", "step")
    assert min(gen.values()) == pytest.approx(-1.35, abs=5e-3) and max(gen.values()) == pytest.approx(1.22, abs=5e-3)


def test_lightning_gan_diverged_nan():
    path = realdata(LIGHT + "genrisk_gan_airi/lightning_logs/version_5/metrics.csv")
    run, raw = load(path, "lightning-csv"), raw_lightning(path)
    assert_same_as_raw(run, raw, {"train_disc_loss": ("train", "disc_loss"),
                                  "train_gen_loss": ("train", "gen_loss")}, key="step")
    disc = list(by(run, "train", "disc_loss", "step").values())
    assert len(disc) == 40 and disc[0] == pytest.approx(-1.37e25, rel=1e-2) and np.isnan(disc[1:]).all()


BYOL = {"train/loss": ("train", "loss"), "train/loss_12": ("train", "loss_12"), "train/loss_21": ("train", "loss_21"),
        "train/lr": ("train", "lr"), "train/tau": ("train", "tau")}


def test_lightning_byol_collapse():
    path = realdata(LIGHT + "byol3d_deepmind-research-fork/lightning_logs/version_13/metrics.csv")
    run, raw = load(path, "lightning-csv"), raw_lightning(path)
    assert_same_as_raw(run, raw, BYOL, key="step")
    loss = by(run, "train", "loss", "step")
    assert len(loss) == 727 and max(loss) == 7269
    low = min(loss, key=loss.get)
    assert loss[low] == pytest.approx(3e-4, abs=2e-4) and 2000 <= low <= 3000  # PROVENANCE: about step 2500
    lr = by(run, "train", "lr", "step")
    assert lr[9] == pytest.approx(7.2e-7, rel=1e-3) and lr[7269] == pytest.approx(5.8e-4, rel=2e-2)


def test_lightning_byol_smoke_run():
    path = realdata(LIGHT + "byol3d_deepmind-research-fork/lightning_logs/version_4/metrics.csv")
    run, raw = load(path, "lightning-csv"), raw_lightning(path)
    assert_same_as_raw(run, raw, BYOL, key="step")
    loss = list(by(run, "train", "loss", "step").values())
    assert len(loss) == 20 and loss[0] == pytest.approx(3.25, abs=5e-3) and loss[-1] == pytest.approx(0.008, abs=5e-4)
