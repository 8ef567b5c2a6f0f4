"""A TensorBoard log whose step counts epochs is read per epoch: Ultralytics and YOLOv5 write the training
loss and the validation values once an epoch, at the epoch's number. Expected epochs written out by hand."""

from __future__ import annotations

import pytest

pytest.importorskip("tensorboard")

from insight.logs import tensorboard  # noqa: E402
from tests.logs.test_tensorboard import write_events  # noqa: E402


def epochs(run, name, split):
    s = run.series(name, split)
    return list(zip(s["step"], s["epoch"]))


def test_train_loss_and_val_at_the_same_consecutive_steps_are_epochs(tmp_path):
    # Ultralytics classify: train/loss, val/loss and metrics/accuracy_top1 at steps 1, 2, 3, lr at the same
    # steps: each step is the epoch of that number
    run = tensorboard.read(write_events(tmp_path / "train", {
        "train/loss": [(1, 1.25), (2, 0.5), (3, 0.25)], "val/loss": [(1, 1.5), (2, 1.0), (3, 0.75)],
        "metrics/accuracy_top1": [(1, 0.5), (2, 0.75), (3, 0.875)], "lr/pg0": [(1, 0.01), (2, 0.01), (3, 0.01)]}))
    assert epochs(run, "loss", "train") == [(1, 1.0), (2, 2.0), (3, 3.0)]
    assert epochs(run, "accuracy", "val") == [(1, 1.0), (2, 2.0), (3, 3.0)]
    assert "the step of this log counts epochs" in " ".join(run.notes)


def test_yolov5_counts_its_epochs_from_zero(tmp_path):
    # YOLOv5 writes epoch 0 first: steps 0, 1, 2 are epochs 0, 1, 2
    run = tensorboard.read(write_events(tmp_path / "exp", {
        "train/box_loss": [(0, 0.125), (1, 0.1), (2, 0.0625)], "metrics/precision": [(0, 0.25), (1, 0.5), (2, 0.5)]}))
    assert epochs(run, "box_loss", "train") == [(0, 0.0), (1, 1.0), (2, 2.0)]


@pytest.mark.parametrize("scalars", [
    # validation every 500 iterations at the training loss's steps: iterations, not epochs
    {"train/loss": [(500, 1.0), (1000, 0.5), (1500, 0.25)], "val/loss": [(500, 1.5), (1000, 1.0), (1500, 0.75)]},
    # the training loss every step, validation at two of them
    {"train/loss": [(1, 1.0), (2, 0.5), (3, 0.25), (4, 0.2)], "val/loss": [(2, 1.0), (4, 0.75)]},
    # a training loss alone: nothing says what the step counts
    {"train/loss": [(1, 1.0), (2, 0.5), (3, 0.25)]},
])
def test_other_step_logs_stay_per_step(tmp_path, scalars):
    run = tensorboard.read(write_events(tmp_path / "run", scalars))
    assert run.series("loss", "train")["epoch"].isna().all()
    assert not any("counts epochs" in n for n in run.notes)
