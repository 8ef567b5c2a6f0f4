"""One value per epoch (or step) per split and name: averaging, totals, unmeasured points.
Expected values are worked out by hand in the comments."""

from __future__ import annotations

import math

import numpy as np
import pytest

from insight.diagnose.epochs import per_epoch
from insight.model.run import Run, metrics_frame
from tests.diagnose.curve_runs import INF, NAN, run_of


def _rows(rows):
    return Run("test", "inline", metrics_frame([dict(zip(("step", "epoch", "split", "name", "value"), r),
                                                     source="t") for r in rows]))


def test_iteration_level_train_loss_is_averaged_per_epoch():
    # 5 epochs of 3 logged iterations each; epoch e logs 3e+1, 3e+2, 3e+3 -> mean 3e+2: 2, 5, 8, 11, 14
    run = _rows([(3 * e + i, e, "train", "loss", 3 * e + i + 1) for e in range(5) for i in range(3)])
    table = per_epoch(run)
    assert table.x_axis == "epoch"
    c = table.totals["train"]
    assert list(c.x) == [0.0, 1.0, 2.0, 3.0, 4.0] and list(c.y) == [2.0, 5.0, 8.0, 11.0, 14.0]


def test_nan_inside_an_epoch_is_counted_and_left_out_of_its_mean():
    # epoch 0: 1, NaN, 3 -> mean of the finite values 2; epoch 1: NaN only -> NaN; epoch 2: inf only -> inf;
    # epochs 3, 4: 1.5, 1.2. Three raw non-finite values.
    run = _rows([(0, 0, "train", "loss", 1), (1, 0, "train", "loss", NAN), (2, 0, "train", "loss", 3),
                 (3, 1, "train", "loss", NAN), (4, 2, "train", "loss", INF), (5, 3, "train", "loss", 1.5),
                 (6, 4, "train", "loss", 1.2)])
    c = per_epoch(run).totals["train"]
    assert c.y[0] == 2.0 and math.isnan(c.y[1]) and c.y[2] == INF and list(c.y[3:]) == [1.5, 1.2]
    assert c.nonfinite_raw == 3


def test_no_epochs_means_steps():
    run = run_of({"train/loss": [3, 2, 1]}, axis="step")
    table = per_epoch(run)
    assert table.x_axis == "step"
    assert any("per step" in n for n in table.notes)


def test_few_epochs_but_many_logged_steps_are_read_per_step():
    # 2 epochs, 8 logged steps of the loss: fewer epochs than a Prechelt strip (5), so per step
    run = _rows([(s, s // 4, "train", "loss", 10 - s) for s in range(8)])
    table = per_epoch(run)
    assert table.x_axis == "step" and len(table.totals["train"]) == 8


def test_three_epochs_logged_once_each_stay_epochs():
    run = run_of({"train/loss": [3, 2, 1], "val/loss": [3.5, 2.5, 2.0]})
    assert per_epoch(run).x_axis == "epoch"


def test_components_are_summed_when_no_total_is_logged_and_all_zero_ones_are_left_out():
    # box 1, 2 and cls 0.5, 0.25 -> loss 1.5, 2.25; obj is 0 throughout (single class) -> left out
    run = run_of({"train/box_loss": [1, 2], "train/cls_loss": [0.5, 0.25], "train/obj_loss": [0, 0]})
    table = per_epoch(run)
    assert list(table.totals["train"].y) == [1.5, 2.25]
    assert table.components["train"] == ("box_loss", "cls_loss")
    assert table.zero_components == ("train/obj_loss",)
    assert table.summed["train"] == ("box_loss", "cls_loss")


def test_a_logged_total_is_used_as_is():
    run = run_of({"train/loss": [9, 8], "train/box_loss": [1, 2]})
    assert list(per_epoch(run).totals["train"].y) == [9.0, 8.0]


def test_an_inf_component_makes_the_summed_total_inf():
    run = run_of({"val/box_loss": [1, 2, 3], "val/cls_loss": [INF, 1, 1]})
    assert list(per_epoch(run).totals["val"].y) == [INF, 3.0, 4.0]


def test_values_carried_forward_between_validations_are_left_out():
    # val loss measured at epochs 1, 4, 7 and repeated unchanged in between (as YOLOv10 logs it);
    # the repeats are dropped for the whole split, the val metric too
    val = [5.0, 5.0, 5.0, 4.0, 4.0, 4.0, 3.0, 3.0]
    m = [0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.3, 0.3]
    table = per_epoch(run_of({"train/loss": [9, 8, 7, 6, 5, 4, 3, 2], "val/loss": val, "val/mAP50": m}))
    assert list(table.totals["val"].x) == [1.0, 4.0, 7.0]
    assert list(table.get("val", "mAP50").x) == [1.0, 4.0, 7.0]
    assert len(table.totals["train"]) == 8
    assert any("carried forward" in n for n in table.notes)


def test_a_constant_loss_is_not_taken_for_carried_forward_values():
    table = per_epoch(run_of({"train/loss": [2.0] * 6}))
    assert len(table.totals["train"]) == 6


def test_val_losses_of_zero_before_the_first_validation_are_left_out():
    # epochs 1-3 report 0 (no validation yet), then 3.0, 2.5, 2.2
    table = per_epoch(run_of({"val/box_loss": [0, 0, 0, 3.0, 2.5, 2.2], "val/cls_loss": [0, 0, 0, 1.0, 0.9, 0.8]}))
    assert list(table.totals["val"].x) == [4.0, 5.0, 6.0]
    assert list(table.totals["val"].y) == pytest.approx([4.0, 3.4, 3.0])


def test_a_resumed_run_keeps_its_epochs():
    table = per_epoch(run_of({"train/loss": [2.0, 1.9, 1.8]}, start=295))
    assert list(table.totals["train"].x) == [295.0, 296.0, 297.0]


def test_one_row_log():
    table = per_epoch(run_of({"train/loss": [1.0]}))
    assert len(table.totals["train"]) == 1


def test_long_step_logs_are_binned():
    # 5000 distinct steps -> 1000 equal bins of 5 steps: the first bin averages steps 0-4 (values 0..4 -> 2)
    run = run_of({"train/loss": [float(s) for s in range(5000)]}, x={"train/loss": list(range(5000))},
                 axis="step")
    c = per_epoch(run).totals["train"]
    assert len(c) == 1000
    assert c.y[0] == pytest.approx(2.0, abs=0.01)
    assert np.all(np.diff(c.x) > 0)
