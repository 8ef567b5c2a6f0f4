"""The gaussian smoother against its definition written out by hand (tests/diagnose/curve_runs.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from insight.diagnose.smoothing import describe, gaussian, sigma_for
from tests.diagnose.curve_runs import NAN, smooth_by_hand


def test_sigma_is_two_percent_of_the_points_and_at_least_half_a_point():
    assert sigma_for(10) == 0.5  # 2 % of 10 = 0.2 -> the minimum 0.5
    assert sigma_for(600) == pytest.approx(12.0)  # 2 % of 600


def test_matches_the_definition():
    values = [10.0, 6.0, 7.0, 3.0, 2.5, 2.6, 2.0, 1.0]
    assert list(gaussian(np.array(values))) == pytest.approx(smooth_by_hand(values, 0.5))


def test_constant_stays_constant_and_a_line_is_kept_inside():
    assert list(gaussian(np.full(7, 2.0))) == pytest.approx([2.0] * 7)
    line = gaussian(np.arange(10.0), 1.0)
    # a symmetric kernel keeps a straight line where all 3 sigma neighbours exist (indexes 3..6)
    assert list(line[3:7]) == pytest.approx([3.0, 4.0, 5.0, 6.0])


def test_nan_and_inf_are_left_out_and_stay_nan():
    out = gaussian(np.array([1.0, NAN, 3.0, math.inf, 5.0]))
    assert math.isnan(out[1]) and math.isnan(out[3])
    assert list(out[[0, 2, 4]]) == pytest.approx([smooth_by_hand([1.0, NAN, 3.0, NAN, 5.0])[i] for i in (0, 2, 4)])


def test_short_series():
    assert list(gaussian(np.array([4.0]))) == [4.0]
    assert gaussian(np.array([])).size == 0


def test_description_names_the_method():
    assert "gaussian" in describe(20) and "0.5" in describe(20)


def test_description_names_each_split_width_when_they_differ():
    # 800 per-iteration train points: sigma 2 % of 800 = 16; 40 val points: 2 % of 40 = 0.8
    # (worded by formatting.fmt_smoothing: it read "(sigma 16 points for train, 0.8 points for val)" and
    # "(sigma 0.5 points here)" before, the raw setting appended)
    text = describe({"train": 800, "val": 40}, unit="step")
    assert "sigma 16 logged steps for train and 0.8 for val (2 % of each split's logged steps, at least 0.5)" in text
    # both at the 0.5 minimum: 2 % of 20 = 0.4
    assert "sigma 0.5 logged steps (2 % of the logged steps, at least 0.5)" in describe({"train": 20, "val": 20},
                                                                                        unit="step")


def test_description_reads_as_a_phrase():
    # 40 epochs: sigma = max(0.5, 2 % of 40) = 0.8 (by hand); one epoch is one logged point here
    assert describe(40, unit="epoch") == ("gaussian, centred, sigma 0.8 logged epochs (2 % of the logged epochs, "
                                          "at least 0.5); NaN and infinite values are left out of each average")
    # 50 epochs: 2 % of 50 = 1: "1 logged epoch", singular
    assert "sigma 1 logged epoch (" in describe(50, unit="epoch")
