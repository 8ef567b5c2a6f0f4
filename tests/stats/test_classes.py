"""Class representation (docs/numbers.md). Every expected number is worked out by hand in the comments."""

from __future__ import annotations

import pytest

from insight.config import Config
from insight.stats.classes import cutoff, labels_to_add, representation, tier
from tests.builders import classification


@pytest.mark.parametrize("counts, expected", [
    # DeepQ documentation examples: 0.75 * 297 / 4 = 55.69 -> 56; 0.75 * 347 / 4 = 65.06 -> 66;
    # 0.75 * 75 / 3 = 18.75 -> 19.
    ([123, 110, 53, 11], 56),
    ([123, 110, 61, 53], 66),
    ([25, 25, 25], 19),
    # exact: 0.75 * 400 / 4 = 75 exactly, no float fuzz pushing it to 76
    ([100, 100, 100, 100], 75),
])
def test_cutoff_reproduces_deepq_examples(counts, expected):
    assert cutoff(sum(counts), len(counts), 0.75) == expected


def test_tier_boundaries():
    # cutoff 56: at the cutoff is well; 55 is mild; 0.5 * 56 = 28 is still mild; 27 is serious.
    assert tier(56, 56, 0.5) == "well"
    assert tier(55, 56, 0.5) == "mild"
    assert tier(28, 56, 0.5) == "mild"
    assert tier(27, 56, 0.5) == "serious"
    # odd cutoff 57: half is 28.5, so 29 is mild and 28 serious
    assert tier(29, 57, 0.5) == "mild"
    assert tier(28, 57, 0.5) == "serious"
    # a class with no label is serious, even when the cutoff is 0
    assert tier(0, 0, 0.5) == "serious"


def test_labels_to_add_against_rising_cutoff():
    # bird: 53 of 297. x=3 -> 56 vs ceil(0.75*300/4 = 56.25) = 57: short. x=4 -> 57 vs ceil(56.44) = 57: ok.
    assert labels_to_add(53, 297, 4, 0.75) == 4
    # fish: 11 of 297. x=54 -> 65 vs ceil(0.75*351/4 = 65.81) = 66: short. x=55 -> 66 vs 66: ok.
    assert labels_to_add(11, 297, 4, 0.75) == 55
    # a well represented class needs nothing
    assert labels_to_add(123, 297, 4, 0.75) == 0
    # zero of 100 over 2 classes: x >= ceil(0.75*(100+x)/2) -> x=60 gives 60 >= ceil(60) ok, x=59: 59 < 60
    assert labels_to_add(0, 100, 2, 0.75) == 60


def test_pets_representation_by_hand():
    # 80/20 split of dog 123, cat 110, bird 53, fish 11 (any split gives the same totals)
    ds = classification({"train": {"dog": 98, "cat": 88, "bird": 42, "fish": 9},
                         "val": {"dog": 25, "cat": 22, "bird": 11, "fish": 2}})
    rep = representation(ds)
    assert (rep.cutoff, rep.total) == (56, 297)
    by_name = {c.name: c for c in rep.classes}
    assert {n: c.tier for n, c in by_name.items()} == {"dog": "well", "cat": "well", "bird": "mild",
                                                        "fish": "serious"}
    assert {n: c.to_add for n, c in by_name.items()} == {"dog": 0, "cat": 0, "bird": 4, "fish": 55}
    assert by_name["fish"].by_split == {"train": 9, "val": 2}
    assert by_name["dog"].share_pct == pytest.approx(100 * 123 / 297)
    assert rep.verdict.code == "underrepresented"
    assert [c["name"] for c in rep.verdict.values["serious"]] == ["fish"]
    assert [c["name"] for c in rep.verdict.values["mild"]] == ["bird"]
    assert rep.verdict.values["total_to_add"] == 59


def test_declared_class_with_zero_images_is_serious():
    ds = classification({"train": {"a": 10, "b": 10}, "val": {"a": 2, "b": 2}}, classes=["a", "b", "empty"])
    rep = representation(ds)
    empty = [c for c in rep.classes if c.name == "empty"][0]
    # N = 24, K = 3: cutoff ceil(0.75*24/3) = 6; x >= (0.75*24 - 0)/(3 - 0.75) = 8
    assert (empty.count, empty.tier, empty.to_add, rep.cutoff) == (0, "serious", 8, 6)
    assert empty.by_split == {"train": 0, "val": 0}


def test_balanced_verdict():
    rep = representation(classification({"train": {"a": 20, "b": 20, "c": 20}, "val": {"a": 5, "b": 5, "c": 5}}))
    assert rep.verdict.code == "balanced"
    assert all(c.tier == "well" for c in rep.classes)


def test_one_split_dataset_says_validation_is_missing():
    rep = representation(classification({"train": {"a": 5, "b": 5}}))
    assert [f.code for f in rep.split_findings] == ["no_validation_split"]


def test_split_checks_missing_and_shifted_classes():
    # train shares: a 50/100, b 40/100, c 10/100; val: a 10/20, b 10/20, c 0
    # c is missing from val; b: |0.4 - 0.5| = 0.1 <= 0.5 * 0.5 -> not shifted; a equal.
    rep = representation(classification({"train": {"a": 50, "b": 40, "c": 10}, "val": {"a": 10, "b": 10}},
                                        classes=["a", "b", "c"]))
    codes = {f.code: f for f in rep.split_findings}
    assert codes["class_missing_from_val"].values["classes"] == ["c"]
    assert "split_share_mismatch" not in codes
    # shifted: train a 90 %, b 10 %; val a 40 %, b 60 %: b |0.1-0.6| = 0.5 > 0.3, a |0.9-0.4| = 0.5 > 0.45
    rep = representation(classification({"train": {"a": 90, "b": 10}, "val": {"a": 40, "b": 60}}))
    shifted = [f for f in rep.split_findings if f.code == "split_share_mismatch"][0]
    assert sorted(c["name"] for c in shifted.values["classes"]) == ["a", "b"]
    assert shifted.values["classes"][0] | {} == {"name": "a", "train_share": 0.9, "val_share": 0.4,
                                                 "train": 90, "val": 40}


def test_a_share_difference_needs_enough_labels_to_go_by():
    # The same shares with 10 val labels: a expects 0.9 * 10 = 9 val labels and has 4, b expects 1 and has 6:
    # neither reaches SPLIT_SHARE_MIN_COUNT (10), so the 50-point swing is not a finding.
    rep = representation(classification({"train": {"a": 90, "b": 10}, "val": {"a": 4, "b": 6}}))
    assert not [f for f in rep.split_findings if f.code == "split_share_mismatch"]
    # 20 val labels: a expects 18 (has 8), b expects 2 but has 12 (>= 10): both are compared and differ.
    rep = representation(classification({"train": {"a": 90, "b": 10}, "val": {"a": 8, "b": 12}}))
    shifted = [f for f in rep.split_findings if f.code == "split_share_mismatch"][0]
    assert [c["name"] for c in shifted.values["classes"]] == ["a", "b"]
    # c: 5 train of 100, 12 val of 100: expects 5, has 12 -> compared; a 95 -> 88 differs by 7 points only
    rep = representation(classification({"train": {"a": 95, "c": 5}, "val": {"a": 88, "c": 12}}))
    shifted = [f for f in rep.split_findings if f.code == "split_share_mismatch"][0]
    assert [c["name"] for c in shifted.values["classes"]] == ["c"]


def test_the_missing_split_is_named_right():
    # val and test but no train (a Roboflow export whose train folder was left behind)
    rep = representation(classification({"val": {"a": 5}, "test": {"a": 3}}))
    assert [(f.code, f.values["splits"]) for f in rep.split_findings] == [("no_training_split", ["val", "test"])]
    # test only: both are missing, validation first
    rep = representation(classification({"test": {"a": 3}}))
    assert [f.code for f in rep.split_findings] == ["no_validation_split", "no_training_split"]


def test_classes_with_validation_labels_but_no_training_labels_are_a_warning():
    rep = representation(classification({"train": {"a": 5}, "val": {"a": 2, "b": 1, "c": 4}}))
    found = {f.code: f for f in rep.split_findings}["class_missing_from_train"]
    assert found.severity.value == "warning" and found.count == 2 and found.values["classes"] == ["b", "c"]


def test_options_change_the_cutoff_and_tiers():
    ds = classification({"train": {"a": 60, "b": 30, "c": 10}})
    # factor 1.0: cutoff ceil(100/3) = 34; b 30 is mild at serious factor 0.5 (>= 17), c 10 serious
    rep = representation(ds, Config(cutoff_factor=1.0, serious_factor=0.5))
    assert rep.cutoff == 34
    assert [c.tier for c in rep.classes] == ["well", "mild", "serious"]
    # serious factor 0.9: 0.9 * 34 = 30.6 -> b 30 becomes serious
    rep = representation(ds, Config(cutoff_factor=1.0, serious_factor=0.9))
    assert [c.tier for c in rep.classes] == ["well", "serious", "serious"]


def test_verdict_names_at_most_eight_classes_per_tier():
    from insight.analysis.messages import message_for

    # 10 classes with 1 image and one with 100: N = 110, K = 11, cutoff ceil(0.75 * 110 / 11) = 8;
    # the ten 1-image classes are serious (1 < 4).
    ds = classification({"train": {**{f"c{i}": 1 for i in range(10)}, "big": 100}})
    text = message_for(representation(ds).verdict)
    assert text.startswith("Fix first the 10 seriously under-represented classes: c0 (add ")
    assert "and 2 more." in text and "c8" not in text
