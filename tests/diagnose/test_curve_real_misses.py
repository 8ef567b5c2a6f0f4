"""Each kind of miss seen on real public runs, as a hand-built series with its scenario worked out by hand.

Expected numbers come from the comments' arithmetic, checked with the statistics module (an independent
least-squares line) or plain Python; never from the code under test.
"""

from __future__ import annotations

import math
import statistics

import pytest

from insight.diagnose.curve_thresholds import CurveThresholds
from insight.diagnose.curve_trend import aligned
from insight.diagnose.curves import CurveContext, diagnose_run
from insight.diagnose.epochs import per_epoch
from tests.diagnose.curve_runs import noise_by_hand, run_of, smooth_by_hand


def codes(d):
    return [f.code for f in d.findings]


def found(d, code):
    return next(f for f in d.findings if f.code == code)


# -- several values at one step ------------------------------------------------------------------------------

def test_several_tensorboard_values_at_one_step_are_kept_and_averaged(tmp_path):
    # a trainer writes 3 per-batch train losses at each epoch's step (1-6) and one val loss: the reader
    # keeps all 18 train values, the diagnosis averages them per step: 5, 4, 3, 2.5, 2.2, 2.1 (the
    # middle value of each triple; the others are +-1 around it). The first value alone would read
    # 6, 3, 4, 1.5, 3.2, 1.1: a zigzag.
    pytest.importorskip("tensorboard")
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    from insight.logs import load_run

    means = [5, 4, 3, 2.5, 2.2, 2.1]
    val = [5.5, 4.5, 3.5, 3.0, 2.7, 2.6]
    writer = EventFileWriter(str(tmp_path))
    wall = 1.0
    for step, (m, v) in enumerate(zip(means, val), start=1):
        sign = 1 if step % 2 else -1
        for value in (m + sign, m, m - sign):
            wall += 1
            writer.add_event(Event(step=step, wall_time=wall, summary=Summary(
                value=[Summary.Value(tag="train/loss", simple_value=value)])))
        writer.add_event(Event(step=step, wall_time=wall, summary=Summary(
            value=[Summary.Value(tag="val/loss", simple_value=v)])))
    writer.close()
    run = load_run(tmp_path)
    assert len(run.series("loss", "train")) == 18
    table = per_epoch(run)
    assert table.totals["train"].y.tolist() == pytest.approx(means)
    assert any("several values logged at one step" in n for n in run.notes)


# -- train and val on different cadences ----------------------------------------------------------------------

def test_aligned_averages_the_denser_curve_into_the_sparser_ones_x():
    # train at epochs 2 and 4, val at 1-4: val's 1 and 2 go to x 2 (mean 9), 3 and 4 to x 4 (mean 5)
    x, train, val = aligned([2, 4], [1.0, 0.5], [1, 2, 3, 4], [10, 8, 6, 4])
    assert x.tolist() == [2, 4] and train.tolist() == [1.0, 0.5] and val.tolist() == [9, 5]


def test_six_sparse_train_points_ending_low_are_no_widening_gap():
    # Lightning: the train loss every ~16 epochs (6 single-batch values, the last a single low one), the
    # val loss every epoch at about 1000. Aligned on train's 6 epochs, val reads 1000 everywhere. A
    # least-squares line through log(train) against the epoch (statistics.linear_regression, below) falls
    # 83 %, but its slope is only 1.87 standard errors (residual sd 0.79 on 4 degrees of freedom) below 0:
    # under trend_z = 2, no trend beyond the noise -> not C. No other rule fires (no point doubles the
    # best before it, the smoothed end is far below the start) -> A.
    train_x, train = [16, 33, 49, 66, 83, 99], [1300, 1600, 2000, 1700, 1000, 150]
    logs = [math.log(v) for v in train]
    slope, icpt = statistics.linear_regression(train_x, logs)
    sd = math.sqrt(sum((v - icpt - slope * x) ** 2 for x, v in zip(train_x, logs)) / 4)
    mean_x = statistics.mean(train_x)
    z = -slope / (sd / math.sqrt(sum((x - mean_x) ** 2 for x in train_x)))
    assert z == pytest.approx(1.872, abs=1e-3) and z < 2
    val = [1000 + (5 if i % 2 else -5) for i in range(1, 100)]
    d = diagnose_run(run_of({"train/loss": train, "val/loss": val}, x={"train/loss": train_x}))
    assert d.scenario == "A"


def test_train_every_other_epoch_and_val_stalled_is_a_widening_gap_on_the_aligned_epochs():
    # train at even epochs 2-20 halving every 4 epochs (1.0 * 0.5^((e-2)/4)): from epoch 2 to 20 it falls
    # 1 - 0.5^4.5 = 95.6 %, a straight line on the log scale (no residual: z infinite). Val every epoch,
    # flat at 0.8, edging down 0.0001 an epoch (0.24 % over the run, its best at the last epoch, so early
    # stopping never stops and the never-came-back rule is silent): aligned on the even epochs it hardly
    # falls, and it is above train -> C by the widening gap, measured on 10 aligned points.
    train_x = list(range(2, 21, 2))
    train = [0.5 ** ((e - 2) / 4) for e in train_x]
    val = [0.8 - 0.0001 * i for i in range(1, 21)]
    d = diagnose_run(run_of({"train/loss": train, "val/loss": val}, x={"train/loss": train_x}))
    assert d.scenario == "C" and d.rule_finding.code == "overfit_gap_widens"
    v = d.rule_finding.values
    assert v["aligned"] and (v["train_points"], v["val_points"]) == (10, 20)
    assert v["train_fall_pct"] == pytest.approx(100 * (1 - 0.5 ** 4.5))


# -- noise at the end is not a rise ---------------------------------------------------------------------------

# 36 epochs: val falls to about 0.04 by epoch 16, then edges down in steps (six-epoch means 0.0394,
# 0.0377, 0.0350 over the last 18 epochs) with +-3 % alternating noise; the last two points are noisy
# highs (0.0371, 0.0372). Train levels off too (0.03 + 0.5 x 0.7^i: from epoch 16 it falls about 5 %).
HEAD = [0.2 * 0.9 ** i + 0.035 for i in range(16)]
TAIL = [m * (1.03 if i % 2 else 0.97) for m in (0.0400, 0.0394, 0.0377, 0.0350) for i in range(6)][:-2]
NOISY_END = HEAD + TAIL[-18:] + [0.0371, 0.0372]


def test_two_noisy_last_points_are_not_a_rise():
    # The end level is the mean of the last 4 points (10 % of 36): (0.0350 x 0.97 + 0.0350 x 1.03 + 0.0371 +
    # 0.0372) / 4 = 0.03608; the smoothed best is about 0.034 (the -3 % draws of the 0.0350 block
    # smoothed with their neighbours), so GL is about 5-7 % -- but the six-epoch means still fall, and the
    # noise (3 % alternating) raises the GL threshold to exp(3 x noise x share) - 1, well above that. The
    # last-point reading (0.0372 against 0.034, 9 %) is what called it C before -> A.
    train = [0.03 + 0.5 * 0.7 ** i for i in range(36)]
    d = diagnose_run(run_of({"train/loss": train, "val/loss": NOISY_END}))
    assert d.scenario != "C"
    blocks = [statistics.mean(NOISY_END[-18:][k:k + 6]) for k in (0, 6, 12)]
    assert blocks[0] > blocks[1] > blocks[2]  # still edging down, by six-epoch means


# A flat validation loss whose last three points happen to sit high. 20 epochs, sigma 0.5 point; val falls to
# about 1.0 by epoch 7 and wobbles +-3 % around it; train edges down 0.85 -> 0.824 from epoch 7.
FLAT_HEAD = [3.0, 2.2, 1.7, 1.4, 1.2, 1.08, 1.03, 0.98, 1.02, 0.97, 1.01, 0.99, 1.03, 0.96, 1.0, 1.02, 0.97]
EDGING_TRAIN = [3.0, 2.0, 1.5, 1.2, 1.0, 0.9] + [round(0.85 - 0.002 * k, 3) for k in range(14)]


@pytest.mark.parametrize("end, scenario", [([1.1, 1.12, 1.11], "A"), ([1.2, 1.22, 1.21], "C")])
def test_an_end_window_is_noisy_too(end, scenario):
    # GL compares the mean of the last 3 raw points with the smoothed best. Both carry noise: the smoothed
    # best keeps 0.8009 of the point-to-point noise (test_a_noisy_val_curve_needs_a_rise_beyond_its_noise_for_c
    # says why), the mean of 3 points 1 / sqrt(3) of it; as independent errors they add in quadrature, so
    # the threshold is exp(3 x noise x sqrt(0.8009^2 + 1/3)) - 1. Here the noise (noise_by_hand, the same
    # for both ends) is 5.43 %: the threshold is 17.4 %; with the smoothed best's noise alone it would be
    # 13.9 %. The smoothed best is 0.9717 (at epoch 14). End 1.11 on average: GL 14.2 %, above 13.9 % but
    # under 17.4 % -> A (C is named close). End 1.21: GL 24.5 % -> C by overfit_val_rises; train fell from
    # 0.836 at epoch 14 to 0.826 (1.2 % >= 1 %) but too little for a widening gap.
    val = FLAT_HEAD + end
    share = math.sqrt(1 + 2 * math.exp(-4) + 2 * math.exp(-16)) / (1 + 2 * math.exp(-2) + 2 * math.exp(-8))
    noise = noise_by_hand(val)
    threshold = 100 * math.expm1(3 * noise * math.sqrt(share ** 2 + 1 / 3))
    best = min(smooth_by_hand(val))
    gl = 100 * (statistics.mean(end) / best - 1)
    assert noise == pytest.approx(0.0543, abs=1e-4) and threshold == pytest.approx(17.45, abs=0.01)
    assert 100 * math.expm1(3 * noise * share) < 14.2 < threshold  # the old threshold would have called it C
    assert best == pytest.approx(0.9717, abs=1e-4)
    d = diagnose_run(run_of({"train/loss": EDGING_TRAIN, "val/loss": val}))
    assert d.scenario == scenario
    v = d.rule_finding.values
    assert v["gl"] == pytest.approx(gl) and v["threshold"] == pytest.approx(threshold) and v["window"] == 3
    if scenario == "A":
        assert found(d, "scenario_close").values["other_code"] == "overfit_val_rises"


# -- a blow-up judged by what it cost -------------------------------------------------------------------------

def test_early_blow_up_recovered_late_is_b():
    # A pretrained classifier: val loss 0.42 at epoch 1, 12.4 at epoch 4 (29.5x its best so far), then a
    # crawl back: it first reads below 0.42 again at epoch 31 of 40. Cost: (31 - 3) / (40 - 1) = 72 % of the
    # run (the blow-up starts at epoch 3, 1.2 > 2 x 0.42) >= 25 % -> B by diverged_blowup, however well it
    # ends (0.31 at epoch 40).
    val = [0.42, 0.6, 1.2, 12.4] + [1.0 - 0.02 * i for i in range(26)] + [0.41 - 0.011 * i for i in range(10)]
    train = [0.56, 0.59, 1.0, 1.7] + [0.9 - 0.015 * i for i in range(36)]
    assert val[30] < 0.42 <= min(val[4:30]) and len(val) == 40
    d = diagnose_run(run_of({"train/loss": train, "val/loss": val}))
    assert d.scenario == "B" and d.rule_finding.code == "diverged_blowup"
    v = d.rule_finding.values
    assert (v["split"], v["at"], v["back"], v["before"], v["peak"]) == ("val", 3, 31, 0.42, 12.4)
    assert v["cost_pct"] == pytest.approx(100 * 28 / 39)


def test_a_spike_recovered_at_once_is_not_b():
    # the same spike at epoch 4, back below 0.42 at epoch 6: cost (6 - 3) / 39 = 7.7 % < 25 % -> not B
    val = [0.42, 0.6, 1.2, 12.4, 0.5, 0.41] + [0.40 - 0.002 * i for i in range(34)]
    train = [0.56, 0.55, 0.6, 0.7] + [0.55 - 0.005 * i for i in range(36)]
    d = diagnose_run(run_of({"train/loss": train, "val/loss": val}))
    assert d.rule_finding.code != "diverged_blowup" and d.scenario != "B"


# -- validation never comes back ------------------------------------------------------------------------------

def test_val_best_early_never_returned_while_train_falls_is_c():
    # val best 3.65 at epoch 2 of 40, then about 3.9 (+-0.005 alternating) to the end; train falls from
    # 3.3 to 2.2 in a straight line. Early stopping (patience max(3, 10 % of 40) = 4) stops at epoch 6 and
    # saves (40 - 6) / 39 = 87 % of the run (>= 25 %). Since the best the gap widened by
    # (val end / smoothed val at epoch 2) x (smoothed train at epoch 2 / train end) - 1, the end levels being
    # the means of the last 4 points, far above Prechelt's 5 % (val's noise is a few tenths of a percent)
    # -> C by overfit_never_back.
    val = [3.8, 3.65] + [3.9 + (0.005 if i % 2 else -0.005) for i in range(38)]
    train = [3.3 - 1.1 * i / 39 for i in range(40)]
    d = diagnose_run(run_of({"train/loss": train, "val/loss": val}))
    assert d.scenario == "C" and d.rule_finding.code == "overfit_never_back"
    v = d.rule_finding.values
    assert (v["best"], v["best_x"], v["stop_x"], v["patience"]) == (3.65, 2, 6, 4)
    assert v["saved_pct"] == pytest.approx(100 * 34 / 39)
    val_at, train_at = smooth_by_hand(val, sigma=0.8)[1], smooth_by_hand(train, sigma=0.8)[1]  # 2 % of 40
    val_end, train_end = statistics.mean(val[-4:]), statistics.mean(train[-4:])
    assert v["widened_pct"] == pytest.approx(100 * ((val_end / val_at) * (train_at / train_end) - 1))
    assert v["train_fall_pct"] == pytest.approx(100 * (1 - train_end / train_at))
    assert v["threshold_pct"] == 5.0


# Validation bottoms out and creeps up a few percent while training keeps falling (three corpus runs):
# 40 epochs; val falls in a straight line 4.0 -> 3.5 (epochs 1-20), then creeps up 3 % in a straight line
# to 3.605 at epoch 40. GL against the smoothed best (about 3.5) is under 3 %: not Prechelt's GL_5.
CREEP_VAL = [4.0 - 0.5 * i / 19 for i in range(20)] + [3.5 * (1 + 0.03 * k / 20) for k in range(1, 21)]


def test_val_creeping_up_while_train_keeps_falling_is_c():
    # train falls 3.0 -> 2.4 in a straight line. Early stopping (patience 4) stops at epoch 24 and saves
    # (40 - 24) / 39 = 41 % of the run. Smoothed (sigma 0.8) at epoch 20: val about 3.51, train 2.708 (a
    # straight line smooths to itself); end levels (last 4 points): val 3.5 x (1 + 0.03 x 18.5 / 20) =
    # 3.597, train 3.0 - 0.6 x 37.5 / 39 = 2.423. The gap widened by (3.597 / 3.51) x (2.708 / 2.423) - 1,
    # about 14 %, over the 5 % threshold (the curves carry no noise), and train falls beyond its noise
    # since epoch 20 -> C by overfit_never_back, not A.
    train = [3.0 - 0.6 * i / 39 for i in range(40)]
    d = diagnose_run(run_of({"train/loss": train, "val/loss": CREEP_VAL}))
    assert d.scenario == "C" and d.rule_finding.code == "overfit_never_back"
    v = d.rule_finding.values
    assert (v["best"], v["best_x"], v["stop_x"]) == (3.5, 20, 24)
    val_at, train_at = smooth_by_hand(CREEP_VAL, sigma=0.8)[19], smooth_by_hand(train, sigma=0.8)[19]
    assert train_at == pytest.approx(3.0 - 0.6 * 19 / 39)
    val_end = statistics.mean(CREEP_VAL[-4:])
    assert val_end == pytest.approx(3.5 * (1 + 0.03 * 18.5 / 20))
    widened = (val_end / val_at) * (train_at / (3.0 - 0.6 * 37.5 / 39)) - 1
    assert 0.13 < widened < 0.15 and v["widened_pct"] == pytest.approx(100 * widened)
    assert "overfit_val_rises" not in codes(d)
    assert "best_epoch_early" not in codes(d)  # the rule's own text gives the early-stopping numbers


def test_train_fall_share_is_the_boundary_of_the_stall_rule():
    # the creeping val with train 3.0 -> 2.4 in a straight line: after val's best (epoch 20, train 2.7077)
    # train falls to its end level (the mean of the last 4 points, 3.0 - 0.6 x 37.5 / 39 = 2.4231); its
    # whole fall runs from the early level, the median of the first 4 points (10 % of 40), to that end:
    # the share is (2.7077 - 2.4231) / (early - 2.4231), about 51 %. C at a share threshold just under it,
    # A just over it.
    train = [3.0 - 0.6 * i / 39 for i in range(40)]
    early, end = statistics.median(train[:4]), statistics.mean(train[-4:])
    share = (smooth_by_hand(train, sigma=0.8)[19] - end) / (early - end)
    assert 0.5 < share < 0.52

    def scenario(limit):
        thresholds = CurveThresholds().override({"train_fall_share": limit})
        return diagnose_run(run_of({"train/loss": train, "val/loss": CREEP_VAL}),
                            CurveContext(thresholds=thresholds)).scenario

    assert scenario(share - 0.001) == "C" and scenario(share + 0.001) == "A"


def test_val_levelled_while_train_falls_12_percent_is_c():
    # 20 epochs. From epoch 7 both are exact geometric curves: train 1.6 -> 1.4 (a 12.5 % fall), val
    # 1.72 -> 1.70 (1.2 %, and still its best at the end: neither GL nor early stopping can see it).
    # Val levels off at epoch 7 (from there it stays within 2 % of its end), so the gap's stretch is epochs
    # 7-20; the least-squares lines through the logs are the curves themselves: train's log fall
    # ln(1.6 / 1.4) = 0.1335, val's ln(1.72 / 1.70) = 0.0117, under a quarter of train's; the gap widened
    # exp(0.1335 - 0.0117) - 1 = 12.96 % >= 5 % (GL_alpha) -> C by overfit_gap_widens. The training loss
    # makes (1.6 - 1.41) / (2.4 - 1.41), about 19 %, of its whole fall there (>= 10 %). (A fixed 20 %
    # training fall, the rule before, called this A: the run of a validation loss flat for 14 epochs.)
    train = [3.0, 2.4, 2.0, 1.8, 1.7, 1.65] + [1.6 * (1.4 / 1.6) ** (k / 13) for k in range(14)]
    val = [3.2, 2.5, 2.1, 1.9, 1.8, 1.75] + [1.72 * (1.70 / 1.72) ** (k / 13) for k in range(14)]
    d = diagnose_run(run_of({"train/loss": train, "val/loss": val}))
    assert d.scenario == "C" and d.rule_finding.code == "overfit_gap_widens"
    v = d.rule_finding.values
    assert v["since"] == 7 and v["points"] == 14
    assert v["widened_pct"] == pytest.approx(100 * math.expm1(math.log(1.6 / 1.4) - math.log(1.72 / 1.70)))
    assert v["train_fall_pct"] == pytest.approx(12.5) and 15 < v["train_share_pct"] < 22


def test_val_falling_a_third_as_fast_as_train_is_no_widening_gap():
    # the same run with val falling 1.72 -> 1.65 from epoch 7: log fall ln(1.72 / 1.65) = 0.0415, 31 % of
    # train's 0.1335 (> 25 %: validation still improves at a rate that counts), and still falling at its end
    # (its last 5 points fall 1 - (1.65 / 1.72)^(4 / 13) = 1.3 % >= 1 %) -> no C rule fires -> A
    train = [3.0, 2.4, 2.0, 1.8, 1.7, 1.65] + [1.6 * (1.4 / 1.6) ** (k / 13) for k in range(14)]
    val = [3.2, 2.5, 2.1, 1.9, 1.8, 1.75] + [1.72 * (1.65 / 1.72) ** (k / 13) for k in range(14)]
    d = diagnose_run(run_of({"train/loss": train, "val/loss": val}))
    assert d.scenario == "A"


def test_val_plateau_while_train_is_flat_too_is_a():
    # the same val, but train has levelled off at epoch 20 (it falls 0.5 % over the last 20 epochs): the
    # gap widened by about 2.5 % (val's end level 3.597 against its smoothed 3.509 at epoch 20) and 0.8 %
    # (train: smoothed 2.402 at epoch 20, end level 2.383), 3.4 % in all, < 5 % -> A, with
    # best_epoch_early (41 % saved)
    train = [3.0 - 0.6 * i / 19 for i in range(20)] + [2.4 * (1 - 0.005 * k / 20) for k in range(1, 21)]
    d = diagnose_run(run_of({"train/loss": train, "val/loss": CREEP_VAL}))
    assert d.scenario == "A"
    assert "best_epoch_early" in codes(d)


def test_val_creep_that_early_stopping_would_not_cut_is_a():
    # val best at epoch 35 of 40 (falls 4.0 -> 3.5 by epoch 35, then +0.5 % an epoch): patience 4 stops at
    # epoch 39 and saves 1 / 39 = 2.6 % (< 25 %) of the run; the late rise is 2.5 % at most (GL < 5 %) and
    # over the second half train falls 5 % while val, still falling until epoch 35, falls 4.5 % (the gap
    # hardly widens) -> A
    val = [4.0 - 0.5 * i / 34 for i in range(35)] + [3.5 * (1 + 0.005 * k) for k in range(1, 6)]
    train = [3.0 - 0.3 * i / 39 for i in range(40)]
    d = diagnose_run(run_of({"train/loss": train, "val/loss": val}))
    assert d.scenario == "A"
    close = [f for f in d.findings if f.code == "scenario_close"]
    assert not close or close[0].values["other_code"] != "overfit_never_back"


# A training loss near its floor: on a log scale it still falls 4x after validation levels off; on the
# chart people read it is level. 20 epochs; val falls 1.9 -> 0.07 by epoch 10 and then stays at 0.07 +- 0.001.
FLOOR_VAL = [1.9 * (0.07 / 1.9) ** (i / 9) for i in range(10)] + [0.07 + (0.001 if i % 2 else -0.001)
                                                                   for i in range(10)]


def test_a_train_loss_falling_at_its_floor_is_no_widening_gap():
    # train 2.4 -> 0.05 by epoch 10 (a straight line on the log scale), then 0.05 -> 0.0125 by epoch 20. Over
    # the second half it falls 75 %, far beyond ln 1.25, with val flat: by ratios alone a widening gap. But
    # its fall after val's best (epoch 11: 0.05 x 0.25^0.1 = 0.044 down to the end level, the mean of the
    # last 3 points, 0.05 x (0.25^0.8 + 0.25^0.9 + 0.25) / 3 = 0.0145) is under 2 % of the training loss's
    # whole fall (from the early level median(2.4, 1.56, 1.02) = 1.56): under train_fall_share (10 %) -> no
    # C rule fires -> A.
    train = [2.4 * (0.05 / 2.4) ** (i / 9) for i in range(10)] + [0.05 * 0.25 ** (k / 10) for k in range(1, 11)]
    assert statistics.median(train[:3]) == pytest.approx(2.4 * (0.05 / 2.4) ** (1 / 9))
    d = diagnose_run(run_of({"train/loss": train, "val/loss": FLOOR_VAL}))
    assert d.scenario == "A"


def test_the_same_fall_well_above_the_floor_is_c():
    # the same shape one level up: train 2.4 -> 0.6 by epoch 10, then 0.6 -> 0.15 (val flat at 0.7 from
    # epoch 10, its best 0.69 at epoch 11). From 0.6 x 0.25^0.1 = 0.52 at epoch 11 to its end level
    # 0.6 x (0.25^0.8 + 0.25^0.9 + 0.25) / 3 = 0.173, train falls 0.35: 18 % of its whole fall from
    # median(2.4, 2.06, 1.76) = 2.06 (>= 10 %): the gap widens -> C
    train = [2.4 * 0.25 ** (i / 9) for i in range(10)] + [0.6 * 0.25 ** (k / 10) for k in range(1, 11)]
    val = [1.9 * (0.7 / 1.9) ** (i / 9) for i in range(10)] + [0.7 + (0.01 if i % 2 else -0.01) for i in range(10)]
    d = diagnose_run(run_of({"train/loss": train, "val/loss": val}))
    assert d.scenario == "C"
    assert d.rule_finding.values["train_share_pct"] == pytest.approx(100 * (0.522 - 0.173) / (2.056 - 0.173), abs=1)


# -- quality metrics ------------------------------------------------------------------------------------------

def test_near_zero_map_and_a_spike_best_get_findings():
    # mAP50-95 never above 0.012 (< 0.05 of its range) -> metric_near_zero naming it; precision's best
    # 0.69 at epoch 4 stands 0.57 above its higher neighbour (0.12), which is >= half its range
    # (0.69 - 0.01 = 0.68; half is 0.34) -> metric_spike_best; next highest value 0.28 at epoch 10
    train = [3.0 - 0.1 * i for i in range(10)]
    val = [3.2 - 0.1 * i for i in range(10)]
    m = [0.001, 0.003, 0.005, 0.006, 0.008, 0.009, 0.010, 0.011, 0.012, 0.012]
    precision = [0.01, 0.05, 0.1, 0.69, 0.12, 0.15, 0.2, 0.22, 0.25, 0.28]
    d = diagnose_run(run_of({"train/loss": train, "val/loss": val, "val/mAP50_95": m, "val/precision": precision}))
    zero = found(d, "metric_near_zero")
    assert [(x["name"], x["best"]) for x in zero.values["metrics"]] == [("mAP50_95", 0.012)]
    assert "metric_spike_best" not in codes(d)  # precision is left to mAP when an mAP is logged
    d = diagnose_run(run_of({"train/loss": train, "val/loss": val, "val/precision": precision}))
    spike = found(d, "metric_spike_best")
    assert (spike.values["best"], spike.epoch, spike.values["next_best"], spike.values["next_best_x"]) == \
        (0.69, 4, 0.28, 10)
    assert [m.best for m in d.metrics if m.name == "precision"] == [0.69]  # the one best stays the raw one


# -- a close call is named ------------------------------------------------------------------------------------

def test_a_rise_just_short_of_its_threshold_names_c_as_close():
    # 9 points (too few to measure noise: the GL threshold stays Prechelt's 5 %). val falls to about 1.0
    # (its smoothed best, at epoch 6, sigma 0.5 point), then ends at 1.047 on average over its end window
    # (the 3 points after the best: 1.045, 1.047, 1.049): GL about 4.2 %, some 84 % of the 5 % it needs
    # (>= 75 %) -> A, with scenario_close naming C and the rule that came close. Train has made nearly all
    # of its fall (early level median(6, 4, 2.5) = 4 to its end level 0.94, the mean of the last 3 points)
    # and edges down 0.97 -> 0.925: from its smoothed 0.9824 at epoch 6 ((0.97 + e^-2 (1.1 + 0.955) +
    # e^-8 (1.6 + 0.94)) / (1 + 2e^-2 + 2e^-8)) it falls 4.3 % (>= the 1 % val_rises needs), but from the
    # gap's stretch (the last 5 points, from epoch 5: smoothed 1.140) it makes (1.140 - 0.94) / 3.06 = 6.5 %
    # of its whole fall, under train_fall_share's 10 %: no widening gap (a loss that has levelled is no
    # evidence of one).
    val = [3.0, 2.0, 1.5, 1.2, 1.002, 1.0, 1.045, 1.047, 1.049]
    train = [6.0, 4.0, 2.5, 1.6, 1.1, 0.97, 0.955, 0.94, 0.925]
    smoothed = smooth_by_hand(train)
    assert smoothed[5] == pytest.approx(0.9824, abs=1e-4) and smoothed[4] == pytest.approx(1.140, abs=1e-3)
    d = diagnose_run(run_of({"train/loss": train, "val/loss": val}))
    assert d.scenario == "A"
    close = found(d, "scenario_close")
    assert (close.values["other"], close.values["other_code"], close.values["fired"]) == \
        ("C", "overfit_val_rises", False)
    gl = 100 * (statistics.mean(val[-3:]) / min(smooth_by_hand(val)) - 1)
    assert close.values["reached_pct"] == pytest.approx(100 * gl / 5) and 75 <= 100 * gl / 5 < 100


# -- judged on training loss only -----------------------------------------------------------------------------

def test_a_log_without_val_loss_is_judged_on_train_only_and_never_called_fine():
    from insight.gate import fired, parse_fail_on
    from insight.model.insight import Insight
    from insight.analysis.build import word_curves

    d = word_curves(diagnose_run(run_of({"train/loss": [3.0 - 0.2 * i for i in range(12)]})))
    assert d.scenario == "A" and d.judged_on == "train"
    assert "fine" not in d.advice and "going well" not in d.advice
    assert "training loss only" in d.rule
    assert fired(Insight(curves=d), parse_fail_on("unjudged")) == [
        "unjudged: the log holds no validation loss, so the curves were judged on the training loss only "
        "(overfitting cannot be seen)"]
    both = diagnose_run(run_of({"train/loss": [3.0 - 0.2 * i for i in range(12)],
                                "val/loss": [3.1 - 0.2 * i for i in range(12)]}))
    assert both.judged_on == "train+val" and fired(Insight(curves=both), parse_fail_on("unjudged")) == []


# -- advice only where its premise holds ----------------------------------------------------------------------

GAP_TRAIN = [1.2, 0.4, 0.15, 0.1, 0.08, 0.06, 0.05, 0.04, 0.03, 0.025, 0.02, 0.018]
GAP_VAL = [1.1, 0.85, 0.8, 0.801, 0.799, 0.802, 0.8, 0.798, 0.801, 0.799, 0.8, 0.802]


@pytest.mark.parametrize("classes, known, expected, absent", [
    (("a", "b", "c", "d", "e", "f", "g"), True, "a, b, c, d, e and 2 more are under-represented", "g"),
    ((), True, None, "imbalance"),
    ((), False, "If some classes have few labels", "are under-represented"),
])
def test_c_advice_names_imbalance_only_where_classes_are_under_represented(classes, known, expected, absent):
    from insight.analysis.build import word_curves

    d = word_curves(diagnose_run(run_of({"train/loss": GAP_TRAIN, "val/loss": GAP_VAL}),
                                 CurveContext(underrepresented=classes, classes_known=known)))
    assert d.scenario == "C"
    if expected:
        assert expected in d.advice
    assert absent not in d.advice.split("Check class imbalance first: ")[-1][:20] if absent == "g" \
        else absent not in d.advice


# -- counters are not charted ---------------------------------------------------------------------------------

def test_counters_stay_out_of_the_table_and_metrics_and_are_named_once():
    run = run_of({"train/loss": [3.0 - 0.2 * i for i in range(8)], "train/roi_head/num_fg_samples": [30.0] * 8,
                  "train/momentum": [0.9] * 8, "train/lr": [0.01] * 8})
    d = diagnose_run(run)
    assert set(d.table["name"]) == {"loss", "lr"}
    assert [m.name for m in d.metrics] == ["loss"]
    assert [n for n in d.notes if "not charted" in n] == [
        "not charted (neither a loss, a quality metric nor the learning rate): momentum, roi_head/num_fg_samples"]


# -- a short run still improving, its validation too noisy to show a trend over 5 epochs ----------------------

def test_the_yolov8_fire_run_is_still_improving_not_levelled_off():
    # public log p11 (YOLOv8, 25 epochs, TensorBoard). Read apart from insight, record by record with
    # tensorboard's protobuf (the first value at a step, as the reader keeps it): the validation loss,
    # box + cls + dfl, is lowest at the last step, 25 (4.709). Its last 5 epochs zigzag down about 7 %,
    # under 2 standard errors of its noise, so its trend alone proves nothing; but early stopping
    # (patience max(3, ceil(0.1 x 25)) = 3) would not have stopped the run, and the training loss still
    # falls beyond its noise -> "Still improving at the end", and the verdict does not say "levelled off".
    pytest.importorskip("tensorboard")
    from insight.logs import load_run
    from tests.logs.test_realdata_other import raw_scalars
    from tests.realdata import realdata

    events = next(realdata("public_logs/p11_tb_yolov8_fire").glob("events.out.tfevents.*"))
    first: dict = {}
    for tag, step, value in raw_scalars(events):
        first.setdefault((tag, step), value)
    steps = sorted({s for t, s in first if t == "val/box_loss"})
    val = {s: sum(first[(f"val/{k}_loss", s)] for k in ("box", "cls", "dfl")) for s in steps}
    best_step = min(val, key=val.get)
    assert best_step == steps[-1] == 25
    d = diagnose_run(load_run(events.parent))
    assert d.scenario == "A" and d.rule_finding.values["levelled"] is False
    f = found(d, "not_converged")
    assert f.values["val_beyond_noise"] is False and f.values["patience"] == 3
    assert f.values["val_best_x"] == best_step and f.values["val_best"] == pytest.approx(val[best_step], rel=1e-6)
