"""Split drift (insight/stats/drift.py). Expected values are worked out by hand in the comments; where
scipy happens to be installed it is used as an independent check (it is not a dependency of insight)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from insight.model import Dataset
from tests.builders import drifting_boxes
from insight.stats import drift
from insight.stats.drift import (Sample, benjamini_hochberg, chi2_homogeneity, chi2_sf, compare_samples,
                                 js_distance, kolmogorov_sf, ks_statistic, ks_test, severity, split_drift)


def test_ks_d_by_hand_on_tiny_samples():
    # a = 1,2,3 and b = 2,4. ECDFs at 1: 1/3 vs 0; at 2: 2/3 vs 1/2; at 3: 1 vs 1/2; at 4: 1 vs 1. D = 1/2.
    assert ks_statistic([1, 2, 3], [2, 4]) == pytest.approx(0.5)
    # ties across samples: a = 1,1,2 and b = 1,2,2. At 1: 2/3 vs 1/3; at 2: 1 vs 1. D = 1/3.
    assert ks_statistic([1, 1, 2], [1, 2, 2]) == pytest.approx(1 / 3)
    assert ks_statistic([5, 6], [7, 8]) == 1.0  # nothing in common
    assert ks_statistic([1, 2], []) == 0.0


def test_ks_d_against_the_definition_on_tied_random_samples():
    """D by its definition, sup over every value of |F_a(x) - F_b(x)| with F counted by a Python
    comprehension, on samples with many ties (values rounded to one decimal), unsorted on input."""
    rng = np.random.default_rng(3)
    for n, m in [(40, 7), (300, 120), (5, 500)]:
        a, b = rng.normal(size=n).round(1), rng.normal(0.3, size=m).round(1)
        by_definition = max(abs(sum(v <= x for v in a) / n - sum(v <= x for v in b) / m)
                            for x in np.concatenate([a, b]))
        assert ks_statistic(a, b) == pytest.approx(by_definition, abs=1e-12)


def test_kolmogorov_distribution_by_hand():
    # Q(1) = 2 (e^-2 - e^-8 + e^-18 - ...) = 2 (0.1353353 - 0.0003355 + 0.0000000) = 0.2699996
    assert kolmogorov_sf(1.0) == pytest.approx(0.2699996, abs=1e-7)
    # Q(2) = 2 (e^-8 - e^-32) = 0.00067093
    assert kolmogorov_sf(2.0) == pytest.approx(0.00067093, rel=1e-4)
    assert kolmogorov_sf(0.0) == 1.0


def test_ks_p_value_uses_stephens_lambda():
    # n = m = 60: ne = 30, sqrt(ne) = 5.4772; D = 0.5: lambda = (5.4772 + 0.12 + 0.11 / 5.4772) * 0.5 = 2.8086;
    # Q(2.8086) = 2 e^(-2 * 2.8086^2) = 2 e^-15.777 = 2.83e-7
    a = np.r_[np.full(30, 1.0), np.full(30, 4.0)]
    b = np.r_[np.full(30, 4.0), np.full(30, 16.0)]
    d, p = ks_test(a, b)
    assert d == pytest.approx(0.5)
    assert p == pytest.approx(2.83e-7, rel=0.01)


def test_chi_square_by_hand():
    # 2 x 2 table [[10, 20], [20, 10]]: every expected count is 15; chi2 = 4 * 5^2 / 15 = 6.667, df = 1;
    # p = P(|Z| > sqrt(6.667) = 2.582) = 0.00982
    stat, df, p = chi2_homogeneity([10, 20], [20, 10])
    assert (stat, df) == (pytest.approx(20 / 3), 1)
    assert p == pytest.approx(0.00982, abs=2e-5)
    # a bin empty in both splits is dropped: the same table with an empty third bin
    assert chi2_homogeneity([10, 20, 0], [20, 10, 0])[:2] == (pytest.approx(20 / 3), 1)
    assert chi2_homogeneity([5, 0], [7, 0]) == (0.0, 0, 1.0)  # one bin: nothing to compare
    # even df closed form: df = 2, P(X > x) = e^(-x/2); x = 4.60517 -> 0.1
    assert chi2_sf(4.60517, 2) == pytest.approx(0.1, rel=1e-5)
    # df = 3, x = 7.814728 is the 95 % point of chi-square(3) (printed tables)
    assert chi2_sf(7.814728, 3) == pytest.approx(0.05, rel=1e-5)


def test_js_distance_by_hand():
    assert js_distance([1, 0], [0, 1]) == pytest.approx(1.0)
    assert js_distance([3, 5], [6, 10]) == 0.0
    # p = (1, 0), q = (1/2, 1/2): m = (3/4, 1/4); KL(p||m) = log2(4/3) = 0.41504; KL(q||m) = 0.5 log2(2/3) +
    # 0.5 log2(2) = 0.20752; JS = (0.41504 + 0.20752) / 2 = 0.31128; distance = sqrt = 0.55793
    assert js_distance([4, 0], [1, 1]) == pytest.approx(0.55793, abs=1e-5)


def test_benjamini_hochberg_by_hand():
    # sorted p 0.01, 0.03, 0.04, 0.2 times 4/rank: 0.04, 0.06, 0.0533, 0.2; running minimum from the
    # right: 0.04, 0.0533, 0.0533, 0.2 -> back in the given order
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.2])
    assert q == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.2])


def test_severity_bands():
    assert [severity(e, 0.2) for e in (0.05, 0.1, 0.19, 0.2, 0.39, 0.4)] == \
        [None, "info", "info", "warning", "warning", "error"]


def test_independent_check_against_scipy():
    stats = pytest.importorskip("scipy.stats", reason="scipy not installed: the hand-worked cases above stand")
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=300), rng.normal(0.2, size=250)
    d, p = ks_test(a, b)
    ref = stats.ks_2samp(a, b, method="asymp")
    assert d == pytest.approx(ref.statistic)
    assert p == pytest.approx(ref.pvalue, rel=0.05)  # Stephens' correction moves it a little
    for x, df in ((3.2, 1), (7.5, 4), (12.1, 5), (30.0, 9)):
        assert chi2_sf(x, df) == pytest.approx(stats.chi2.sf(x, df), rel=1e-9)
    assert list(benjamini_hochberg([0.01, 0.04, 0.03, 0.2, 0.5])) == \
        pytest.approx(stats.false_discovery_control([0.01, 0.04, 0.03, 0.2, 0.5]))


def _sample(name, prop, a, b):
    return Sample(name, prop, np.asarray(a, dtype=float), np.asarray(b, dtype=float))


def test_compare_samples_worst_first_with_guard_and_correction():
    big_a = np.r_[np.full(30, 1.0), np.full(30, 4.0)]
    big_b = np.r_[np.full(30, 4.0), np.full(30, 16.0)]
    found = [
        _sample("car", "box_area", big_a, big_b),  # D = 0.5, ne = 30: judged; 0.5 >= 2 * 0.2: error
        _sample("car", "aspect_ratio", np.ones(60), np.ones(60)),  # D = 0: the same
        _sample("dog", "box_area", [1.0] * 60, [9.0] * 10),  # D = 1 but ne = 600 / 70 = 8.6 < 30: too few
        # boxes per image, binned: 60 vs 60 images in bins "1" and "2" swapped: JS distance of shares
        # (3/4, 1/4) vs (1/4, 3/4): m = (1/2, 1/2), KL = 0.75 log2 1.5 + 0.25 log2 0.5 = 0.18872; distance 0.43443
        _sample("car", "boxes_per_image", [0, 45, 15, 0, 0, 0, 0], [0, 15, 45, 0, 0, 0, 0]),
    ]
    result = compare_samples(found, "train", "val", threshold=0.2)
    order = [(t.class_name, t.property, t.verdict, t.severity) for t in result.tests]
    assert order == [("car", "box_area", "differs", "error"), ("car", "boxes_per_image", "differs", "error"),
                     ("car", "aspect_ratio", "same", None), ("dog", "box_area", "too few to judge", None)]
    per_image = result.tests[1]
    assert per_image.effect == pytest.approx(0.43443, abs=1e-5)
    assert per_image.test == "chi2" and per_image.n_effective == 30.0  # 60 * 60 / 120: just judged
    # the guard: dog has no p-value and no q-value; the three judged tests share one BH family of m = 3
    dog = result.tests[3]
    assert (dog.p_value, dog.q_value, dog.n_effective) == (None, None, pytest.approx(600 / 70))
    p = [t.p_value for t in result.tests[:3]]
    assert [t.q_value for t in result.tests[:3]] == pytest.approx(list(benjamini_hochberg(p)))
    assert result.finding.code == "split_drift" and result.finding.count == 2
    assert result.finding.severity == "error" and result.too_few == 1


def test_a_raised_threshold_turns_the_difference_into_a_note():
    a = np.r_[np.full(30, 1.0), np.full(30, 4.0)]
    b = np.r_[np.full(30, 4.0), np.full(30, 16.0)]
    # D = 0.5: with threshold 0.8 the bands are note 0.4, warning 0.8, error 1.6
    result = compare_samples([_sample("car", "box_area", a, b)], "train", "val", threshold=0.8)
    assert result.tests[0].severity == "info"
    # with threshold 1.0 (note from 0.5): still a note; the band's lower edge counts
    assert compare_samples([_sample("car", "box_area", a, b)], "train", "val", 1.0).tests[0].severity == "info"


def test_split_drift_on_a_dataset_by_hand():
    result = split_drift(drifting_boxes())
    by = {(t.class_name, t.property): t for t in result.tests}
    car = by[("car", "box_area")]
    assert (car.n_reference, car.n_other, car.effect, car.verdict, car.severity) == (60, 60, 0.5, "differs", "error")
    assert car.reference.counts == (0, 30, 0, 30, 0, 0)  # 1 % in [0.16, 1.44), 4 % in [2.56, 10.24)
    assert by[("person", "box_area")].verdict == "too few to judge"
    assert by[("car", "aspect_ratio")].verdict == "same"  # every box is square
    assert by[(None, "image_width")].effect == 0.0  # every image is 100 px wide
    # all boxes: train 30 x 1 %, 30 x 4 %, 60 x 1 % (person) = 90 x 1 %, 30 x 4 %; val 30 x 4 %, 30 x 16 %, 10 x 1 %.
    # ECDF at 1 %: 90/120 = 0.75 vs 10/70 = 0.1429; at 4 %: 1 vs 40/70; D = 0.75 - 0.1429 = 0.6071
    assert by[(None, "box_area")].effect == pytest.approx(0.75 - 10 / 70)
    assert result.tests[0].severity == "error"


def test_no_held_out_split_means_no_comparison():
    ds = drifting_boxes()
    train_only = Dataset(root="mem", task="detection", format="test", classes=ds.classes,
                         images=ds.images[ds.images["split"] == "train"], labels=ds.labels[ds.labels["split"] == "train"])
    assert split_drift(train_only) is None


def test_property_words_cover_every_property():
    assert set(drift.PROPERTIES) == {"box_area", "aspect_ratio", "boxes_per_image", "mask_area", "image_width",
                                     "image_height"}
    assert math.isclose(drift.DEFAULT_DRIFT_THRESHOLD, 0.2)


def test_mask_area_per_image_containing_the_class():
    # road covers 10 % of 30 train images and 20 % of 30 more; 20 % of 30 val images and 40 % of 30 more:
    # at 10 %: 1/2 vs 0; at 20 %: 1 vs 1/2: D = 0.5, ne = 30. Images without road are not values.
    images, labels = [], []
    for split, pcts in (("train", [10.0] * 30 + [20.0] * 30), ("val", [20.0] * 30 + [40.0] * 30)):
        for k, pct in enumerate(pcts + [0.0] * 5):
            image_id = f"{split}/{k}"
            images.append({"image_id": image_id, "split": split, "path": image_id, "width": 10.0, "height": 10.0})
            if pct:
                labels.append({"image_id": image_id, "split": split, "class": "road", "kind": "mask", "x": 0.0,
                               "y": 0.0, "w": 10.0, "h": 10.0, "area": pct, "area_pct": pct})
    import pandas as pd

    ds = Dataset(root="mem", task="segmentation", format="test", classes=("road",),
                 images=pd.DataFrame(images), labels=pd.DataFrame(labels))
    test = next(t for t in split_drift(ds).tests if t.property == "mask_area")
    assert (test.class_name, test.n_reference, test.n_other, test.effect) == ("road", 60, 60, 0.5)
    assert test.severity == "error"
