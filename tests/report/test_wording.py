"""One truth per number: where a finding names a smoothed value next to a logged one, or a level that is not
the last value, it says which is which, so the sentence agrees with the best/last table. Expected texts
worked out by hand from the numbers given."""

from __future__ import annotations

from insight.analysis.messages import message_for
from insight.model.findings import Finding
from insight.report.sections.common import headline


def test_a_rising_component_names_its_smoothed_low_and_end_apart_from_its_lowest_logged_value():
    # the medical-waste run: loss_box_reg's smoothed low 0.543 at step 19, smoothed end 0.623, so GL =
    # 100 x (0.623 / 0.543 - 1) = 14.73 %; its lowest logged value 0.476 at step 99 (the table's best)
    gl = 100 * (0.623 / 0.543 - 1)
    rising = [{"name": "loss_box_reg", "best": 0.476, "best_x": 99.0, "smoothed_best": 0.543,
               "smoothed_best_x": 19.0, "end": 0.623, "gl": gl}]
    text = message_for(Finding("component_imbalance", "warning", values={
        "x_axis": "step", "split": "train", "rising": rising, "others": ["loss_cls"]},
        shown={"rising": [{"smoothed_best": "0.543", "end": "0.623", "best": "0.476"}]}))
    assert text == ("The training loss components behave differently: loss_box_reg rose 14.7 % from its smoothed "
                    "low (0.543 at step 19) to 0.623 at the end (smoothed; its lowest logged value: 0.476 at "
                    "step 99) while loss_cls did not.")


def test_a_regressed_metric_says_its_end_is_a_median_and_heads_with_the_drop():
    # pets: accuracy peaked at 0.929 (epoch 24); the median of its last values 0.877 (the last, 0.872, is
    # lower): drop = (0.929 - 0.877) / 0.929 = 5.60 %
    drop = 100 * (0.929 - 0.877) / 0.929
    text = message_for(Finding("metric_regressed", "warning", values={
        "x_axis": "epoch", "split": "val", "name": "accuracy", "best": 0.929, "best_x": 24.0, "end": 0.877,
        "drop_pct": drop, "threshold_pct": 5.0, "noise_pct": 1.0, "raised": False, "base_pct": 5.0},
        shown={"best": "0.929", "end": "0.877"}))
    assert text == ("Validation accuracy ends 5.6 % below its peak: 0.929 at epoch 24, then 0.877 at the end (the "
                    "median of its last values, or the last if higher, so that one dip does not count; the rule: "
                    "5 % or more). Keep the checkpoint of the best epoch.")
    assert headline(text) == "Validation accuracy ends 5.6 % below its peak"  # page 1's line


def test_the_converged_fall_says_where_it_is_measured_from():
    # the COCO128 run: the early level (median of the first points) to the end fell 24.2 %, while the first
    # epoch's 13.7 to the last 3.18 is 76.8 %: the sentence says which fall it means
    text = message_for(Finding("converged", "info", values={
        "x_axis": "epoch", "has_val": True, "train_fall_pct": 24.2, "val_end": 3.33, "window": 60,
        "val_best": 3.32, "val_best_x": 600.0}, shown={"val_end": "3.33", "val_best": "3.32"}))
    assert text.startswith("Both losses fell and levelled off: the training loss fell 24.2 % from its early level "
                           "(the median of its first points, so that a steep start does not count) and the "
                           "validation loss ends at 3.33 on average over the last 60 epochs")


def test_a_run_still_falling_is_not_said_to_have_levelled_off():
    # the YOLOv8 fire run: training still fell 9.79 % over its last 5 epochs (beyond its noise), validation
    # reached its best, 4.71, at the last epoch, 25: neither levelled off, and the finding says why
    text = message_for(Finding("converged", "info", values={
        "x_axis": "epoch", "has_val": True, "levelled": False, "train_fall_pct": 37.4, "val_end": 4.9,
        "window": 3, "val_best": 4.71, "val_best_x": 25.0}, shown={"val_end": "4.90", "val_best": "4.71"}))
    assert text.startswith("Both losses fell: the training loss fell 37.4 % from its early level")
    text = message_for(Finding("not_converged", "info", values={
        "x_axis": "epoch", "points": 5, "since": 21.0, "train_drop_pct": 9.79, "val_drop_pct": 6.96,
        "noise_measured": True, "val_beyond_noise": False, "val_best": 4.71, "val_best_x": 25.0, "patience": 3},
        shown={"train_drop_pct": "9.79", "val_drop_pct": "6.96"}))
    assert text == ("Still improving at the end: over the last 5 epochs (from epoch 21) the training loss fell "
                    "9.79 %, more than its noise explains; the validation loss fell 6.96 % and reached its best, "
                    "4.71, at epoch 25, within the last 3 epochs: early stopping with that patience would not "
                    "have stopped the run. Train longer.")


def test_a_train_only_run_is_not_told_that_nothing_needs_fixing():
    text = message_for(Finding("advice_A", "info", values={"judged_on": "train"}))
    assert text == ("The training loss shows no divergence and no stall, but that is no verdict on the model: log "
                    "a validation loss every epoch and run the diagnosis again.")


def test_the_losses_a_rebound_compares_share_their_decimals():
    """Worked by hand (tests/diagnose/test_curve_scenarios.py has the same run): the early level is
    median(4, 3, 2) = 3, the best logged value 1.0 at epoch 5, the smoothed low 1.00385 at epoch 5 and the
    smoothed end 2.50761 (smooth_by_hand). Three significant digits of the largest, 3, are two decimals;
    1.00385 and 1.0 first differ in the third decimal, so all four get three: 3.000, 1.000, 1.004, 2.508.
    Each printed on its own (3 significant digits) they read 3, 1, 1 and 2.51: a best and a smoothed low
    that look equal, and four numbers of one sentence with three different numbers of decimals."""
    from insight.diagnose.curves import diagnose_run
    from tests.diagnose.curve_runs import run_of, smooth_by_hand

    train = [4, 3, 2, 1.01, 1.0, 1.02, 2.48, 2.5, 2.49, 2.51]
    smoothed = smooth_by_hand(train)
    assert (round(smoothed[4], 5), round(smoothed[-1], 5)) == (1.00385, 2.50761)
    rule = diagnose_run(run_of({"train/loss": train})).rule_finding
    assert rule.code == "diverged_rebound"
    assert rule.shown == {"start": "3.000", "best": "1.000", "smoothed_best": "1.004", "end": "2.508"}
    assert message_for(rule).startswith("The training loss fell from 3.000 to its best, 1.000 at epoch 5 (smoothed "
                                        "low 1.004 at epoch 5), then climbed back to 2.508 (smoothed): ")
    assert rule.values["start"] == 3.0 and "shown" not in rule.values  # insight.json keeps the numbers


def test_compared_values_are_printed_together_group_by_group():
    """By hand: 0.5 against 0.523 differ in the 2nd decimal, 3 significant digits of 0.523 are 3 decimals:
    0.500 and 0.523; 12.5 against 0.031 would be one decimal (3 significant digits of 12.5), which reads
    0.031 as 0.0, so two (its first digit shows): 12.50 and 0.03; a group
    is formatted apart from the others, a missing value reads '–'."""
    from insight.formatting import fmt_compared_values

    values = {"val": 0.5, "train": 0.523, "val_jitter_pct": 12.5, "train_jitter_pct": 0.031, "ratio": 2.0}
    assert fmt_compared_values(values, ("val", "train"), ("val_jitter_pct", "train_jitter_pct"), ("nothing",)) == {
        "val": "0.500", "train": "0.523", "val_jitter_pct": "12.50", "train_jitter_pct": "0.03", "nothing": "–"}
    assert fmt_compared_values(values) == {}


def test_a_flat_loss_that_ends_a_hair_above_its_start_is_a_rise_not_a_negative_fall():
    # the Keras stock-LSTM public run: the loss sits at 0.487 for 5 epochs, its end a hair above its start;
    # it read "a fall of -1.00e-05 %, with 0 % point-to-point noise". Here 5 epochs at 0.5, the last
    # 0.5001: the end is above the start, and 5 points measure no noise (fewer than noise_min_points, 10)
    from insight.analysis.build import word_curves
    from insight.diagnose.curves import diagnose_run
    from tests.diagnose.curve_runs import run_of

    d = word_curves(diagnose_run(run_of({"train/loss": [0.5, 0.5, 0.5, 0.5, 0.5001], "val/loss": [0.2] * 5})))
    assert d.scenario == "D"
    assert d.rule.startswith("The training loss does not decrease: from 0.50000 at the start to 0.500")
    assert " at the end is a rise of 0.0" in d.rule and "of -" not in d.rule
    assert d.rule.endswith("% (the rule: a fall of less than 3 %), with no point-to-point noise.")
    start, end = d.rule_finding.values["start"], d.rule_finding.values["end"]
    assert end > start and d.rule_finding.values["fall_pct"] < 0  # insight.json keeps the signed fall


def test_a_still_falling_end_logged_every_few_steps_names_its_span():
    # the Detectron2 nuts run (public_logs/p13) logs every 20 steps: its last 5 points are steps 219 to 299,
    # which "the last 5 steps (from step 219)" misstated (the last 5 steps are 295 to 299)
    text = message_for(Finding("not_converged", "info", epoch=299.0, values={
        "x_axis": "step", "points": 5, "since": 219.0, "spaced": True, "train_drop_pct": 43.9,
        "val_drop_pct": None, "noise_measured": True, "val_beyond_noise": True},
        shown={"train_drop_pct": "43.9", "val_drop_pct": None}))
    assert text == ("Still improving at the end: over the last 5 logged steps (steps 219 to 299) the training "
                    "loss fell 43.9 %, more than its noise explains. Train longer.")


def test_one_class_is_not_called_balanced():
    # the real weather set read from one folder up gave one class, and "all 1 class reach the cutoff"
    assert message_for(Finding("balanced", "info", count=1)) == (
        "The one class reaches the cutoff threshold: with a single class there is no balance to judge.")
    assert message_for(Finding("balanced", "info", count=4)) == (
        "The classes are balanced: all 4 classes reach the cutoff threshold.")


def test_numbers_of_a_thousand_and_more_are_written_out_with_separators():
    # the real YOLOv8 weather run: "The gap widened 1.13e+03 % over that stretch". Three significant digits
    # by hand: 1,130.4 -> 1,130; 999.6 rounds to 1,000; 12,345 -> 12,300; a million and more stay in e-form
    from insight.formatting import fmt_num

    assert [fmt_num(v) for v in (1130.4, 999.6, 999.4, 12345, -4567.8, 999999, 2.5e6, 0.00123)] == [
        "1,130", "1,000", "999", "12,300", "-4,570", "1.00e+06", "2.50e+06", "0.00123"]
