"""Name normalisation: every expected (split, name) below was written by hand from the framework's docs
and the real logs' headers, not copied from the code's output."""

from __future__ import annotations

import pytest

from insight.logs.names import (higher_is_better, is_component, is_counter, is_fraction, is_loss, is_lr,
                                 loss_component, normalise)

CASES = [
    # Ultralytics YOLOv5 (padding is stripped by the reader, but the name alone must work too)
    ("train/box_loss", ("train", "box_loss")),
    ("      train/obj_loss", ("train", "obj_loss")),
    ("metrics/mAP_0.5", ("val", "mAP50")),
    ("metrics/mAP_0.5:0.95", ("val", "mAP50_95")),
    ("metrics/precision", ("val", "precision")),
    ("x/lr0", ("train", "lr_pg0")),
    # Ultralytics v8+
    ("metrics/mAP50-95(B)", ("val", "mAP50_95")),
    ("metrics/mAP50(M)", ("val", "mask_mAP50")),
    ("metrics/precision(M)", ("val", "mask_precision")),
    ("metrics/recall(M)", ("val", "mask_recall")),
    ("metrics/mAP50-95(M)", ("val", "mask_mAP50_95")),
    ("val/seg_loss", ("val", "seg_loss")),
    ("lr/pg2", ("train", "lr_pg2")),
    ("train/loss", ("train", "loss")),
    ("metrics/accuracy_top1", ("val", "accuracy")),
    ("metrics/accuracy_top5", ("val", "accuracy_top5")),
    # YOLOv10 dual heads
    ("train/box_om", ("train", "box_loss_om")),
    ("val/cls_oo", ("val", "cls_loss_oo")),
    # Keras
    ("loss", ("train", "loss")),
    ("val_loss", ("val", "loss")),
    ("val_accuracy", ("val", "accuracy")),
    ("dice_coef", ("train", "dice")),
    ("val_mean_io_u_5", ("val", "iou")),
    ("lr", ("train", "lr")),
    # TensorBoard tag orders and capitals
    ("loss/train", ("train", "loss")),
    ("Loss/val", ("val", "loss")),
    ("Accuracy/validation", ("val", "accuracy")),
    ("Train Loss", ("train", "loss")),
    # Lightning
    ("train_loss", ("train", "loss")),
    ("val_acc", ("val", "accuracy")),
    ("lr-SGD", ("train", "lr")),
    ("train_disc_loss", ("train", "disc_loss")),
    # Detectron2: its own loss_* names are kept (a smooth-L1 loss_box_reg is not YOLO's IoU box_loss)
    ("total_loss", ("train", "loss")),
    ("loss_cls", ("train", "loss_cls")),
    ("loss_box_reg", ("train", "loss_box_reg")),
    ("loss_rpn_cls", ("train", "loss_rpn_cls")),
    ("loss_mask", ("train", "loss_mask")),
    ("loss_ce_2", ("train", "loss_ce_2")),
    ("bbox/AP", ("val", "mAP50_95")),
    ("bbox/AP50", ("val", "mAP50")),
    ("segm/AP", ("val", "mask_mAP50_95")),
    # MMEngine / MMDetection
    ("coco/bbox_mAP", ("val", "mAP50_95")),
    ("coco/bbox_mAP_50", ("val", "mAP50")),
    ("accuracy/top1", ("train", "accuracy")),  # the mmengine reader passes split val for val rows
    ("mIoU", ("train", "iou")),
    ("test_loss", ("test", "loss")),
]


@pytest.mark.parametrize("raw, expected", CASES)
def test_normalise(raw, expected):
    name = normalise(raw)
    assert (name.split, name.name) == expected


def test_default_split_applies_only_without_a_split_word():
    assert normalise("precision", "train").split == "train"  # Keras: unprefixed = train
    assert normalise("val_precision", "train").split == "val"
    assert normalise("precision").split == "val"  # without a default, precision is a validation metric


@pytest.mark.parametrize("raw", ["epoch", "step", "time", "data_time", "eta_seconds", "  epoch", "hp_metric"])
def test_axis_and_timing_columns_are_not_metrics(raw):
    assert normalise(raw) is None


def test_unknown_names_are_kept_cleaned():
    assert normalise("fast_rcnn/cls_accuracy") == ("train", "fast_rcnn/cls_accuracy", None, False)
    assert normalise("val_my custom metric").name == "my_custom_metric"
    assert normalise("val_my custom metric").split == "val"
    # mask_rcnn/accuracy is Mask R-CNN's training mask accuracy: it must not become `accuracy`
    assert normalise("mask_rcnn/accuracy").name == "mask_rcnn/accuracy"


def test_step_and_epoch_suffixes_are_granularity():
    assert normalise("train_loss_step") == ("train", "loss", "step", True)
    assert normalise("train_loss_epoch") == ("train", "loss", "epoch", True)
    assert normalise("epoch_accuracy") == ("train", "accuracy", "epoch", True)  # Keras TensorBoard


def test_higher_is_better():
    for name in ("loss", "box_loss", "cls_loss_oo", "rpn_loc_loss", "disc_loss"):
        assert higher_is_better(name) is False, name
    for name in ("accuracy", "accuracy_top5", "mAP50", "mAP50_95", "mask_mAP50", "dice", "iou", "precision",
                 "recall", "mask_recall", "fast_rcnn/cls_accuracy", "bbox/AP-pedestrian"):
        assert higher_is_better(name) is True, name
    for name in ("lr", "lr_pg0", "momentum", "roi_head/num_fg_samples"):
        assert higher_is_better(name) is None, name
    assert higher_is_better("class_error") is False


def test_losses_and_components():
    assert is_loss("loss") and not is_component("loss")
    for name in ("box_loss", "cls_loss", "dfl_loss", "obj_loss", "seg_loss", "rpn_cls_loss", "box_loss_om",
                 "cls_loss_2", "loss_12"):
        assert is_loss(name) and is_component(name), name
    assert not is_loss("accuracy") and not is_loss("lr")
    assert loss_component("box_loss_om") == "box"
    assert loss_component("rpn_cls_loss") == "rpn_cls"
    assert loss_component("loss_box_reg") == "box_reg" and loss_component("loss_ce_2") == "ce"
    assert loss_component("loss") is None


def test_counters_are_neither_loss_metric_nor_lr():
    for name in ("roi_head/num_fg_samples", "rpn/num_pos_anchors", "momentum", "tau"):
        assert is_counter(name), name
    for name in ("loss", "loss_box_reg", "lr_pg0", "mAP50", "fast_rcnn/cls_accuracy", "class_error"):
        assert not is_counter(name), name


def test_lr_and_fraction_helpers():
    assert is_lr("lr") and is_lr("lr_pg1") and not is_lr("loss")
    assert is_fraction("mask_mAP50_95") and is_fraction("accuracy") and not is_fraction("loss")


def test_logged_as_takes_off_split_words_namespaces_and_granularity_only():
    # by hand: the text as the log spells the series, minus train/val/epoch/step/metrics words
    from insight.logs.names import logged_as
    assert logged_as("total_loss") == logged_as("train/total_loss") == "total_loss"  # Detectron2's total
    assert logged_as("val_loss") == logged_as("Loss/val") == logged_as("train_loss_epoch") == "loss"
    assert logged_as("losses") == "losses"
