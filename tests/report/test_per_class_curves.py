"""Per-class APs (Detectron2's bbox/AP-<class>, segm/AP-<class>) in the training-curves section: one chart
per family, one line per class, for up to 10 classes; a line saying where they are for more.

Expected values are worked out by hand in the comments, or read from the raw metrics.json with json
(test_p09_*), never taken from insight's output.
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

import insight.report.sections.curves as curve_section
from insight.charts.curves import LINE_STYLES, series_style
from insight.charts.style import PALETTE, TEXT_WIDTH_IN
from insight.diagnose.curves import diagnose_run
from insight.logs import load_run
from insight.model.insight import CurveDiagnosis
from insight.report.html import render_html
from insight.report.sections.curves import build_curves, per_class_families
from tests.diagnose.curve_runs import run_of
from tests.realdata import realdata
from tests.report import builders


@pytest.fixture
def drawn(monkeypatch) -> dict[str, dict]:
    """key -> what the section handed metric_chart for that chart (the real function still runs)."""
    seen: dict[str, dict] = {}
    real = curve_section.metric_chart

    def spy(rows, title, *args, **kwargs):
        seen[kwargs["key"]] = {"title": title, "rows": rows, **kwargs}
        return real(rows, title, *args, **kwargs)

    monkeypatch.setattr(curve_section, "metric_chart", spy)
    return seen


def test_the_rule_names_detectron2_per_class_families_of_two_or_more():
    names = ["mAP50", "bbox/AP", "bbox/AP50", "bbox/APl", "bbox/AP-0", "bbox/AP-n/a", "segm/AP-nut",
             "keypoints/AP-a", "keypoints/AP-b", "AP-x", "AP-y", "val/bbox/AP-z"]
    # bbox/AP, bbox/AP50, bbox/APl are the summary APs (no "-<class>"); segm/AP-nut is alone (1 < 2);
    # AP-x, AP-y and val/bbox/AP-z are not Detectron2's keys. The class is all after the first "-": "n/a".
    assert per_class_families(names) == {"bbox/AP": ["bbox/AP-0", "bbox/AP-n/a"],
                                         "keypoints/AP": ["keypoints/AP-a", "keypoints/AP-b"]}


def test_styled_series_never_share_both_colour_and_style():
    pairs = [(PALETTE[i % len(PALETTE)], series_style(i)) for i in range(len(PALETTE) * len(LINE_STYLES))]
    assert len(set(pairs)) == len(pairs)  # 8 colours x 4 styles: 32 distinct lines
    # the first 8 (the learning-rate chart's groups) keep the styles they had: -, --, :, -. twice
    assert [series_style(i) for i in range(8)] == ["-", "--", ":", "-.", "-", "--", ":", "-."]
    assert series_style(8) == "--"  # the 9th is the 1st's colour, dashed


def test_p09_per_class_aps_are_one_chart_of_ten_classes(drawn):
    path = realdata("public_logs/p09_d2_watermeters/metrics.json")
    raw = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    per_class = {k for r in raw for k in r if k.startswith("bbox/AP-")}
    finite = {k[len("bbox/AP-"):] for k in per_class
              if any(isinstance(r.get(k), float) and math.isfinite(r[k]) for r in raw)}
    assert finite == {str(i) for i in range(10)}  # bbox/AP-numbers is NaN in every row: not drawn
    run = load_run(path)
    assert run.format == "detectron2"
    ctx = build_curves(diagnose_run(run), None, ())

    (family,) = ctx.family_charts
    assert family.key == "metric-bbox-AP-per-class"
    assert family.caption == ("bbox/AP per class (10 classes) per step (val). "
                              "Each class has a colour and line style of its own.")
    seen = drawn[family.key]
    assert set(seen["rows"]["split"]) == finite  # one line per class, named by its class
    assert seen["styled_series"] is True and seen["width_in"] == TEXT_WIDTH_IN and seen["allow_log"] is False
    # class 6 at the last evaluation (iteration 1799) as the file has it, in percent: 0..1 in the chart
    last6 = next(r for r in reversed(raw) if "bbox/AP-6" in r)
    six = seen["rows"][seen["rows"]["split"] == "6"].sort_values("x")
    assert six["x"].iloc[-1] == last6["iteration"]
    assert six["value"].iloc[-1] == pytest.approx(last6["bbox/AP-6"] / 100)

    keys = [c.key for c in ctx.metric_charts]
    assert not [k for k in keys if "AP-" in k]  # no bbox/AP-0 ... bbox/AP-9 chart of their own
    assert not [c for c in ctx.metric_charts if c.caption.startswith("bbox/AP-")]
    assert "metric-mAP50" in keys and "metric-mAP50_95" in keys  # the other metrics keep their charts
    assert ctx.family_notes == ()
    assert any("bbox/AP-numbers" in note for note in ctx.notes)  # said undrawn, as any all-NaN series
    # the best-and-last table still lists every per-class AP the file has, NaN one included
    assert {m.name for m in ctx.metrics if m.name.startswith("bbox/AP-")} == per_class


def test_twelve_classes_are_not_drawn_and_one_line_says_where_they_are(drawn):
    classes = [f"c{i:02d}" for i in range(12)]
    series = {"train/loss": [1.0, 0.8, 0.7], "val/loss": [1.1, 0.9, 0.85], "val/mAP50": [0.3, 0.5, 0.6]}
    series |= {f"val/bbox/AP-{c}": [0.2, 0.4, 0.5] for c in classes}
    ctx = build_curves(diagnose_run(run_of(series)), None, ())

    assert ctx.family_charts == ()
    assert ctx.family_notes == ("bbox/AP per class: 12 classes, more than 10 lines can show in one chart, so they "
                                "are not drawn; every class's best and last value is in the Best and last values "
                                "table.",)
    assert [c.key for c in ctx.metric_charts] == ["metric-mAP50"]
    assert list(drawn) == ["metric-mAP50"]  # nothing drawn for the 12 classes
    assert sorted(m.name for m in ctx.metrics if m.name.startswith("bbox/AP-")) == [f"bbox/AP-{c}" for c in classes]


def test_the_legend_lists_classes_in_natural_order(drawn):
    """Classes 1 to 10 (Detectron2 writes metrics.json with sorted keys, so its own order puts AP-10 before
    AP-2): by hand, the legend reads 1, 2, ..., 9, 10 and the lines take the palette in that order (class 2
    the second colour); alphabetically it read 1, 10, 2, ..., 9."""
    import re

    series = {"train/loss": [1.0, 0.8, 0.7], "val/loss": [1.1, 0.9, 0.85]}
    series |= {f"val/bbox/AP-{c}": [0.2, 0.4, 0.5 + c / 100] for c in range(1, 11)}
    ctx = build_curves(diagnose_run(run_of(series)), None, ())
    (family,) = ctx.family_charts
    svg = str(family.svg)
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    legend = texts[texts.index("bbox/AP per class") + 1:]
    assert legend == [str(c) for c in range(1, 11)]
    lines = re.findall(r'id="metric-bbox-AP-per-class-(\d+)-value"', svg)
    assert lines == [str(c) for c in range(1, 11)]
    two = re.search(r'id="metric-bbox-AP-per-class-2-value".*?stroke: (#[0-9a-f]{6})', svg, re.S).group(1)
    assert two == PALETTE[1].lower()


def test_two_classes_are_one_chart_with_their_names_escaped(drawn):
    x = [1.0, 2.0, 3.0, 4.0]
    values = {"segm/AP-date": [0.1, 0.3, 0.4, 0.45], "segm/AP-<fig>": [0.2, 0.25, 0.5, 0.55],
              "mAP50": [0.3, 0.5, 0.6, 0.65]}
    table = pd.DataFrame([{"x": xi, "split": "val", "name": n, "value": v, "smoothed": math.nan}
                          for n, vs in values.items() for xi, v in zip(x, vs)])
    curves = CurveDiagnosis(format="csv", source="r.csv", scenario=None, table=table)
    ctx = build_curves(curves, None, ())

    (family,) = ctx.family_charts
    assert family.caption == ("segm/AP per class (2 classes) per epoch (val). "
                              "Each class has a colour and line style of its own.")
    assert sorted(drawn[family.key]["rows"]["split"].unique()) == ["<fig>", "date"]
    assert [c.key for c in ctx.metric_charts] == ["metric-mAP50"]
    assert "&lt;fig&gt;" in str(family.svg) and "<fig>" not in str(family.svg)  # the legend's class name

    html = render_html(builders.pets_insight(curves=curves), "print")
    assert "segm/AP per class (2 classes) per epoch (val)." in html
    assert "<fig>" not in html


def test_a_value_above_the_cut_takes_its_own_series_colour():
    # three series a, b, c (not train/val: they take the palette in turn, a PALETTE[0], b [1], c [2]); only
    # c has a value above the cut axis. Its triangle on the top edge was coloured by its place among the
    # series above the cut (first: PALETTE[0], a's blue); it must be c's own, PALETTE[2]
    import re

    from insight.charts.curves import metric_chart

    rows = pd.DataFrame([{"split": s, "x": float(x), "value": 5.0 if (s == "c" and x == 3) else 0.1 * (i + 1)}
                         for i, s in enumerate(["a", "b", "c"]) for x in range(1, 6)])
    svg = metric_chart(rows, "AP", "epoch", key="m", cut=1.0)

    def colour(gid: str) -> str:
        start = svg.index(f'id="{gid}"')
        return re.search(r"(?:stroke|fill): (#[0-9a-fA-F]{6})", svg[start:]).group(1).upper()

    assert colour("m-c-value") == PALETTE[2].upper()
    assert colour("m-c-cut") == PALETTE[2].upper()
