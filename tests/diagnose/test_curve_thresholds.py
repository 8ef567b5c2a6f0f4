"""CurveThresholds: overriding a number moves the decision at its boundary, and bad overrides are refused.

Expected values are worked out by hand below (the smoother is the independent one in curve_runs.py)."""

from __future__ import annotations

import math

import pytest

from insight.diagnose.curve_rules import CurveThresholds
from insight.diagnose.curves import CurveContext, diagnose_run
from tests.diagnose.curve_runs import run_of, smooth_by_hand

A2, A8 = math.exp(-2), math.exp(-8)  # gaussian weights of the neighbours 1 and 2 away at sigma 0.5

# 13 epochs -> sigma = max(0.5, 2 % of 13) = 0.5, kernel radius ceil(1.5) = 2.
# Train has made most of its fall and edges down: early level median(16, 12, 10) = 12, end level (the mean of
# the last 3 points) (8.3 + 8.25 + 8.2) / 3 = 8.25. It is straight from epoch 6 on, where the smoother keeps
# every value, so smoothed at epoch 10 (index 9) it reads 8.35: after val's best it fell
# (8.35 - 8.25) / 8.35 = 1.2 % (>= 1 %: train still falls, as overfit_val_rises needs). Over the gap's
# stretch (the second half, from epoch 7: val has not levelled off before) a line through log(train)
# falls ln(8.5 / 8.2) = 3.6 %, short of a 4 % widening (and only (8.5 - 8.25) / (12 - 8.25) = 6.7 % of its
# whole fall, under train_fall_share's 10 %), so the widening-gap rule stays silent; no rise, rebound,
# oscillation or spike either.
TRAIN = [16, 12, 10, 9.2, 8.8, 8.6, 8.5, 8.45, 8.4, 8.35, 8.3, 8.25, 8.2]
# Val's smoothed minimum is at epoch 10 (index 9), its raw minimum (10.0) too:
#   (10.0 + e^-2 (10.05 + 10.1) + e^-8 (10.15 + 10.2)) / (1 + 2e^-2 + 2e^-8) = 12.73383 / 1.27134 = 10.0161
# (its neighbours: index 8 gives 10.0554, index 10 about 10.10; the head is far higher). The best comes
# 3 epochs before the end, which is the patience early stopping waits here (max(3, 10 % of 13)): early
# stopping would save nothing, so the never-came-back rule stays silent and GL alone decides.
VAL_HEAD = [20, 15, 12, 10.8, 10.5, 10.35, 10.25, 10.15, 10.05, 10.0, 10.1, 10.2]


def _val_at_gl(gl_pct: float) -> list[float]:
    """VAL_HEAD plus the last point L that puts the end level, the mean of the last 3 points (10 % of 13,
    at least 3), at (1 + gl) x the smoothed minimum: (10.1 + 10.2 + L) / 3 = target, solved for L
    (GL 4 %: L = 10.950)."""
    best = min(smooth_by_hand(VAL_HEAD + [10.9])[:-2])  # the last point cannot reach index 9
    target = best * (1 + gl_pct / 100)
    return VAL_HEAD + [3 * target - VAL_HEAD[-1] - VAL_HEAD[-2]]


def _diagnose(**overrides):
    thresholds = CurveThresholds().override(overrides)
    return diagnose_run(run_of({"train/loss": TRAIN, "val/loss": _val_at_gl(4.0)}),
                        CurveContext(thresholds=thresholds))


def test_gl_of_4_percent_is_a_by_default():
    d = _diagnose()  # Prechelt GL_5: 4 % < 5 %
    assert d.scenario == "A" and d.rule_finding.code == "converged"
    assert d.rule_finding.values["gl"] == pytest.approx(4.0)
    assert d.rule_finding.values["alpha"] == 5.0
    assert not any(n.startswith("threshold") for n in d.notes)


def test_gl_of_4_percent_is_c_with_gl_alpha_3():
    d = _diagnose(gl_alpha=3)
    assert d.scenario == "C" and d.rule_finding.code == "overfit_val_rises"
    assert d.rule_finding.values["gl"] == pytest.approx(4.0)
    assert d.rule_finding.values["alpha"] == 3.0  # the report states the number the rule used
    assert d.rule_finding.epoch == 10  # val's raw minimum, the best the table shows (the smoothed one too)
    assert "threshold gl_alpha set to 3 (default 5)" in d.notes


def test_gl_alpha_boundary_is_inclusive():
    # GL >= alpha fires: exactly 4 at alpha 4 is C, just above (4.01) it is not
    assert _diagnose(gl_alpha=4).scenario == "C"
    assert _diagnose(gl_alpha=4.01).scenario == "A"


def test_min_points_moves_insufficient_data():
    # 4 epochs: fewer than the default 5 points to judge; enough when min_points is 4
    run = run_of({"train/loss": [4.0, 3.0, 2.5, 2.4], "val/loss": [4.1, 3.2, 2.7, 2.6]})
    d = diagnose_run(run)
    assert d.scenario is None and d.rule_finding.code == "insufficient_data"
    assert (d.rule_finding.values["points"], d.rule_finding.values["min_points"]) == (4, 5)
    d = diagnose_run(run, CurveContext(thresholds=CurveThresholds().override({"min_points": 4})))
    assert d.scenario in ("A", "B", "C", "D") and d.rule_finding.code != "insufficient_data"


def test_smoothing_width_override_reaches_the_table_and_the_description():
    # 10 points: default sigma max(0.5, 0.2) = 0.5; with min_sigma 1 it is 1.0 (radius 3)
    train = [10.0, 6.0, 7.0, 3.0, 2.5, 2.6, 2.0, 1.0, 0.9, 0.85]
    d = diagnose_run(run_of({"train/loss": train}),
                     CurveContext(thresholds=CurveThresholds().override({"min_sigma": 1})))
    rows = d.table[(d.table["name"] == "loss") & (d.table["split"] == "train")]
    assert list(rows["smoothed"]) == pytest.approx(smooth_by_hand(train, 1.0))
    # 10 epochs: 2 % of 10 = 0.2, raised to the minimum 1 (worded "sigma 1 points here" before)
    assert d.smoothing.startswith("gaussian, centred, sigma 1 logged epoch (2 % of the logged epochs, at least 1);")


def test_override_returns_a_checked_copy():
    base = CurveThresholds()
    changed = base.override({"gl_alpha": 3, "min_points": 4.0})
    assert (changed.gl_alpha, changed.min_points) == (3.0, 4)
    assert isinstance(changed.min_points, int)
    assert base.gl_alpha == 5.0  # frozen default untouched
    assert changed.changes() == ("threshold min_points set to 4 (default 5)",
                                 "threshold gl_alpha set to 3 (default 5)")


@pytest.mark.parametrize("pairs, expected", [
    ({"gl_alfa": 3}, "unknown curve threshold 'gl_alfa'; valid names: min_points, "),
    ({"gl_alpha": -1}, "gl_alpha must be a number >= 0"),
    ({"gl_alpha": float("nan")}, "gl_alpha must be a number >= 0"),
    ({"gl_alpha": "abc"}, "gl_alpha must be a number >= 0"),
    ({"min_points": 2.5}, "min_points must be a whole number >= 1"),
    ({"min_points": 0}, "min_points must be a whole number >= 1"),
    ({"osc_rate": 1.5}, "osc_rate must be a number between 0 and 1"),
    ({"min_sigma": 0}, "min_sigma must be a number > 0"),
])
def test_bad_overrides_are_one_line_value_errors(pairs, expected):
    with pytest.raises(ValueError) as err:
        CurveThresholds().override(pairs)
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_unknown_name_lists_every_valid_name():
    with pytest.raises(ValueError) as err:
        CurveThresholds().override({"nope": 1})
    assert all(name in str(err.value) for name in CurveThresholds.names())
    assert "gl_alpha=5" in CurveThresholds.defaults_text()
