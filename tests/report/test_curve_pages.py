"""Training-curve pages from small hand-made runs: best marks on a step axis, quality metrics on a linear
axis, all-zero loss components left out of the metric charts, and the smoothing statement per split.

Each test builds a `Run`, runs the real diagnosis (diagnose_run) and section (build_curves), and reads the
section context and what the section handed to the chart functions (rows, marks, allow_log) and the
matplotlib axes those functions ended with (y scale, title, legend labels). Expected values are worked
out by hand in the comments.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pandas as pd
import pytest

import insight.charts.curves as chart_curves
import insight.report.sections.curves as section
from insight.charts.curves import Mark, metric_chart, uses_log_scale
from insight.diagnose.curves import diagnose_run
from insight.model.insight import Insight
from insight.report.sections.curves import CurvesContext, build_curves
from insight.report.sections.how_to_read import build_how_to_read
from tests.diagnose.curve_runs import run_of, smooth_by_hand


@pytest.fixture
def drawn(monkeypatch) -> dict[str, dict]:
    """key -> what the chart of that key was drawn from: rows, title, x_label, marks, allow_log (the
    section's call of loss_chart / metric_chart), and yscale, axes_title, labels (the axes as they were
    when the figure was turned into SVG). The real chart functions still run."""
    seen: dict[str, dict] = {}

    def spy(real):
        signature = inspect.signature(real)

        def call(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            seen.setdefault(bound.arguments["key"], {}).update(bound.arguments)
            return real(*args, **kwargs)
        return call

    for name in ("loss_chart", "metric_chart"):
        monkeypatch.setattr(section, name, spy(getattr(section, name)))
    real_to_svg = chart_curves.to_svg

    def to_svg(fig, key="chart", hover=()):
        ax = fig.axes[0]
        seen.setdefault(key, {}).update(yscale=ax.get_yscale(), axes_title=ax.get_title(loc="left"),
                                        labels=ax.get_legend_handles_labels()[1])
        return real_to_svg(fig, key, hover)

    monkeypatch.setattr(chart_curves, "to_svg", to_svg)
    return seen


def page(run) -> CurvesContext:
    return build_curves(diagnose_run(run), None, ())


def smoothing_statement(run) -> str:
    """How the curves were smoothed, as the how-to-read page states it (said once, there)."""
    return build_how_to_read(Insight(curves=diagnose_run(run))).smoothing


def all_loss_keys(ctx: CurvesContext) -> list[str]:
    """The loss charts: the first full width, the others two a row."""
    return [c.key for c in ctx.loss_charts + ctx.loss_grid]


# A TensorBoard-like YOLOv5 run logged per step (no epochs): steps 10, 20, ..., 120.
STEPS = [10 * i for i in range(1, 13)]
TRAIN_LOSS = [2.0, 1.5, 1.2, 1.0, 0.9, 0.85, 0.8, 0.78, 0.76, 0.75, 0.74, 0.73]
VAL_LOSS = [2.1, 1.6, 1.3, 1.1, 1.0, 0.95, 0.93, 0.92, 0.925, 0.93, 0.94, 0.95]
# mAP50 starts at 0.001, peaks at 0.858 (5th value: step 50) and ends at 0.8 (step 120)
MAP50 = [0.001, 0.2, 0.5, 0.7, 0.858, 0.85, 0.84, 0.83, 0.82, 0.81, 0.805, 0.8]


def step_run(**extra: list[float]):
    series = {"train/loss": TRAIN_LOSS, "val/loss": VAL_LOSS, "val/mAP50": MAP50, **extra}
    return run_of(series, x={k: STEPS for k in series}, axis="step")


# --- (1) the best value is marked on a step axis too ---------------------------------------------------------

def test_metric_chart_marks_the_best_value_on_a_step_axis(drawn):
    ctx = page(step_run())
    assert ctx.x_axis == "step"
    assert "the log has no epochs: the curves are read per step" in ctx.notes
    # star at mAP50's best, 0.858 at step 50; circle at its last value, 0.8 at step 120 (only val logs it)
    mAP = drawn["metric-mAP50"]
    assert mAP["x_label"] == "step"
    assert mAP["marks"] == [Mark("val", "best", 50.0, 0.858), Mark("val", "last", 120.0, 0.8)]
    assert "val best: 0.858 at 50" in mAP["labels"]  # the star reached the axes, with its legend entry
    (row,) = [m for m in ctx.metrics if m.name == "mAP50"]
    assert (row.split, row.best, row.best_epoch, row.last) == ("val", 0.858, 50.0, 0.8)


def test_metric_chart_marks_train_and_val_best_on_a_step_axis(drawn):
    # accuracy of both splits: train best 0.9 at step 120 (its last value too), val best 0.7 at step 60
    train_acc = [0.1, 0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.82, 0.85, 0.87, 0.88, 0.9]
    val_acc = [0.1, 0.3, 0.45, 0.6, 0.65, 0.7, 0.69, 0.68, 0.68, 0.67, 0.66, 0.66]
    page(step_run(**{"train/accuracy": train_acc, "val/accuracy": val_acc}))
    marks = drawn["metric-accuracy"]["marks"]
    assert [m for m in marks if m.kind == "best"] == [Mark("train", "best", 120.0, 0.9),
                                                      Mark("val", "best", 60.0, 0.7)]
    assert [m for m in marks if m.kind == "last"] == [Mark("train", "last", 120.0, 0.9),
                                                      Mark("val", "last", 120.0, 0.66)]


# --- (2) quality metrics stay on a linear y axis ----------------------------------------------------------------

# a lower-is-better metric that falls 250-fold (50 / 0.2): not a quality metric, so it may go on a log axis
MAE = [50.0, 20.0, 8.0, 3.0, 1.5, 1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2]


def test_quality_metric_is_drawn_on_a_linear_axis(drawn):
    # mAP50 spans 0.858 / 0.001 = 858, more than LOG_SPAN = 100: by the span alone it would be log
    assert uses_log_scale(pd.Series(MAP50))
    page(step_run(**{"val/mae": MAE}))
    mAP = drawn["metric-mAP50"]
    assert mAP["allow_log"] is False
    assert mAP["yscale"] == "linear" and mAP["axes_title"] == "mAP50"  # no "(log scale)"
    # the control: mae (lower is better) spans 250 > 100 and keeps the log axis
    mae = drawn["metric-mae"]
    assert mae["allow_log"] is True
    assert mae["yscale"] == "log" and mae["axes_title"] == "mae (log scale)"


def test_metric_chart_allow_log_false_keeps_the_axis_linear(drawn):
    rows = pd.DataFrame({"x": [10.0, 20.0, 30.0], "split": ["val"] * 3, "value": [0.001, 0.5, 0.858],
                         "smoothed": [0.001, 0.5, 0.858]})  # span 858 > 100
    metric_chart(rows, "mAP50", "step", key="lin", allow_log=False)
    metric_chart(rows, "mAP50", "step", key="log")
    assert (drawn["lin"]["yscale"], drawn["lin"]["axes_title"]) == ("linear", "mAP50")
    assert (drawn["log"]["yscale"], drawn["log"]["axes_title"]) == ("log", "mAP50 (log scale)")


# --- (3) all-zero loss components are not charted as metrics ----------------------------------------------------

# A single-class YOLOv5 run per epoch (1..12): no total logged, cls_loss 0 throughout
BOX_TRAIN = [0.1, 0.09, 0.08, 0.075, 0.07, 0.066, 0.062, 0.06, 0.058, 0.056, 0.055, 0.054]
BOX_VAL = [0.11, 0.1, 0.092, 0.086, 0.081, 0.078, 0.075, 0.073, 0.072, 0.071, 0.0705, 0.07]
ZEROS = [0.0] * 12


def test_all_zero_components_are_left_out_of_charts_and_table(drawn):
    ctx = page(run_of({"train/box_loss": BOX_TRAIN, "train/cls_loss": ZEROS, "val/box_loss": BOX_VAL,
                       "val/cls_loss": ZEROS, "val/mAP50": MAP50}))
    assert ctx.x_axis == "epoch"
    assert any(n.startswith("train/cls_loss, val/cls_loss are 0 throughout") for n in ctx.notes)
    # losses: the total (the sum of box_loss alone) and box_loss; metrics: mAP50 only, no cls_loss chart
    assert all_loss_keys(ctx) == ["loss-loss", "loss-box_loss"]
    assert [c.key for c in ctx.metric_charts] == ["metric-mAP50"]
    assert not {k for k in drawn if "cls_loss" in k}
    assert {(m.name, m.split) for m in ctx.metrics} == {
        ("loss", "train"), ("loss", "val"), ("box_loss", "train"), ("box_loss", "val"), ("mAP50", "val")}
    # the total is box_loss + nothing: val's is best at epoch 12 (0.07)
    (val_total,) = [m for m in ctx.metrics if (m.name, m.split) == ("loss", "val")]
    assert (val_total.best, val_total.best_epoch) == (0.07, 12.0)


def test_a_component_zero_in_one_split_only_is_left_out_of_that_split(drawn):
    # train/cls_loss is 0 throughout, val/cls_loss is measured: cls_loss stays a loss chart with val only
    cls_val = [0.05, 0.045, 0.04, 0.037, 0.035, 0.034, 0.033, 0.034, 0.035, 0.036, 0.037, 0.038]
    ctx = page(run_of({"train/box_loss": BOX_TRAIN, "train/cls_loss": ZEROS, "val/box_loss": BOX_VAL,
                       "val/cls_loss": cls_val}))
    assert any(n.startswith("train/cls_loss is 0 throughout") for n in ctx.notes)
    assert "loss-cls_loss" in all_loss_keys(ctx)
    assert set(drawn["loss-cls_loss"]["rows"]["split"]) == {"val"}
    assert ctx.metric_charts == ()  # no metric logged; cls_loss is not one
    # only val has a cls_loss row: best 0.033 at epoch 7, last 0.038
    cls = [(m.split, m.best, m.best_epoch, m.last) for m in ctx.metrics if m.name == "cls_loss"]
    assert cls == [("val", 0.033, 7.0, 0.038)]


# --- (4) the smoothing statement names each split's kernel width when they differ ---------------------------

def test_smoothing_statement_names_each_split_width(drawn):
    # per-iteration train loss at steps 1..800, val every 20 steps (20, 40, ..., 800: 40 points), no epochs:
    # sigma = 2 % of the points: 0.02 * 800 = 16 for train, 0.02 * 40 = 0.8 for val (above the 0.5 minimum)
    train_steps = list(range(1, 801))
    val_steps = list(range(20, 801, 20))
    train = [2 * math.exp(-s / 300) + 0.2 + 0.05 * math.sin(s) for s in train_steps]
    val = [2 * math.exp(-s / 300) + 0.3 for s in val_steps]
    run = run_of({"train/loss": train, "val/loss": val},
                 x={"train/loss": train_steps, "val/loss": val_steps}, axis="step")
    ctx, statement = page(run), smoothing_statement(run)
    assert ctx.x_axis == "step"
    # worded as a phrase (it read "(sigma 16 points for train, 0.8 points for val)" before)
    assert "sigma 16 logged steps for train and 0.8 for val (2 % of each split's logged steps, at least 0.5)" in statement
    assert "sigma = " not in statement and "NaN/inf" not in statement
    # the widths named are the ones the loss chart's smoothed lines were drawn with
    rows = drawn["loss-loss"]["rows"]
    for split, values, sigma in (("train", train, 16.0), ("val", val, 0.8)):
        part = rows[rows["split"] == split].sort_values("x")
        np.testing.assert_allclose(part["smoothed"].to_numpy(), smooth_by_hand(values, sigma), rtol=1e-12)


def test_smoothing_statement_gives_one_width_when_the_splits_agree():
    # train 20 points, val 10 (steps 2, 4, ..., 20): 0.02 * 20 = 0.4 and 0.02 * 10 = 0.2 are both raised to
    # the 0.5 minimum, so the widths agree and one is named, though the point counts differ
    train = [2.0 * 0.9 ** i + 0.2 for i in range(20)]
    val = [2.1 * 0.85 ** i + 0.3 for i in range(10)]
    statement = smoothing_statement(run_of({"train/loss": train, "val/loss": val},
                                           x={"train/loss": list(range(1, 21)), "val/loss": list(range(2, 21, 2))},
                                           axis="step"))
    assert "sigma 0.5 logged steps (2 % of the logged steps, at least 0.5)" in statement  # "(sigma 0.5 points here)" before
    assert "for train" not in statement and "for val" not in statement


def test_smoothing_statement_counts_the_nan_points_the_lines_are_drawn_over(drawn):
    # 800 train points of which 50 are NaN: the smoothed line is drawn over all 800 (NaN left out of each
    # average), so sigma = 0.02 * 800 = 16, not 0.02 * 750 = 15
    steps = list(range(1, 801))
    train = [float("nan") if s % 16 == 0 else 2 * math.exp(-s / 300) + 0.2 for s in steps]
    assert sum(math.isnan(v) for v in train) == 50
    val = [2 * math.exp(-s / 300) + 0.3 for s in range(20, 801, 20)]
    run = run_of({"train/loss": train, "val/loss": val}, x={"train/loss": steps, "val/loss": list(range(20, 801, 20))},
                 axis="step")
    page(run)  # draws the charts
    assert "sigma 16 logged steps for train and 0.8 for val" in smoothing_statement(run)
    part = drawn["loss-loss"]["rows"]
    part = part[part["split"] == "train"].sort_values("x")
    np.testing.assert_allclose(part["smoothed"].to_numpy(), smooth_by_hand(train, 16.0), rtol=1e-12)


# --- (5) a total loss logged under another name is named as logged ---------------------------------------

def _detectron2_run(tmp_path):
    """A Detectron2 metrics.json written line by line, as its JSONWriter does: 30 records, iterations
    19, 39, ..., 599, total_loss falling from 2.0 with loss_cls half of it."""
    import json

    from insight.logs import detectron2
    path = tmp_path / "output" / "metrics.json"
    path.parent.mkdir()
    records = [{"iteration": 20 * i + 19, "total_loss": 2.0 * 0.95 ** i, "loss_cls": 0.95 ** i, "lr": 0.01}
               for i in range(30)]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return detectron2.read(path)


def test_detectron2_total_loss_is_named_as_logged(tmp_path):
    from insight.report.serialize import insight_dict
    from insight.report.text import curves_text
    run = _detectron2_run(tmp_path)
    diagnosis = diagnose_run(run)
    # the tidy tables keep the canonical name; the report says what the log says: total_loss
    assert set(run.metrics.loc[run.metrics["source"] == "total_loss", "name"]) == {"loss"}
    assert "loss" in set(diagnosis.table["name"]) and diagnosis.logged_names == {"loss": "total_loss"}
    ctx = build_curves(diagnosis, None, ())
    assert [m.name for m in ctx.metrics][:2] == ["total_loss", "loss_cls"]  # "loss", "loss_cls" before
    assert ctx.loss_charts[0].caption.startswith("total_loss per step (train)")
    assert ctx.loss_charts[0].key == "loss-loss"  # keys and anchors keep the canonical name
    assert "train/total_loss: best" in curves_text(Insight(curves=diagnosis))
    # insight.json keeps `loss` (the documented canonical name) and does not carry the report's naming
    doc = insight_dict(Insight(curves=diagnosis, generated_at="2026-01-01T00:00:00Z"))
    assert [m["name"] for m in doc["curves"]["metrics"]][0] == "loss" and "logged_names" not in doc["curves"]


def test_plain_loss_and_split_spellings_keep_the_name_loss():
    # Keras-like loss / val_loss: spelled "loss" in both splits once the split word is taken off
    from dataclasses import replace
    run = run_of({"train/loss": [2.0, 1.5, 1.2, 1.0, 0.9, 0.85], "val/loss": [2.1, 1.6, 1.3, 1.1, 1.0, 0.95]})
    run = replace(run, metrics=run.metrics.assign(source=run.metrics["split"].map({"train": "loss", "val": "val_loss"})))
    diagnosis = diagnose_run(run)
    assert diagnosis.logged_names == {}
    assert build_curves(diagnosis, None, ()).metrics[0].name == "loss"
