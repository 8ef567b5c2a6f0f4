"""What a reviewer reads: page 1 is the answer, a run without validation loss is never called fine,
classes without labels are one line, charts fit their content, each point is said once, nothing
internal is printed. Expected texts and numbers are worked out by hand in the comments (the builders'
numbers in tests/report/builders.py's docstring)."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

import insight.charts.classes as chart_classes
import insight.report.sections.curves as curve_section
from insight.analysis.messages import message_for
from insight.charts.classes import class_charts
from insight.charts.curves import spike_cut
from insight.model.findings import Finding
from insight.model.insight import CurveDiagnosis
from insight.report.html import render_context, render_html
from insight.report.sections import build_report_context
from insight.report.sections.answer import build_answer, headline
from insight.report.sections.curves import TRAIN_ONLY_NOTE, build_curves
from insight.report.sections.leakage import build_leakage
from insight.report.sections.summary import build_summary
from tests.report import builders

# --- a log without validation loss ------------------------------------------------------------------


def test_a_run_judged_on_training_loss_only_is_never_shown_as_fine():
    train_only = replace(builders.curves(scenario="A"), judged_on="train")
    html = render_html(builders.pets_insight(curves=train_only))
    assert "going well" not in html and "scenario tone-good" not in html
    assert 'class="scenario tone-unjudged"' in html
    assert TRAIN_ONLY_NOTE in html.split('id="summary"')[0]  # page 1 says it, and why
    judged = render_html(builders.pets_insight(curves=builders.curves(scenario="A")))
    assert "Curve A: training is going well" in judged and "scenario tone-good" in judged


def test_the_missing_validation_loss_is_said_in_the_scenario_box_only():
    said = builders.finding("missing_loss", "warning", "The log holds no validation loss: log it.", missing=["val"])
    curves = replace(builders.curves(scenario="A"), judged_on="train",
                     findings=(said,) + builders.curves().findings)
    insight = builders.pets_insight(curves=curves)
    ctx = build_report_context(insight)
    assert ctx.curves.view.judged_note == "The log holds no validation loss: log it."
    assert "missing_loss" not in [f.code for f in ctx.curves.findings]
    assert "curve-missing_loss" not in [line.target for line in ctx.answer.rest]
    # page 1 and the curves section each show the box once
    assert render_html(insight, "print").count("The log holds no validation loss: log it.") == 2


# --- classes without labels ------------------------------------------------------------------------

# dog 15 + 5, cat 8 + 2, ghost and moth none: N = 30, K = 4, cutoff = ceil(0.75 * 30 / 4) = ceil(5.625)
# = 6; dog 20 and cat 10 are well represented, ghost and moth (0) seriously under-represented with
# x = 7 labels to add each: 0 + 7 >= ceil(0.75 * 37 / 4) = ceil(6.94) = 7, while x = 6 gives
# 6 < ceil(0.75 * 36 / 4) = 7.
UNLABELLED = builders.representation({"dog": (15, 5), "cat": (8, 2), "ghost": (0, 0), "moth": (0, 0)},
                                     {"dog": ("well", 0), "cat": ("well", 0), "ghost": ("serious", 7),
                                      "moth": ("serious", 7)}, 6)


def test_declared_classes_without_labels_are_one_line_not_a_row_each():
    insight = builders.pets_insight(representation=UNLABELLED)
    summary = build_summary(UNLABELLED)
    assert summary.unlabelled == ("ghost", "moth") and summary.unlabelled_count == 2
    assert summary.to_add == ()  # no "add 7" row for ghost and moth
    chart = "".join(str(c.svg) for c in summary.charts)
    assert ">dog<" in chart and ">ghost<" not in chart
    html = render_html(insight, "print")
    section = html[html.index('id="summary"'):html.index('id="curves"')]
    assert section.count("2 declared classes have no labels: ghost and moth.") == 1
    assert ">ghost<" not in section.replace("ghost and moth", "")  # in that line only
    answer = build_answer(insight)
    assert answer.unlabelled == ("ghost", "moth") and answer.serious == ()


def test_the_verdict_names_classes_with_labels_and_counts_the_others_once():
    # the representation's verdict values: serious c (2 labels, add 16), a and b (no label, add 18
    # each); total 16 + 18 + 18 = 52
    verdict = Finding("underrepresented", "warning", 3, values={
        "serious": [{"name": "a", "count": 0, "to_add": 18}, {"name": "b", "count": 0, "to_add": 18},
                    {"name": "c", "count": 2, "to_add": 16}], "mild": [], "total_to_add": 52})
    assert message_for(verdict) == ("Fix first: c (add 16) is seriously under-represented. In all, add about "
                                    "52 labels, 18 to each of the 2 declared classes with no label if they are kept.")
    only_unlabelled = Finding("underrepresented", "warning", 1, values={
        "serious": [{"name": "a", "count": 0, "to_add": 7}], "mild": [], "total_to_add": 7})
    assert message_for(only_unlabelled) == ("Every class with labels reaches the cutoff threshold. In all, add "
                                            "about 7 labels, 7 of them to the declared class with no label if it "
                                            "is kept.")


def test_long_class_lists_in_split_findings_are_capped():
    classes = [{"name": f"c{i}", "train_share": 0.01, "val_share": 0.05} for i in range(31)]
    text = message_for(Finding("split_share_mismatch", "warning", 31, values={"classes": classes}))
    assert "c7 (1.0 % of train, 5.0 % of val) and 23 more." in text and "c8" not in text  # 31 - 8 = 23
    text = message_for(Finding("class_missing_from_val", "warning", 10,
                               values={"classes": [f"k{i}" for i in range(10)]}))
    assert "(k0, k1, k2, k3, k4, k5, k6, k7 and 2 more)" in text


# --- charts fit their content ----------------------------------------------------------------------


def series(values: dict[str, list[float]]) -> pd.DataFrame:
    rows = [{"x": float(i + 1), "split": split, "value": v} for split, vs in values.items() for i, v in enumerate(vs)]
    return pd.DataFrame(rows)


def test_a_single_spike_is_cut_off_the_axis_by_hand():
    # lowest value 1.9 (train, last). val 44.8 at x = 4 stands 42.9 above it, its higher neighbour 3
    # only 1.1: 42.9 > 3 x 1.1, a spike. Kept top: train's first value 6 (a first value is no spike);
    # 42.9 > 3 x (6 - 1.9) = 12.3, so the cut is worth it: 6 + 0.08 x max(6 - 1.9, 6) = 6.48.
    rows = series({"train": [6, 4, 3, 2.8, 2.6, 2.4, 2.2, 2.1, 2.0, 1.9],
                   "val": [5, 4, 3, 44.8, 3, 2.5, 2.4, 2.3, 2.2, 2.1]})
    assert spike_cut(rows) == pytest.approx(6.48)
    # a steep start (every point below its predecessor) and a blow-up at the end are no spikes
    assert spike_cut(series({"train": [14, 10.8, 7.8, 3, 2.9, 2.8, 2.7]})) is None
    assert spike_cut(series({"train": [3, 2.9, 2.8, 2.7, 2.6, 2.5, 90]})) is None


def test_the_cut_chart_says_so_and_marks_the_spike():
    table = series({"train": [6, 4, 3, 2.8, 2.6, 2.4, 2.2, 2.1, 2.0, 1.9],
                    "val": [5, 4, 3, 44.8, 3, 2.5, 2.4, 2.3, 2.2, 2.1]}).assign(name="loss", smoothed=math.nan)
    curves = CurveDiagnosis(format="csv", source="r.csv", scenario="B", losses=("loss",), table=table)
    (loss,) = build_curves(curves, None, ()).loss_charts
    assert "loss (axis cut at 6.48)" in loss.svg and ">44.8<" in loss.svg
    assert loss.caption == ("loss per epoch (train and val); star: best val value. The axis stops at 6.48 so that a "
                            "spike does not flatten the curve; 1 value above it is marked by a triangle with the value.")


def test_each_part_of_the_class_chart_has_its_own_scale(monkeypatch):
    # 45 classes: 100 labels, then 44, 43, ..., 1. Two parts of ceil(45 / 2) = 23 and 22 classes:
    # 100, 44..23 and 22..1. Cutoff 10: axis ends at 1.22 x max(100, 10) = 122 and 1.22 x 22 = 26.84.
    limits = []
    real = chart_classes.to_svg

    def spy(fig, key="chart", hover=()):
        limits.append(fig.axes[0].get_xlim()[1])
        return real(fig, key, hover)

    monkeypatch.setattr(chart_classes, "to_svg", spy)
    rows = pd.DataFrame({"name": [f"c{i}" for i in range(45)], "count": [100] + list(range(44, 0, -1)),
                         "share": 0.01, "tier": "well"})
    assert len(class_charts(rows, 10)) == 2
    assert limits == pytest.approx([122.0, 26.84])


def test_a_series_without_a_finite_value_is_named_not_drawn():
    table = builders.curve_table(epochs=5, names=("loss",), metrics=("accuracy", "recall"))
    table.loc[table["name"] == "recall", "value"] = math.nan
    ctx = build_curves(replace(builders.curves(table.loc[table["name"] != "recall"], losses=("loss",)), table=table),
                       None, ())
    assert [c.key for c in ctx.metric_charts] == ["metric-accuracy"]
    assert "No finite value was logged for recall: not drawn." in ctx.notes


def test_captions_say_what_is_drawn():
    table = builders.curve_table(epochs=5, names=("loss",), metrics=())
    train = table[table["split"] == "train"]
    curves = CurveDiagnosis(format="csv", source="r.csv", scenario="A", judged_on="train", losses=("loss",),
                            table=train)
    (loss,) = build_curves(curves, None, ()).loss_charts
    assert loss.caption == "loss per epoch (train); faint: raw values, solid: smoothed."  # no star: no val


def test_learning_rates_equal_at_every_x_are_one_line_the_others_told_apart(monkeypatch):
    seen = {}
    real = curve_section.metric_chart

    def spy(rows, title, *args, **kwargs):
        seen[kwargs.get("key")] = (sorted(rows["split"].unique()), kwargs.get("styled_series"))
        return real(rows, title, *args, **kwargs)

    monkeypatch.setattr(curve_section, "metric_chart", spy)
    x = np.arange(1, 6, dtype=float)
    rates = {"lr_pg0": 0.01 / x, "lr_pg1": 0.01 / x, "lr_pg2": 0.1 / x}  # pg2 ten times the others
    table = pd.DataFrame([{"x": xi, "split": "train", "name": n, "value": v, "smoothed": math.nan}
                          for n, vs in rates.items() for xi, v in zip(x, vs)])
    (chart,) = build_curves(CurveDiagnosis(format="csv", source="r.csv", scenario=None, table=table), None, ()).metric_charts
    assert chart.caption == ("Learning rate per epoch: lr_pg0 and lr_pg1, equal at every epoch (one line); lr_pg2. "
                             "Each distinct series has a line style of its own.")
    assert seen["metric-lr"] == (["lr_pg0 = lr_pg1", "lr_pg2"], True)


# --- values on hover (report.html), none in print ----------------------------------------------------


def test_charts_carry_their_values_as_titles_on_screen_only():
    ctx = build_report_context(builders.pets_insight())
    (chart,) = ctx.summary.charts
    # dog: 98 + 25 = 123 labels of 297 = 41.4 %
    assert "<title>dog: 123 labels (41.4 %), well represented</title>" in chart.screen_svg
    # fish: 11 labels (3.7 %), 55 to add
    assert "<title>fish: 11 labels (3.7 %), seriously under-represented, add 55</title>" in chart.screen_svg
    assert "<title>" not in chart.svg
    screen, printed = render_context(ctx, "screen"), render_context(ctx, "print")
    assert screen.count('<g class="hover"') > 0 and '<g class="hover"' not in printed


def test_hover_titles_escape_class_names():
    html = render_html(builders.hostile_insight())
    assert builders.XSS_NAME not in html
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;: 13 labels" in html  # 10 + 3


# --- page 1 ---------------------------------------------------------------------------------------


def test_page_one_puts_errors_first_and_one_line_for_the_rest():
    answer = build_answer(builders.pets_insight())
    assert [(line.severity, line.text, line.target) for line in answer.first] == [
        ("error", "2 image files could not be decoded.", "finding-image_unreadable")]
    # warnings before notes; within a severity the data findings (split, then health) before the curves
    assert [(line.severity, line.text, line.target) for line in answer.rest] == [
        ("warning", "fish makes up 3.8 % of train but 3.3 % of val.", "split-val_share_differs"),
        ("warning", "4 images appear in both train and val", "finding-duplicate_across_splits"),
        ("warning", "Both losses were still falling at the end.", "curve-not_converged"),
        ("info", "3 images have no label.", "finding-images_without_labels"),
        ("info", "Validation loss was best at epoch 18 of 30.", "curve-best_epoch_early")]
    # fish: serious, 11 labels, add 55; bird: mild, add 4 (builders' docstring)
    assert [(c.name, c.count, c.to_add) for c in answer.serious] == [("fish", 11, 55)]
    assert (answer.mild_count, answer.mild_to_add) == (1, 4)


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.hrefs = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href", "").startswith("#"):
            self.hrefs.append(attrs["href"][1:])


@pytest.mark.parametrize("medium", ["screen", "print"])
@pytest.mark.parametrize("make", [builders.pets_insight, builders.detection_curves_insight,
                                  builders.many_classes_insight, builders.curves_error_insight])
def test_every_link_of_the_report_has_its_target(make, medium):
    """The printed page numbers come from target-counter(attr(href), page): a link to a missing id
    would print no page."""
    links = Links()
    links.feed(render_html(make(), medium))
    assert links.hrefs and not [h for h in links.hrefs if h not in links.ids]


def test_headline_is_the_first_clause_outside_brackets():
    assert headline("3 classes have training labels but none in validation (a, b and c): the loss") == \
        "3 classes have training labels but none in validation (a, b and c)"
    assert headline("Accuracy ends 5.63 % below its best (the rule: 5 % or more): keep it.") == \
        "Accuracy ends 5.63 % below its best (the rule: 5 % or more)"
    assert headline("Still improving at the end: over the last 3 epochs") == "Still improving at the end"
    long = "word " * 60
    assert headline(long).endswith(" …") and len(headline(long)) <= 162


# --- said once, nothing internal -------------------------------------------------------------------


def test_not_inflated_only_where_train_was_compared_with_a_held_out_split():
    def insight(held_out):
        checked = Finding("duplicates_checked", "info", 1, values={"images": 10, "held_out": held_out},
                          message="Checked 10 images.")
        return builders.pets_insight(health=(checked,))

    assert build_leakage(insight([])).across is False
    assert "not inflated" not in render_html(insight([]))
    assert "not inflated" in render_html(insight(["val"]))


@pytest.mark.parametrize("medium", ["screen", "print"])
def test_nothing_internal_is_printed(medium):
    for make in (builders.pets_insight, builders.detection_curves_insight, builders.many_classes_insight):
        html = re.sub(r"<style>.*?</style>", " ", render_html(make(), medium), flags=re.S)
        text = re.sub(r"<[^>]+>", " ", html)  # the words a reader sees
        assert "DESIGN" not in text and "§" not in text
