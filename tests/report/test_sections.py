"""Section contexts: what the templates are given, worked out by hand on tiny inputs."""

from __future__ import annotations

import dataclasses
import inspect
import math
from dataclasses import dataclass

import jinja2
import numpy as np
import pandas as pd
import pytest

import insight.report.sections as sections
from insight.report.html import environment
from insight.report.sections import data_stats, tables
from insight.report.sections.curves import _best_val_mark, _last_marks, build_curves, metric_names
from insight.report.sections.data_stats import DataPartSpec, build_parts, distribution_frame
from insight.resources import template_loader
from tests.report import builders


def test_distribution_shares_per_split():
    frame = distribution_frame(builders.pets_insight().representation).set_index(["class", "split"])
    # train: 98 + 88 + 42 + 9 = 237 labels, val: 25 + 22 + 11 + 2 = 60 labels (builders.PETS)
    assert frame.at[("dog", "train"), "share"] == pytest.approx(98 / 237)
    assert frame.at[("fish", "val"), "share"] == pytest.approx(2 / 60)
    assert list(dict.fromkeys(frame.index.get_level_values("class"))) == ["dog", "cat", "bird", "fish"]


def test_curve_table_keeps_nan_and_marks_missing_values():
    rows = pd.DataFrame({"x": [1.0, 2.0, 1.0], "split": ["train", "train", "val"],
                         "name": ["loss"] * 3, "value": [1.0, math.nan, 2.0], "smoothed": [1.0, 1.0, 2.0]})
    wide = tables._wide(rows, ["value", "smoothed"])
    assert wide.at[1.0, ("val", "value")] == 2.0
    assert wide.at[2.0, ("val", "value")] is None  # val was not logged at x = 2
    assert math.isnan(wide.at[2.0, ("train", "value")])  # train logged NaN at x = 2


def test_long_tables_are_thinned_and_say_so():
    wide = pd.DataFrame({"v": range(1001)}, index=range(1001))
    picked, note = tables._thin(wide)
    # step = ceil(1001 / 400) = 3: x = 0, 3, ..., 999 (334 rows) plus the last, 1000
    assert len(picked) == 335 and picked.index[-1] == 1000 and picked.index[1] == 3
    assert note == "1,001 rows logged: one row in every 3, and the last, are shown."
    picked, note = tables._thin(wide.iloc[:400])
    assert len(picked) == 400 and note == ""


def test_marks_from_a_tiny_table():
    rows = pd.DataFrame({"x": [1.0, 2.0, 3.0] * 2, "split": ["train"] * 3 + ["val"] * 3,
                         "name": ["loss"] * 6, "value": [3.0, 2.0, np.nan, 2.5, 1.5, 1.8],
                         "smoothed": [np.nan] * 6})
    last = {m.split: (m.x, m.value) for m in _last_marks(rows)}
    assert last == {"train": (2.0, 2.0), "val": (3.0, 1.8)}  # train's last finite value is at x = 2
    curves = builders.curves(rows, losses=("loss",))
    curves = dataclasses.replace(curves, metrics=(), x_axis="step")
    (best,) = _best_val_mark(curves, "loss", rows)
    assert (best.x, best.value) == (2.0, 1.5)  # smallest val value


def test_metric_names_put_lr_last_and_skip_losses():
    table = builders.curve_table(epochs=3, names=("loss",), metrics=("lr", "accuracy", "recall"))
    curves = builders.curves(table, losses=("loss",))
    assert metric_names(curves, table) == ["accuracy", "recall", "lr"]


def test_curves_without_a_run():
    ctx = build_curves(None, "log.csv: no loss column", ())
    assert ctx.error == "log.csv: no loss column" and ctx.loss_charts == () and ctx.metrics == ()


@dataclass(frozen=True)
class FakeContext:
    """A stand-in task block."""

    text: str


def test_data_part_extension_point():
    specs = (DataPartSpec("fake", lambda insight: FakeContext("<boxes here>")),
             DataPartSpec("absent", lambda insight: None))
    parts = build_parts(builders.pets_insight(), specs)
    assert [(p.name, p.template) for p in parts] == [("fake", "sections/data_fake.html")]
    loader = jinja2.ChoiceLoader([jinja2.DictLoader({"sections/data_fake.html": "<p>{{ part.context.text }}</p>"}),
                                  template_loader()])
    env = environment().overlay(loader=loader)
    ctx = sections.build_report_context(builders.pets_insight())
    html = env.get_template("sections/data_stats.html").render(data=ctx.data, data_parts=parts, medium="screen")
    assert '<div class="data-part" id="data-fake">' in html
    assert "<p>&lt;boxes here&gt;</p>" in html


def test_no_task_blocks_registered_yet_for_classification():
    assert data_stats.build_parts(builders.pets_insight()) == ()


def test_every_section_context_is_documented():
    modules = [sections.cover, sections.summary, sections.curves, sections.data_stats, sections.health,
               sections.tables, sections.how_to_read]
    for module in modules:
        contexts = [c for name, c in inspect.getmembers(module, inspect.isclass)
                    if name.endswith("Context") and c.__module__ == module.__name__]
        assert contexts, module.__name__
        for context in contexts:
            assert "Template: sections/" in (context.__doc__ or ""), context.__name__


def test_metric_tables_are_split_evenly():
    assert tables._even_groups(list("abcde"), 4) == [list("abc"), list("de")]
    assert tables._even_groups(list("abcd"), 4) == [list("abcd")]
    assert tables._even_groups([], 4) == []


def test_losses_only_run_has_no_metric_table():
    table = builders.curve_table(epochs=5, names=("loss",), metrics=())
    ctx = tables.build_tables(builders.pets_insight(curves=builders.curves(table, losses=("loss",))))
    assert [t.key for t in ctx.tables] == ["t-classes", "t-splits", "t-loss-loss"]
    (loss,) = [t for t in ctx.tables if t.key == "t-loss-loss"]
    assert [c.label for c in loss.columns] == ["epoch", "train", "train smoothed", "val", "val smoothed"]
    assert len(loss.rows) == 5


def test_cell_filter_formats_by_column_kind():
    from insight.formatting import fmt_cell

    assert fmt_cell(None, "num") == "–"  # not logged
    assert fmt_cell(98 / 237, "pct") == "41.4 %"  # 0.41350... -> one decimal
    assert fmt_cell(float("nan"), "num") == "NaN" and fmt_cell(float("inf"), "num") == "inf"
    assert fmt_cell(1234, "int") == "1,234" and fmt_cell(24.0, "epoch") == "24"
    assert fmt_cell("<b>", "text") == "<b>"  # escaping is the template's job (autoescape)


def test_a_table_is_sorted_by_each_column_by_hand():
    from insight.report.sections.common import Column, table

    columns = [Column("class"), Column("labels", "int"), Column("share", "pct")]
    rows = [["bird", 53, 0.178], ["Cat", 110, None], ["ant", 53, 0.5], ["dog", None, 0.414]]
    t = table("t", "T", columns, rows)
    assert t.sortable and t.orders[0] == (0, 1, 2, 3)  # the given order first
    # class A to Z, case left aside: ant, bird, Cat, dog
    assert t.orders[1] == (2, 0, 1, 3)
    # labels largest first, ties in the given order, the missing value last: Cat 110, bird 53, ant 53, dog
    assert t.orders[2] == (1, 0, 2, 3)
    # share largest first, missing last: ant 0.5, dog 0.414, bird 0.178, Cat
    assert t.orders[3] == (2, 3, 0, 1)


def test_a_long_table_keeps_its_given_order_only():
    from insight.report.sections.common import SORTED_ROWS_MAX, Column, table

    t = table("t", "T", [Column("x", "int")], [[i] for i in range(SORTED_ROWS_MAX + 1)])
    assert not t.sortable and len(t.orders) == 1


def test_tier_column_stays_on_one_line():
    (classes_table, *_) = tables.build_tables(builders.pets_insight()).tables
    tier = [c for c in classes_table.columns if c.label == "tier"]
    assert tier and tier[0].kind == "tag"
    assert classes_table.rows[0][3].value == "well represented"


def test_distribution_chart_leaves_out_classes_without_labels():
    counts = dict(builders.PETS, ghost=(0, 0), moth=(0, 0))
    tiers = dict(builders.PETS_TIERS, ghost=("serious", 60), moth=("serious", 60))
    insight = builders.pets_insight(representation=builders.representation(counts, tiers, 56))
    ctx = sections.build_report_context(insight).data
    assert ctx.unlabelled == 2
    svg = "".join(str(c.svg) for c in ctx.distribution)
    assert ">dog<" in svg and ">ghost<" not in svg and ">moth<" not in svg
    # the tables of the chart's values hold what the charts draw: the two are the summary's one line
    (class_table, split_table, *_) = tables.build_tables(insight).tables
    assert [r[0].value for r in split_table.rows] == ["dog", "cat", "bird", "fish"]
    assert [r[0].value for r in class_table.rows] == ["dog", "cat", "bird", "fish"]


def test_numbers_compared_share_their_decimals():
    # Worked out by hand (digits=3): the larger sets 3 significant digits, a smaller gap between two values
    # adds decimals until it shows, as does a value that is not zero (it never reads 0), trailing zeros every value shares are dropped; ints stay whole.
    from insight.formatting import fmt_compared
    assert fmt_compared([3.32, 4.302]) == ("3.32", "4.30")
    assert fmt_compared([0.4123, 0.4127]) == ("0.4123", "0.4127")  # differ in the 4th significant digit
    assert fmt_compared([0.8, 0.9]) == ("0.8", "0.9")  # 0.800 and 0.900 share two trailing zeros
    assert fmt_compared([0.4, 0.35]) == ("0.40", "0.35")
    assert fmt_compared([12.5, 0.031]) == ("12.50", "0.03")  # 0.031 must not read 0.0: two decimals
    assert fmt_compared([1, 2]) == ("1", "2")
    assert fmt_compared([2.0, float("nan"), None]) == ("2", "NaN", "–")
