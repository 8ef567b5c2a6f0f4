"""The diagnosis of every real training log agrees with what ../shared/realdata/PROVENANCE.md (part B)
says its curves show. The expectations below are PROVENANCE's, read off the raw files (min/max/argmin
per column), not this code's output; where the notes say nothing about a scenario the test says why
the letter given follows from what they do say."""

from __future__ import annotations

import pytest

from insight.diagnose.curves import diagnose_run
from insight.errors import LogError
from insight.logs import load_run
from tests.realdata import realdata

ULTRA = "logs_ultralytics"
SMALL = f"{ULTRA}/yolov12_pr167_small_data_fractions"


def diagnose(sub: str):
    return diagnose_run(load_run(realdata(sub)))


def found(d, code):
    return [f for f in d.findings if f.code == code]


def metric(d, split, name):
    return next(m for m in d.metrics if m.split == split and m.name == name)


# -- Ultralytics ------------------------------------------------------------------------------------------

def test_yolov12n_is_healthy_despite_inf_at_epoch_1():
    # "All train/val losses fall steadily; mAP50-95 best at the last epoch; val/cls_loss is inf at epoch 1"
    d = diagnose(f"{ULTRA}/yolov12_official_coco/yolov12n.csv")
    assert d.scenario == "A"
    (f,) = found(d, "nonfinite_loss")
    assert (f.values["split"], f.values["name"], f.epoch, f.values["at_end"]) == ("val", "cls_loss", 1, False)
    assert metric(d, "val", "mAP50_95").best_epoch == 600


def test_yolov12_seg_resumed_at_epoch_295_is_healthy():
    # "starts at epoch 295 and runs to 600 ... val losses decrease slowly. Healthy tail of a long run."
    d = diagnose(f"{ULTRA}/yolov12_official_coco/yolov12_seg_n.csv")
    assert d.scenario == "A"
    assert d.table["x"].min() == 295
    assert "seg_loss" in d.losses


def test_yolov12_classify_is_healthy():
    # "train loss 4.77 -> 0.95 ... val loss 3.54 -> 1.13 (min at 199). Healthy." (199 of 200 epochs)
    d = diagnose(f"{ULTRA}/yolov12_official_coco/yolov12_cls_n.csv")
    assert d.scenario == "A"
    assert metric(d, "val", "loss").best_epoch >= 199


def test_yolov10_stale_validation_values_are_dropped_and_the_run_is_healthy():
    # "Metrics and val losses are exactly 0 for epochs 1-9 ... validation ran only every 10 epochs ...
    # values repeated unchanged. mAP50-95 rises to 0.385. Healthy."
    d = diagnose(f"{ULTRA}/yolov10_official_coco/yolov10n.csv")
    # (the reader or the per-epoch step leaves out the zeros and the repeats; either way they are gone)
    assert d.scenario == "A"
    val = d.table[(d.table["split"] == "val") & (d.table["name"] == "loss")]
    assert len(val) == 59  # epochs 10, 20, ..., 490 (49) and 491-500 (10)
    assert val["x"].min() == 10 and (val["value"] > 0).all()
    assert metric(d, "val", "mAP50_95").best == pytest.approx(0.385, abs=0.002)


def test_x_0_3125_overfits():
    # "Clear overfitting: train box loss keeps falling while val box loss bottoms at epoch 177 (2.342) and
    # rises to 2.431, val cls loss bottoms at 227 and ends at 3.92"
    d = diagnose(f"{SMALL}/x_0.3125.csv")
    assert d.scenario == "C"
    box = metric(d, "val", "box_loss")
    assert box.best_epoch == 177 and box.best == pytest.approx(2.342, abs=0.001)
    assert 150 <= d.rule_finding.epoch <= 300


def test_x_20_classification_head_overfits():
    # "val/cls_loss bottoms at epoch 222 then rises about 16 % while mAP plateaus: the classification head
    # overfits" -> the cls component is named; the summed val loss rises too (C)
    d = diagnose(f"{SMALL}/x_20.csv")
    assert d.scenario == "C"
    (f,) = found(d, "component_imbalance")
    assert f.values["split"] == "val" and f.values["name"] == "cls_loss"
    assert 200 <= f.epoch <= 245 and 10 <= f.values["gl"] <= 20
    assert metric(d, "val", "cls_loss").best_epoch == 222


def test_n_0_3125_inf_val_cls_loss_to_the_end_is_divergence():
    # "val/cls_loss is inf in 105 epochs (from epoch 288)"; early-stopped at 452 with it still inf
    d = diagnose(f"{SMALL}/n_0.3125.csv")
    assert d.scenario == "B" and d.rule_finding.code == "diverged_nonfinite"
    v = d.rule_finding.values
    assert v["names"] == ["cls_loss"] and v["first"] == 288 and v["count"] == 105


def test_n_10_transient_spike_recovers():
    # "Transient divergence spike: val/dfl_loss jumps to 44.8 at epoch 3, then recovers; 2 inf cells"
    d = diagnose(f"{SMALL}/n_10.csv")
    assert d.scenario != "B"
    (f,) = found(d, "nonfinite_loss")
    assert f.values["count"] == 2 and f.epoch == 3 and not f.values["at_end"]


def test_n_100_reference_is_healthy():
    # "600 epochs, smooth, best 0.400 at 567, val losses at their minimum near the end"
    d = diagnose(f"{SMALL}/n_100.csv")
    assert d.scenario == "A"
    assert metric(d, "val", "loss").best_epoch >= 540
    assert metric(d, "val", "mAP50_95").best_epoch == 567


@pytest.mark.parametrize("sub", ["results.csv", "events.out.tfevents.1671637532.gakko.30470.0"])
def test_helmet_exp2_objectness_overfits_and_map50_drifts(sub):
    # "single class (cls_loss all 0). mAP50 peaks at 0.858 (epoch 55) and drifts to 0.811; val obj_loss
    # bottoms at epoch 65 and rises about 18 % while val box loss keeps falling" -> mild overfitting: the
    # train loss keeps falling while the val loss stalls (C), obj_loss named, mAP50 regression reported.
    # The TensorBoard file of the same run gives the same diagnosis.
    d = diagnose(f"{ULTRA}/yolov5_helmet_grafit-kil/runs/train/exp2/{sub}")
    assert d.scenario == "C"
    assert d.losses == ("loss", "box_loss", "obj_loss")  # the all-zero cls_loss is left out
    (f,) = found(d, "component_imbalance")
    assert f.values["name"] == "obj_loss" and 60 <= f.epoch <= 70 and f.values["others"] == ["box_loss"]
    (m,) = found(d, "metric_regressed")
    assert m.values["name"] == "mAP50" and m.epoch == 55 and m.values["best"] == pytest.approx(0.858, abs=0.001)


def test_helmet_exp_three_epochs_is_too_short():
    # "3-epoch stub run (epochs 0-2)"
    d = diagnose(f"{ULTRA}/yolov5_helmet_grafit-kil/runs/train/exp/results.csv")
    assert d.scenario is None and d.rule_finding.code == "insufficient_data"


def test_korawichint_noisy_start_then_steady_improvement():
    # "noisy early phase ... then steady improvement; val losses reach their minimum at the last epoch"
    d = diagnose(f"{ULTRA}/yolov5_korawichint/runs/train/exp5/results.csv")
    assert d.scenario == "A"
    assert metric(d, "val", "loss").best_epoch == 99


@pytest.mark.parametrize("sub", ["results.csv", "events.out.tfevents.1703282532.LAPTOP-TBOPBFBF.14616.0"])
def test_weather_classify_memorises(sub):
    # "Train loss collapses to about 0.006-0.013 while val loss plateaus at about 0.79 from epoch 3 ...
    # Memorisation with no further val gain"
    d = diagnose(f"{ULTRA}/yolov8_classify_weather_5pcd3/runs/classify/train/{sub}")
    assert d.scenario == "C" and d.rule_finding.code == "overfit_gap_widens"
    assert 3 <= d.rule_finding.epoch <= 5
    # "top-1 peaks at epoch 3 (0.977) and ends at 0.962": the event file logs top-1 again at the last step
    # (the best weights validated after training); the epoch's own value is the curve's last
    top1 = metric(d, "val", "accuracy")
    assert top1.best == pytest.approx(0.977, abs=0.001) and top1.best_epoch == 3
    assert top1.last == pytest.approx(0.962, abs=0.001)


def test_korawichint_tensorboard_holds_the_training_losses_only():
    # The 12 event files hold the learning rates and Result/{Mean_of_Loss, Box_Regression_Loss, ...}: training
    # losses only, "then steady improvement" -> A, and the report says validation is missing
    d = diagnose(f"{ULTRA}/yolov5_korawichint/runs/train/exp5/tensor_data")
    assert d.scenario == "A" and found(d, "missing_loss")[0].values["missing"] == ["val"]
    assert d.losses == ("loss", "box_loss", "cls_loss", "obj_loss")


# -- Detectron2 ---------------------------------------------------------------------------------------------

def test_medical_waste_box_regression_rises_while_classification_falls():
    # "training-only. total_loss 2.73 -> ~1.0; loss_cls 1.89 -> 0.32, but loss_box_reg rises"
    d = diagnose("logs_detectron2/medical_waste_elbhnasy/output/metrics.json")
    assert d.x_axis == "step" and d.scenario == "A"
    assert found(d, "missing_loss")[0].values["missing"] == ["val"]
    (f,) = found(d, "component_imbalance")
    assert f.values["split"] == "train" and f.values["name"] == "loss_box_reg" and "loss_cls" in f.values["others"]


@pytest.mark.parametrize("sub", ["metrics.json", "events.out.tfevents.1737181496.DESKTOP-STTNOT7.18524.0"])
def test_pothole_huge_initial_loss_is_not_divergence(sub):
    # "Huge initial loss (total 86.5), rapid collapse, a second bump at iterations 139-159 (14.6), then
    # noisy convergence around 1.1-1.2"
    d = diagnose(f"logs_detectron2/pothole_aaryan004/output/{sub}")
    assert d.scenario == "A"


@pytest.mark.parametrize("sub", ["metrics.json", "events.out.tfevents.1737378888.LAPTOP-1BH8GF02.2695.0"])
def test_balloon_short_and_healthy(sub):
    # "300 iterations: total_loss 2.17 -> 0.35, lr still in warm-up. Short, healthy."
    d = diagnose(f"logs_detectron2/balloon_kevindic0214/output/{sub}")
    assert d.scenario == "A"
    assert found(d, "not_converged")  # still falling fast when it stopped


def test_detr_restarted_runs_last_segment_falls():
    # "appends 8 restarted runs ... total_loss 724 -> ~90" (the last complete run is read)
    d = diagnose("logs_detectron2/detr_d2_citypersons_pr357/d2/output/metrics.json")
    assert d.scenario == "A"
    assert any("lines 107-150" in n for n in d.notes)


DETR = "logs_detectron2/detr_d2_citypersons_pr357/d2/output"


@pytest.mark.parametrize("name, scenario", [("events.out.tfevents.1617801159.benedikt-MS-7B48.28710.0", "A"),
                                            ("events.out.tfevents.1617869059.pain.1787052.0", "A"),
                                            ("events.out.tfevents.1617865843.pain.1553145.0", None)])
def test_detr_event_files_one_restart_each(name, scenario):
    # each event file is one of the restarted runs of the metrics.json above: training losses that fall
    # (total_loss 724 -> ~90), no validation loss; one restart logged only 2 points: too short to judge
    d = diagnose(f"{DETR}/{name}")
    assert d.scenario == scenario and found(d, "missing_loss" if scenario else "insufficient_data")


def test_detr_header_only_event_file_is_refused():
    # "TB files include one that is 40 bytes: header only, no scalars"
    with pytest.raises(LogError, match=r"holds no scalar values \(40 bytes"):
        load_run(realdata(f"{DETR}/events.out.tfevents.1617867069.pain.1642571.0"))


def test_detectron2_text_log_is_refused():
    # log.txt is the text log of the same run; only metrics.json is read
    with pytest.raises(LogError, match="not a training log this tool reads"):
        load_run(realdata(f"{DETR}/log.txt"))


# -- Lightning ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sub", ["version_0", "mnist_cnn/version_1"])
def test_mnist_is_healthy(sub):
    # "val_loss 0.071 -> 0.014, val_acc 0.976 -> 0.996. Healthy." (CSVLogger and TensorBoardLogger)
    d = diagnose(f"logs_lightning/mnist_cnn_hcdescamps/lightning_logs/{sub}")
    assert d.scenario == "A"
    assert metric(d, "val", "loss").best_epoch == d.table["x"].max()
    assert not found(d, "noisy_val")  # 6 val points are too few to call the val set noisy


def test_lightning_logs_folder_reads_the_highest_version():
    # genrisk lightning_logs holds version_5 (the NaN run) and version_10; a checkout gives both the same
    # time, so the run number decides: version_10, the oscillating negative GAN loss (B, see below)
    d = diagnose("logs_lightning/genrisk_gan_airi/lightning_logs")
    assert d.source.endswith("version_10/metrics.csv") and d.scenario == "B"
    assert any("not read: version_5/metrics.csv" in n for n in d.notes)


def test_gan_nan_run_is_divergence():
    # "Diverged run: the first disc loss is -1.37e+25, then every value is nan"
    d = diagnose("logs_lightning/genrisk_gan_airi/lightning_logs/version_5")
    assert d.scenario == "B" and d.rule_finding.code == "diverged_nonfinite"
    assert d.rule_finding.values["value"] == "NaN"


def test_gan_oscillating_negative_loss_is_not_read_as_healthy():
    # "train_disc_loss/train_gen_loss are negative and oscillate (gen -1.35 ... +1.22) before settling
    # near 0": a loss that ends far above where it started is not A
    d = diagnose("logs_lightning/genrisk_gan_airi/lightning_logs/version_10")
    assert d.scenario == "B"


def test_byol_train_only_collapse_then_rise():
    # "train/loss 3.78 -> collapses to 3e-4 at step about 2500 ... later 0.03. Train-only, no val."
    # Per epoch the loss drops to 0.005 and then climbs back to about 0.05: above its early level -> B
    d = diagnose("logs_lightning/byol3d_deepmind-research-fork/lightning_logs/version_13")
    assert found(d, "missing_loss")[0].values["missing"] == ["val"]
    assert d.scenario == "B" and d.rule_finding.code == "diverged_rise"


def test_byol_smoke_test_is_read_per_step():
    # "20-row smoke-test run (loss 3.25 -> 0.008)": one epoch, so per step; the loss falls
    d = diagnose("logs_lightning/byol3d_deepmind-research-fork/lightning_logs/version_4")
    assert d.x_axis == "step" and d.scenario == "A"


# -- Keras --------------------------------------------------------------------------------------------------

def test_brats_plateau_after_lr_drops():
    # "val_loss bottoms at epoch 13 (0.0345) and stays flat while lr decays": healthy plateau; the best
    # came early enough that early stopping would have ended the run sooner
    d = diagnose("logs_keras/brats2020_unet_4hmetcakmak/training.log")
    assert d.scenario == "A"
    (f,) = found(d, "best_epoch_early")
    assert f.epoch == 13


@pytest.mark.parametrize("sub", ["history.csv", "history.json"])
def test_dogbreed_overfits_with_a_noisy_val(sub):
    # "train loss 2.17 -> 1.60 ... while val_loss is noisy and worse (2.87 -> 2.99, peak 3.66 at epoch 17):
    # overfitting / no generalisation"
    d = diagnose(f"logs_keras/dogbreed_cnn_matty-gg/{sub}")
    assert d.scenario == "C"
    assert found(d, "noisy_val")


# -- MMEngine, MLflow -----------------------------------------------------------------------------------------

def test_mmengine_vis_data_three_epochs_read_per_iteration():
    # "3 epochs: loss 2.65 -> 2.04, top-1 18.8 -> 25.6" (train loss every 10 iterations, val accuracy only)
    d = diagnose("logs_mmengine/mmpretrain_tests_vis_data/vis_data.json")
    assert d.x_axis == "step" and d.scenario == "A"
    assert found(d, "missing_loss")[0].values["missing"] == ["val"]
    assert metric(d, "val", "accuracy").best == pytest.approx(0.256)


@pytest.mark.parametrize("name", ["20200408_174207.log.json", "20200408_180013.log.json"])
def test_mmcv_log_without_losses(name):
    # "Format only, no loss keys"
    d = diagnose(f"logs_mmengine/mmcv_tests_textlogger_log_json/{name}")
    assert d.scenario is None and d.rule_finding.values["missing"] == ["train", "val"]


@pytest.mark.parametrize("sub", ["mlruns", ""])
def test_mlflow_three_epoch_runs_are_too_short(sub):
    # "3 epochs per run ... every point is logged with step 0": numbered by timestamp, still 3 points
    d = diagnose(f"logs_mlflow/deep_temporal_clustering_gergogit/{sub}".rstrip("/"))
    assert d.scenario is None and d.rule_finding.code == "insufficient_data"
    assert d.rule_finding.values["points"] == 3 and any("run 57668b34" in n for n in d.notes)
