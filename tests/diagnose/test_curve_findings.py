"""The further curve findings on hand-made curves, each with its boundary where it has one.
Expected values are worked out by hand in the comments (smoothing: sigma 0.5 point, see
test_curve_scenarios.py)."""

from __future__ import annotations

import math

import pytest

from insight.diagnose.curves import CurveContext, diagnose_run
from insight.model.findings import Severity
from tests.diagnose.curve_runs import NAN, end_line_by_hand, noise_by_hand, run_of

FALLING = [10, 8, 6.5, 5.4, 4.6, 4.0, 3.5, 3.1, 2.8, 2.55, 2.35, 2.2]


def found(d, code):
    return [f for f in d.findings if f.code == code]


def test_not_converged_when_both_still_fall_at_the_end():
    # the end window: 10 % of 12 points is 2, at least min_window 3, at least min_points 5 (at most half
    # the run, 6) -> the last 5 points, epochs 8-12. A line through log(3.1 .. 2.2) falls 29 %, through
    # log(3.4 .. 2.5) 26 %, both >= 1 %; FALLING is smooth (its noise, by hand, is under 2 %), so the
    # slopes are far more than 2 standard errors (noise / sqrt(10)). Not C: from the half (x 6.5) train falls
    # ln(3.75/2.22) = 0.52, val ln(4.3/2.5) = 0.54 > 0.13
    val = [v + 0.3 for v in FALLING]
    d = diagnose_run(run_of({"train/loss": FALLING, "val/loss": val}))
    assert d.scenario == "A"
    (f,) = found(d, "not_converged")
    assert f.values["since"] == 8 and f.values["points"] == 5
    for curve in (FALLING, val):
        assert noise_by_hand(curve) < 0.02
        assert -end_line_by_hand(curve[-5:])[1] / (noise_by_hand(curve) / math.sqrt(10)) > 2
    assert f.values["train_drop_pct"] == pytest.approx(100 * end_line_by_hand(FALLING[-5:])[0])
    assert f.values["val_drop_pct"] == pytest.approx(100 * end_line_by_hand(val[-5:])[0])
    assert 25 < f.values["val_drop_pct"] < f.values["train_drop_pct"] < 30


def test_a_noisy_end_is_not_still_falling():
    # 12 points that level off near 2.0 with a zigzag of about +-4 %: a line through the last 5 points
    # (2.08, 1.96, 2.04, 1.94, 2.0) falls about 2 % (>= 1 %), but its slope is under 2 standard errors of the
    # curve's noise (noise / sqrt(10): sum of (i - 2)^2 over i = 0..4 is 10) -> no not_converged
    train = [4.2, 3.1, 2.6, 2.3, 2.15, 2.2, 2.06, 2.08, 1.96, 2.04, 1.94, 2.0]
    fall, slope = end_line_by_hand(train[-5:])
    assert fall > 0.01 and -slope / (noise_by_hand(train) / math.sqrt(10)) < 2
    d = diagnose_run(run_of({"train/loss": train}))
    assert d.scenario == "A" and not found(d, "not_converged")


# Train falls smoothly to the end; val zigzags down. The end window is the last 5 points (epochs 8-12).
TRAIN_STILL = [5, 3, 2.5, 2.2, 2.0, 1.9, 1.8, 1.72, 1.65, 1.59, 1.54, 1.5]


def test_not_converged_when_val_reaches_its_best_within_the_patience():
    # val's last 5 (2.35, 2.2, 2.25, 2.12, 2.1): a line through their logs falls about 10 % (>= 1 %), but
    # val zigzags (noise by hand about 7 %), so the slope is under 2 standard errors: no trend on its own.
    # Its best, 2.1, is the last value (epoch 12); early stopping's patience is max(3, ceil(0.1 x 12)) = 3
    # epochs, so it would not have stopped the run -> still improving. Train: a line through log(1.72 ..
    # 1.5) falls about 13 %, far beyond its small noise.
    val = [5.5, 3.6, 3.0, 2.75, 2.5, 2.45, 2.3, 2.35, 2.2, 2.25, 2.12, 2.1]
    fall, slope = end_line_by_hand(val[-5:])
    assert fall > 0.01 and -slope / (noise_by_hand(val) / math.sqrt(10)) < 2
    t_fall, t_slope = end_line_by_hand(TRAIN_STILL[-5:])
    assert t_fall > 0.01 and -t_slope / (noise_by_hand(TRAIN_STILL) / math.sqrt(10)) > 2
    d = diagnose_run(run_of({"train/loss": TRAIN_STILL, "val/loss": val}))
    assert d.scenario == "A"
    (f,) = found(d, "not_converged")
    assert f.values["val_beyond_noise"] is False
    assert (f.values["val_best"], f.values["val_best_x"], f.values["patience"]) == (2.1, 12, 3)
    assert f.values["val_drop_pct"] == pytest.approx(100 * fall)
    # the training loss still falls: the verdict does not say levelled off
    assert d.rule_finding.code == "converged" and d.rule_finding.values["levelled"] is False
    from insight.analysis.build import word_curves

    assert word_curves(d).advice == ("You are doing fine, and the run was still improving when it stopped: train "
                                     "longer with this setup. Then improve further with more or better-labelled data.")


def test_not_converged_needs_the_val_best_within_the_patience():
    # the same, but val's best, 2.06, is at epoch 9: early stopping (patience 3) stops at epoch 12, the
    # last; its end still falls (a line through 2.35 .. 2.1 falls about 7.5 %) within its noise -> no finding
    val = [5.5, 3.6, 3.0, 2.75, 2.5, 2.45, 2.3, 2.35, 2.06, 2.25, 2.12, 2.1]
    fall, slope = end_line_by_hand(val[-5:])
    assert fall > 0.01 and -slope / (noise_by_hand(val) / math.sqrt(10)) < 2
    d = diagnose_run(run_of({"train/loss": TRAIN_STILL, "val/loss": val}))
    assert d.scenario == "A" and not found(d, "not_converged")


def test_noisy_val_against_a_smooth_train():
    # noise = the robust sd of each point's log-distance to the median of its four neighbours
    # (curve_runs.noise_by_hand). FALLING is smooth; the val curve zigzags by about +-10 %: its noise is
    # >= 2 % and >= 3x the train's, on 12 >= 10 points -> noisy_val
    train = FALLING
    val = [10.5, 8.9, 6.6, 6.4, 4.7, 5.3, 3.7, 4.4, 3.0, 3.7, 2.6, 3.2]
    nt, nv = noise_by_hand(train), noise_by_hand(val)
    assert nv >= 0.02 and nv >= 3 * nt
    d = diagnose_run(run_of({"train/loss": train, "val/loss": val}))
    (f,) = found(d, "noisy_val")
    assert f.values["val_jitter_pct"] == pytest.approx(100 * nv)
    assert f.values["train_jitter_pct"] == pytest.approx(100 * nt)


def test_noisy_val_needs_ten_points():
    # the same zigzag cut to its last 9 points: too few to measure noise -> not reported
    d = diagnose_run(run_of({"train/loss": FALLING[3:], "val/loss": [6.4, 4.7, 5.3, 3.7, 4.4, 3.0, 3.7, 2.6, 3.2]}))
    assert not found(d, "noisy_val")


TRAIN_END_2 = [6, 4.5, 3.5, 3, 2.6, 2.4, 2.25, 2.15, 2.08, 2.02, 2.0, 1.99]  # last three: median 2.0


def _val_ending(median_last3: float) -> list[float]:
    head = [5, 3.6, 2.8, 2.4, 2.1, 1.9, 1.8, 1.72, 1.66]
    return head + [median_last3 + 0.02, median_last3, median_last3 - 0.01]


def test_val_below_train_at_exactly_the_margin_cites_leakage():
    # end medians: train 2.0, val 1.6 -> val is 1 - 1.6 / 2.0 = 20 % lower = the 20 % margin -> reported;
    # the dataset has duplicates across train and val, so it is a warning naming the leakage
    d = diagnose_run(run_of({"train/loss": TRAIN_END_2, "val/loss": _val_ending(1.6)}),
                     CurveContext(has_leakage=True))
    (f,) = found(d, "val_below_train")
    assert f.values["below_pct"] == pytest.approx(20.0) and f.values["leakage"] is True
    assert f.severity is Severity.WARNING


def test_val_below_train_just_under_the_margin_is_not_reported():
    # val median 1.61 -> 19.5 % lower < 20 %
    d = diagnose_run(run_of({"train/loss": TRAIN_END_2, "val/loss": _val_ending(1.61)}))
    assert not found(d, "val_below_train")


def test_val_below_train_without_leakage_is_information():
    d = diagnose_run(run_of({"train/loss": TRAIN_END_2, "val/loss": _val_ending(1.2)}))
    (f,) = found(d, "val_below_train")
    assert f.severity is Severity.INFO and f.values["leakage"] is False


def test_underfit_both_plateau_early_at_a_high_value():
    # train: first = median(2.0, 1.8, 1.7) = 1.8, end about 1.6: a fall of 11 % (< 25 %, but >= 3 %: not D);
    # a line through the last 5 points falls 0.18 % (< 1 %: not still falling); from the middle (x 6.5: the
    # last 6 points) a line changes 0.29 % (< 2 %: levelled off in the first half).
    # val: the same shape 0.1 higher (first 1.9, end 1.7, a fall of 10.5 %) -> underfit
    train = [2.0, 1.8, 1.7, 1.65, 1.62, 1.61, 1.605, 1.603, 1.602, 1.601, 1.6005, 1.6002]
    val = [v + 0.1 for v in train]
    assert end_line_by_hand(train[-5:])[0] == pytest.approx(0.0018, abs=1e-4)
    assert end_line_by_hand(train[-6:])[0] == pytest.approx(0.0029, abs=1e-4)
    d = diagnose_run(run_of({"train/loss": train, "val/loss": val}))
    assert d.scenario == "A"
    (f,) = found(d, "underfit")
    assert f.values["train_fall_pct"] == pytest.approx(100 * (1.8 - 1.6) / 1.8, abs=0.1)


def test_a_loss_that_fell_a_lot_is_not_underfit():
    d = diagnose_run(run_of({"train/loss": FALLING}))
    assert not found(d, "underfit")


TRAIN_13 = [30, 24, 20, 17, 15, 14, 13.6, 13.3, 13.1, 12.9, 12.7, 12.6, 12.5]


def test_best_epoch_early_at_exactly_a_quarter_of_the_run():
    # 13 val points at epochs 1-13 (span 12); patience max(3, ceil(1.3)) = 3; the val minimum is at
    # epoch 7, so early stopping stops at epoch 10 and saves (13 - 10) / 12 = 25 % -> reported
    val = [31, 26, 23, 21, 20.5, 20.2, 20.0, 20.05, 20.1, 20.12, 20.15, 20.17, 20.2]
    d = diagnose_run(run_of({"train/loss": TRAIN_13, "val/loss": val}))
    (f,) = found(d, "best_epoch_early")
    assert f.epoch == 7 and f.values["stop_x"] == 10 and f.values["patience"] == 3
    assert f.values["saved_pct"] == pytest.approx(25.0)


def test_best_epoch_one_later_is_not_early():
    # minimum at epoch 8 -> stop at 11 -> (13 - 11) / 12 = 16.7 % < 25 %
    val = [31, 26, 23, 21, 20.5, 20.2, 20.1, 20.0, 20.05, 20.1, 20.12, 20.15, 20.17]
    d = diagnose_run(run_of({"train/loss": TRAIN_13, "val/loss": val}))
    assert not found(d, "best_epoch_early")


# YOLO-like: val box_loss keeps falling, val cls_loss bottoms at epoch 5 and rises 2.0 -> 2.4 (GL 20 %);
# the summed val loss rises less than 5 %, so the total is not C by GL but the component is named.
BOX = [4.0, 3.5, 3.1, 2.8, 2.6, 2.45, 2.33, 2.24, 2.17, 2.12, 2.08, 2.05]
CLS = [3.0, 2.5, 2.2, 2.05, 2.0, 2.02, 2.08, 2.14, 2.2, 2.28, 2.35, 2.4]
TRAIN_YOLO = {"train/box_loss": [4.0, 3.3, 2.8, 2.4, 2.1, 1.9, 1.75, 1.62, 1.52, 1.45, 1.39, 1.35],
              "train/cls_loss": [3.0, 2.4, 2.0, 1.7, 1.5, 1.35, 1.25, 1.17, 1.1, 1.05, 1.01, 0.98]}


def test_component_imbalance_names_the_val_component_that_overfits():
    d = diagnose_run(run_of({**TRAIN_YOLO, "val/box_loss": BOX, "val/cls_loss": CLS}))
    (f,) = found(d, "component_imbalance")
    assert f.values["split"] == "val" and f.values["name"] == "cls_loss"
    assert f.values["others"] == ["box_loss"]
    assert f.epoch == 5
    assert f.values["gl"] == pytest.approx(20, abs=1)  # smoothed 2.0 -> about 2.4
    assert d.losses == ("loss", "box_loss", "cls_loss")


def test_component_imbalance_in_training_losses_detectron2_style():
    # train-only: loss_box_reg (box_loss) rises from 0.5 to 0.8 while loss_cls falls from 1.9 to 0.3
    box = [0.5, 0.52, 0.58, 0.65, 0.72, 0.78, 0.8, 0.81, 0.8, 0.79, 0.8, 0.81]
    cls = [1.9, 1.5, 1.2, 0.95, 0.8, 0.65, 0.55, 0.47, 0.4, 0.36, 0.33, 0.3]
    d = diagnose_run(run_of({"train/box_loss": box, "train/cls_loss": cls}, axis="step"))
    (f,) = found(d, "component_imbalance")
    assert f.values["split"] == "train" and f.values["name"] == "box_loss" and f.values["others"] == ["cls_loss"]


def test_an_all_zero_component_is_ignored():
    # single-class YOLO: cls_loss is 0 everywhere; it is neither summed, charted nor reported
    zeros = [0.0] * 12
    d = diagnose_run(run_of({"train/box_loss": TRAIN_YOLO["train/box_loss"], "train/cls_loss": zeros,
                             "val/box_loss": BOX, "val/cls_loss": zeros}))
    assert d.losses == ("loss", "box_loss")
    assert not found(d, "component_imbalance")
    assert all("cls_loss" not in f.message for f in d.findings)
    assert "cls_loss" not in {m.name for m in d.metrics} and "cls_loss" not in set(d.table["name"])
    assert any(n.startswith("train/cls_loss, val/cls_loss are 0 throughout") for n in d.notes)


MAP_HEAD = [0.1, 0.5, 0.7, 0.8, 0.79, 0.78]  # 9 points with the tail: fewer than 10, so no noise is measured


def test_metric_regressed_at_exactly_five_percent():
    # best 0.8 (epoch 4); the median of the last 3 points (0.77, 0.76, 0.75) is 0.76: (0.8 - 0.76) / 0.8 = 5 %
    # -> reported (9 points: too few to measure noise, so the threshold is the plain 5 %)
    d = diagnose_run(run_of({"train/loss": FALLING, "val/mAP50": MAP_HEAD + [0.77, 0.76, 0.75]}))
    (f,) = found(d, "metric_regressed")
    assert f.values["name"] == "mAP50" and f.epoch == 4 and f.values["drop_pct"] == pytest.approx(5.0)
    assert f.values["threshold_pct"] == pytest.approx(5.0)


def test_metric_just_under_five_percent_is_not_reported():
    # median 0.761 -> (0.8 - 0.761) / 0.8 = 4.9 %
    d = diagnose_run(run_of({"train/loss": FALLING, "val/mAP50": MAP_HEAD + [0.771, 0.761, 0.751]}))
    assert not found(d, "metric_regressed")


def test_a_noisy_metric_must_fall_more_than_its_noise():
    # accuracy that only wobbles around 0.5 by about +-10 % (12 points): best 0.6, end median 0.5, a drop
    # of 16.7 % (> 5 %), but 3 sd of its noise (by hand) is more than that: the best was a lucky draw
    acc = [0.5, 0.45, 0.55, 0.5, 0.6, 0.45, 0.5, 0.55, 0.45, 0.5, 0.55, 0.5]
    assert 3 * noise_by_hand(acc) > (0.6 - 0.5) / 0.6
    d = diagnose_run(run_of({"train/loss": FALLING, "val/accuracy": acc}))
    assert not found(d, "metric_regressed")


def test_precision_and_recall_are_left_to_map():
    # precision falls 30 % while mAP improves: the threshold trade-off, not a regression; without an mAP
    # the same precision curve is reported
    prec = [0.2, 0.5, 0.7, 0.68, 0.6, 0.55, 0.52, 0.5, 0.49, 0.5, 0.49, 0.49]
    rising = [0.05 * i for i in range(12)]
    with_map = diagnose_run(run_of({"train/loss": FALLING, "val/precision": prec, "val/mAP50": rising}))
    assert not found(with_map, "metric_regressed")
    alone = diagnose_run(run_of({"train/loss": FALLING, "val/precision": prec}))
    assert [f.values["name"] for f in found(alone, "metric_regressed")] == ["precision"]


def test_metric_summaries_best_epoch_and_last():
    # train loss best = its minimum 2.2 at epoch 12; val accuracy best 0.9 at epoch 3, last 0.85;
    # the learning rate has no direction: no summary row
    d = diagnose_run(run_of({"train/loss": [3.0, 2.5, 2.2], "val/accuracy": [0.7, 0.8, 0.9][:2] + [0.9],
                             "train/lr": [0.1, 0.1, 0.01]}))
    rows = {(m.split, m.name): m for m in d.metrics}
    assert set(rows) == {("train", "loss"), ("val", "accuracy")}
    loss = rows[("train", "loss")]
    assert (loss.best, loss.best_epoch, loss.last, loss.higher_is_better) == (2.2, 3.0, 2.2, False)
    acc = rows[("val", "accuracy")]
    assert (acc.best, acc.best_epoch, acc.last, acc.higher_is_better) == (0.9, 3.0, 0.9, True)


def test_metric_summary_of_a_loss_that_ends_nan_keeps_the_nan_last():
    d = diagnose_run(run_of({"train/loss": [1.0, 0.8, NAN]}))
    (m,) = d.metrics
    assert m.best == 0.8 and m.best_epoch == 2
    assert m.last != m.last  # NaN


def test_findings_are_ordered_errors_first():
    d = diagnose_run(run_of({"train/loss": [1.0, 0.9, 0.8, 0.7, NAN, NAN], "val/loss": [1.1, 1, 0.9, 0.85, 0.8, 0.78],
                             "val/mAP50": [0.1, 0.5, 0.8, 0.6, 0.5, 0.4]}))
    assert d.scenario == "B"
    ranks = [f.severity.rank for f in d.findings]
    assert ranks == sorted(ranks) and d.findings[0].code == "nonfinite_loss"


def test_table_is_long_with_smoothed_values():
    d = diagnose_run(run_of({"train/loss": FALLING, "val/loss": [v + 0.3 for v in FALLING],
                             "val/mAP50": [0.05 * i for i in range(12)]}))
    t = d.table
    assert list(t.columns) == ["x", "split", "name", "value", "smoothed"]
    assert set(zip(t["split"], t["name"])) == {("train", "loss"), ("val", "loss"), ("val", "mAP50")}
    train = t[(t["split"] == "train") & (t["name"] == "loss")]
    assert list(train["x"]) == list(range(1, 13)) and list(train["value"]) == FALLING
    assert d.losses == ("loss",)


def test_a_metric_still_rising_steeply_is_not_regressed():
    # best = the last value 0.55; the median of the last 3 (0.45, 0.5, 0.55) is 0.5, but the end is read
    # as the larger of that median and the last value, so a rising metric has no drop
    d = diagnose_run(run_of({"train/loss": FALLING, "val/mAP50": [0.05 * i for i in range(12)]}))
    assert not found(d, "metric_regressed")
