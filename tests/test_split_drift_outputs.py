"""Split drift end to end: the --fail-on drift level, --drift-threshold (flag and settings file), the
insight.json key, page 1 and the section (all of report.html's comparisons, the worst few in print).
The dataset is tests.builders.drifting_boxes: car's box area differs with KS D = 0.5 (worked out there)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from insight.analysis.build import build_insight
from insight.cli import main
from insight.config import Config
from insight.errors import UsageError
from insight.gate import fired, parse_fail_on, refuse_unreachable
from insight.report.html import render_html
from insight.report.serialize import insight_dict
from tests.builders import drifting_boxes


@pytest.fixture(scope="module")
def drifting():
    return build_insight(drifting_boxes(), None)


def test_drift_fires_at_warning_or_worse(drifting):
    reasons = fired(drifting, parse_fail_on("drift"))
    # car box area (D 0.5) and all classes' box area (D 0.607) are errors; car's boxes per image are all "1"
    assert len(reasons) == 1 and reasons[0].startswith("drift: 2 class/property comparison(s) differ between train and val")
    # threshold 0.7: bands note 0.35, warning 0.7: both differences are notes only, and drift does not fire
    notes = build_insight(drifting_boxes(), None, Config(drift_threshold=0.7))
    assert {t.severity for t in notes.split_drift.differing} == {"info"}
    assert fired(notes, parse_fail_on("drift")) == []


def test_drift_needs_a_dataset():
    with pytest.raises(UsageError, match="--fail-on drift can never fire here"):
        refuse_unreachable(parse_fail_on("drift"), {}, dataset=False, duplicates=False, run=True)


def test_insight_json_has_the_key_only_when_computed(drifting):
    doc = insight_dict(drifting)
    assert doc["split_drift"]["reference"] == "train" and doc["split_drift"]["other"] == "val"
    first = doc["split_drift"]["tests"][0]
    assert (first["class_name"], first["property"], first["verdict"], first["severity"]) == \
        (None, "box_area", "differs", "error")
    assert "reference" not in first and "other" not in first  # the histograms are for the report only
    assert doc["split_drift"]["finding"]["code"] == "split_drift"
    train_only = replace(drifting, split_drift=None)
    assert "split_drift" not in insight_dict(train_only)


def test_page_one_and_the_section(drifting):
    screen, printed = render_html(drifting, "screen"), render_html(drifting, "print")
    for html in (screen, printed):
        assert 'href="#split-drift"' in html  # page 1 points at the section
        assert '<section id="split-drift"' in html
    assert 'id="fig-split-drift"' in screen and 'id="fig-split-drift"' not in printed  # histograms on screen only
    assert "How it is judged" in screen and "How it is judged:" not in printed


def test_flag_and_settings_file(tmp_path, capsys):
    dataset = tmp_path / "data"
    (dataset / "images" / "train").mkdir(parents=True)
    assert main(["scan", str(dataset), "--drift-threshold", "0"]) == 2
    assert "--drift-threshold" in capsys.readouterr().err
    (dataset / "insight.toml").write_text("drift-threshold = 2\n")  # the settings file beside the dataset
    assert main(["scan", str(dataset)]) == 2
    err = capsys.readouterr().err
    assert "drift-threshold" in err and "insight.toml" in err


# --- the summary line names only the properties compared ------------------------------------------------

def test_classification_compares_image_size_only():
    # Worked out by hand: a classification dataset has tags only (no box, no mask), so the only properties
    # split_drift can test are image width and height, over all images (no class of its own): one property
    # in words, "image size", and no per-class comparison.
    from insight.report.sections.split_drift import build_split_drift
    from tests.builders import classification
    insight = build_insight(classification({"train": {"cat": 40, "dog": 40}, "val": {"cat": 40, "dog": 40}}), None)
    ctx = build_split_drift(insight.split_drift)
    assert ctx.properties == ("image size",) and ctx.per_class is False
    screen, printed = render_html(insight, "screen"), render_html(insight, "print")
    assert "Train and val compared on image size:" in screen
    assert "Train vs val (image size):" in printed
    for html in (screen, printed):  # the summary line (the section's first paragraph) names nothing else
        line = html.split('<section id="split-drift"')[1].split("</p>")[0]
        assert "box" not in line and "mask" not in line and "per class" not in line.lower()
    # image sizes are KS tests only: no chi-square test, no Jensen-Shannon distance is named anywhere
    assert ctx.binned is False
    assert "KS D;" in printed and "JS distance" not in printed
    assert "whose effect size D runs from 0" in screen and "chi-square" not in screen


def test_detection_compares_boxes_and_image_size(drifting):
    # Worked out by hand: drifting_boxes is a detection dataset (boxes, no masks; every image 100x100), so
    # split_drift tests box area, aspect ratio (box shape) and boxes per image, per class and over all
    # classes, and image width and height: no mask area.
    from insight.report.sections.split_drift import build_split_drift
    ctx = build_split_drift(drifting.split_drift)
    assert ctx.properties == ("box area", "box shape", "boxes per image", "image size") and ctx.per_class is True
    screen, printed = render_html(drifting, "screen"), render_html(drifting, "print")
    assert "Per class, train and val compared on box area, box shape, boxes per image and image size:" in screen
    assert "Train vs val per class (box area, box shape, boxes per image, image size):" in printed
    for html in (screen, printed):
        assert "mask" not in html.split('<section id="split-drift"')[1].split("</p>")[0]
    # boxes per image are binned counts: the chi-square test and its JS distance are named
    assert ctx.binned is True
    assert "KS D or JS distance;" in printed and "chi-square test of homogeneity" in screen
