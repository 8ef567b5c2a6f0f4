"""Charts: deterministic inline SVG from Figure objects under one scoped style.

Expected texts are worked out by hand: 123 of 297 labels is 41.41 % -> "41.4 %"; 11 of 297 is 3.70 %.
"""

from __future__ import annotations

import re
import subprocess
import sys

import matplotlib
import numpy as np
import pandas as pd
import pytest

from insight.charts.classes import class_charts, split_charts
from insight.charts.curves import Mark, loss_chart, metric_chart, uses_log_scale
from insight.charts.style import COLORS, new_figure, styled, to_svg

PETS = pd.DataFrame({"name": ["dog", "cat", "bird", "fish"], "count": [123, 110, 53, 11],
                     "share": [123 / 297, 110 / 297, 53 / 297, 11 / 297],
                     "tier": ["well", "well", "mild", "serious"]})


def small_svg(key="k") -> str:
    with styled():
        fig = new_figure(2)
        fig.add_subplot().plot([1, 2, 3], [3, 1, 2])
        return to_svg(fig, key)


def test_svg_is_inline_ready_and_deterministic():
    svg = small_svg()
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    for absent in ("<?xml", "<!DOCTYPE", "<metadata", "dc:date", "Matplotlib v"):
        assert absent not in svg
    assert svg == small_svg()


def test_ids_are_scoped_by_key():
    a, b = small_svg("first"), small_svg("second")
    ids_a = set(re.findall(r'id="([^"]+)"', a))
    ids_b = set(re.findall(r'id="([^"]+)"', b))
    assert ids_a and all(i.startswith("first-") for i in ids_a)
    assert not ids_a & ids_b
    # every clip-path reference points at an id of the same chart
    assert set(re.findall(r"url\(#([^)]+)\)", a)) <= ids_a


def test_style_is_scoped():
    before = (matplotlib.rcParams["font.size"], matplotlib.rcParams["svg.fonttype"])
    class_charts(PETS, 56)
    assert (matplotlib.rcParams["font.size"], matplotlib.rcParams["svg.fonttype"]) == before


def test_charts_never_load_pyplot():
    code = ("import sys, pandas as pd; from insight.charts.classes import class_charts;"
            "class_charts(pd.DataFrame({'name': ['a'], 'count': [1], 'share': [1.0], 'tier': ['well']}), 1);"
            "print('matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_class_chart_few_classes():
    svgs = class_charts(PETS, 56)
    assert len(svgs) == 1
    svg = svgs[0]
    assert "Cutoff threshold: 56 labels" in svg
    assert "123 (41.4 %)" in svg and "11 (3.7 %)" in svg
    for tier in ("well", "mild", "serious"):
        assert COLORS[tier].lower() in svg.lower()


def test_class_chart_eighty_classes_sorted_horizontal_chunks():
    names = [f"c{i:02d}" for i in range(80)]
    counts = list(range(1, 81))  # c79 has the most labels
    rows = pd.DataFrame({"name": names, "count": counts, "share": [c / 3240 for c in counts],
                         "tier": ["well"] * 80})
    first, second = class_charts(rows, 31)
    assert ">c79<" in first and ">c40<" in first and ">c39<" not in first
    assert ">c39<" in second and ">c00<" in second
    # largest first: c79 is drawn before c78 in the first chart's tick labels
    assert first.index(">c79<") < first.index(">c78<")


def test_split_chart_has_one_bar_group_per_split():
    table = pd.DataFrame({"class": ["dog", "dog", "fish", "fish"], "split": ["train", "val"] * 2,
                          "share": [0.9, 0.8, 0.1, 0.2]})
    (svg,) = split_charts(table, ["train", "val"])
    assert ">train<" in svg and ">val<" in svg
    assert COLORS["train"].lower() in svg.lower()


@pytest.mark.parametrize("values, expected", [
    ([0.1, 1.0, 100.0], True),  # 100 / 0.1 = 1000 > 100
    ([1.0, 50.0], False),  # 50 < 100
    ([0.0, 1.0, 1000.0], False),  # a zero cannot go on a log axis
    ([1.0, 2.0, np.inf, np.nan], False),  # non-finite values are left out of the span
])
def test_log_scale_rule(values, expected):
    assert uses_log_scale(pd.Series(values)) is expected


def curve_rows(train, val, smoothed=True):
    rows = []
    for split, values in (("train", train), ("val", val)):
        for x, v in enumerate(values, start=1):
            rows.append({"x": float(x), "split": split, "value": v, "smoothed": v if smoothed else np.nan})
    return pd.DataFrame(rows)


def _path_points(svg: str, group: str) -> list[int]:
    """Points per subpath of the first <path> in the group with this id."""
    body = svg[svg.index(f'id="{group}"'):]
    d = re.search(r'<path d="([^"]+)"', body).group(1)
    return [len(re.findall(r"[ML] ", sub)) for sub in re.split(r"(?=M )", d) if sub.strip()]


def test_nonfinite_values_are_markers_and_the_line_goes_on():
    train = [2.0, 1.5, np.nan, 1.0, np.inf, 0.8]  # 4 finite values, 2 non-finite
    val = [2.1, 1.7, 1.4, 1.2, 1.1, 1.0]
    svg = loss_chart(curve_rows(train, val), "loss", "epoch", key="t")
    assert "train: NaN/inf (2)" in svg
    assert "val: NaN/inf" not in svg
    # the raw train line (gid train-value): one unbroken path through the 4 finite points
    assert _path_points(svg, "t-train-value") == [4]
    assert _path_points(svg, "t-val-value") == [6]


def test_best_and_last_marks_are_labelled():
    rows = curve_rows([0.1, 0.5, 0.4], [0.2, 0.6, 0.3], smoothed=False)
    marks = [Mark("val", "best", 2.0, 0.6), Mark("val", "last", 3.0, 0.3)]
    svg = metric_chart(rows, "accuracy", "epoch", marks, key="m")
    assert "val best: 0.6 at 2" in svg and "val last: 0.3 at 3" in svg


# --- legibility on A4: labels clear of the cutoff line, integer count axes, charts that fit a page ---

def _dashed_line_x(svg: str) -> float:
    """x of the (vertical) dashed cutoff line in the plot."""
    d = re.search(r'<path d="M ([\d.]+) [\d.]+\s+L ([\d.]+) [\d.]+\s*"[^>]*stroke-dasharray', svg)
    assert d and d.group(1) == d.group(2)
    return float(d.group(1))


def _dashed_line_y(svg: str) -> float:
    d = re.search(r'<path d="M [\d.]+ ([\d.]+)\s+L [\d.]+ ([\d.]+)\s*"[^>]*stroke-dasharray', svg)
    assert d and d.group(1) == d.group(2)
    return float(d.group(1))


def _text_xy(svg: str, text: str) -> tuple[float, float]:
    m = re.search(r'<text [^>]*x="([\d.]+)" y="([\d.]+)"[^>]*>' + re.escape(text) + "</text>", svg)
    assert m, text
    return float(m.group(1)), float(m.group(2))


def test_cutoff_label_says_one_label():
    from insight.charts.classes import cutoff_label

    assert cutoff_label(1) == "Cutoff threshold: 1 label"
    assert cutoff_label(1500) == "Cutoff threshold: 1,500 labels"


def test_count_labels_start_right_of_the_cutoff_line():
    # 13 classes: horizontal bars. Bars of 0 and 3 stop short of the cutoff (18): their labels start
    # at the line, not inside it (WeasyPrint paints the dashed line over the labels' white boxes).
    counts = [100] + [20] * 10 + [3, 0]
    rows = pd.DataFrame({"name": [f"k{i}" for i in range(13)], "count": counts,
                         "share": [c / 303 for c in counts], "tier": ["well"] * 11 + ["serious"] * 2})
    (svg,) = class_charts(rows, 18)
    line = _dashed_line_x(svg)
    for text in ("0 (0.0 %)", "3 (1.0 %)", "20 (6.6 %)"):
        assert _text_xy(svg, text)[0] > line


def test_vertical_count_labels_sit_above_the_cutoff_line():
    (svg,) = class_charts(PETS, 56)  # bird 53 and fish 11 are below the cutoff of 56
    line = _dashed_line_y(svg)
    for text in ("53 (17.8 %)", "11 (3.7 %)"):
        assert _text_xy(svg, text)[1] < line  # SVG y grows downwards


def _tick_texts(svg: str) -> set[str]:
    return set(re.findall(r"<text [^>]*>([\d.,]+)</text>", svg))


def test_box_classes_are_drawn_as_shares_of_each_split():
    """train: a 4 and b 8 of 12 boxes, a in 2 and b in 1 of 3 images; val: a 13 of 13 boxes, in its
    1 image. By hand: a 33.3 % / 100 % of the boxes, 66.7 % / 100 % of the images; b 66.7 % / 0 %
    and 33.3 % / 0 %. With 8 bars every bar carries its value."""
    from insight.charts.boxes import class_boxes_charts

    table = pd.DataFrame({"class": ["a", "a", "b", "b"], "split": ["train", "val"] * 2,
                          "box_share": [4 / 12, 13 / 13, 8 / 12, 0.0], "image_share": [2 / 3, 1.0, 1 / 3, 0.0]})
    (svg,) = class_boxes_charts(table, ["train", "val"])
    labels = re.findall(r"<text [^>]*>([\d.]+ %)</text>", svg)
    assert sorted(labels) == sorted(["33.3 %", "100 %", "66.7 %", "0 %", "66.7 %", "100 %", "33.3 %", "0 %"])
    assert "share of the split&#39;s boxes (%)" in svg or "share of the split's boxes (%)" in svg


def test_share_axes_have_no_tick_past_100():
    # the real yolo_dict_names_spaces_labelformat report: a class in every image (100 %) drew the images
    # axis to 125 (room for the bar's label) with a tick "125" on an axis of shares
    from insight.charts.boxes import class_boxes_charts

    table = pd.DataFrame({"class": ["a", "b"], "split": ["train", "train"], "box_share": [0.6, 0.4],
                          "image_share": [1.0, 0.5]})
    (svg,) = class_boxes_charts(table, ["train"])
    ticks = {float(t) for t in _tick_texts(svg) if "," not in t}
    assert 100 in ticks and max(ticks) == 100


def test_count_axes_have_integer_ticks():
    rows = pd.DataFrame({"name": ["a", "b"], "count": [3, 1], "share": [0.75, 0.25], "tier": ["well", "mild"]})
    (svg,) = class_charts(rows, 2)
    assert not {"0.5", "1.5", "2.5", "0.0"} & _tick_texts(svg)


def _height_in(svg: str) -> float:
    view = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg)
    return float(view.group(2)) / 72  # matplotlib writes points


def test_many_classes_and_three_splits_fit_one_page_per_chart():
    from insight.charts.boxes import class_boxes_charts
    from insight.charts.masks import max_rows, mean_area_chart
    from insight.charts.style import PAGE_CHART_IN

    splits = ["train", "val", "test"]
    names = [f"c{i:02d}" for i in range(80)]
    shares = pd.DataFrame([{"class": n, "split": s, "share": 0.0125} for n in names for s in splits])
    # one row is 0.15 in x 0.6 x 3 splits = 0.27 in: (8.6 - 1.1) / 0.27 = 27.8 -> 27 rows a chart, so 80
    # classes make 3 charts (27 + 27 + 26), where 40 rows a chart would be 11.9 in tall: past the page.
    charts = split_charts(shares, splits)
    assert len(charts) == 3 and all(_height_in(c) <= PAGE_CHART_IN for c in charts)
    boxes = pd.DataFrame([{"class": n, "split": s, "box_share": 0.0125, "image_share": 0.05}
                          for n in names for s in splits])
    charts = class_boxes_charts(boxes, splits)  # (8.6 - 1.2) / 0.27 = 27.4 -> 27 rows: 3 charts
    assert len(charts) == 3 and all(_height_in(c) <= PAGE_CHART_IN for c in charts)
    # masks, 2 splits: a row is 0.15 x 0.7 x 2 = 0.21 in; (8.6 - 1.1) / 0.21 = 35.7 -> 35 classes drawn
    assert max_rows(2) == 35 and max_rows(1) == 40
    means = pd.DataFrame([{"class": f"m{i:03d}", "split": s, "mean_area_pct": 1.0}
                          for i in range(150) for s in ("train", "val")])
    svg = mean_area_chart(means, ["train", "val"])
    assert ">m034<" in svg and ">m035<" not in svg and _height_in(svg) <= PAGE_CHART_IN


def test_plain_wrapper_groups_are_unwrapped_and_the_others_kept():
    """matplotlib's own empty <g id="..."> wrappers go; a group with a transform, and one with an id
    our charts set (gid), stay with their children in order. Expected text written out by hand."""
    from insight.charts.style import _without_plain_groups

    svg = "\n".join([
        "<svg>",
        ' <g id="figure_1">',
        '  <g id="patch_1">',
        '   <path d="M 0 0"/>',
        "  </g>",
        '  <g id="legend_1"/>',
        '  <g transform="translate(1 2)">',
        '   <g id="text_3">',
        "    <text>a</text>",
        "   </g>",
        "  </g>",
        '  <g id="train-value">',
        '   <path d="M 1 1"/>',
        "  </g>",
        " </g>",
        "</svg>"])
    assert _without_plain_groups(svg).split("\n") == [
        "<svg>",
        '   <path d="M 0 0"/>',
        '  <g transform="translate(1 2)">',
        "    <text>a</text>",
        "  </g>",
        '  <g id="train-value">',
        '   <path d="M 1 1"/>',
        "  </g>",
        "</svg>"]


def test_bar_labels_take_the_width_their_bar_has():
    from insight.charts.classes import bar_labels, text_width_pt

    # DejaVu Sans widths by hand (em): "(10.0 %)" = ( .39 + 1 .636 + 0 .636 + . .318 + 0 .636 + space
    # .318 + % .95 + ) .39 = 4.274 em, 29.9 pt at 7 pt; "2 " adds .636 + .318 = 0.954 em.
    assert abs(text_width_pt("(10.0 %)", 7) - 7 * 4.274) < 1e-9
    assert bar_labels([2], [0.1], 60.0) == ["2 (10.0 %)"]  # 36.6 pt + 3 fits 60
    assert bar_labels([2], [0.1], 36.7) == ["2\n(10.0 %)"]  # 10 bars on a 5.1 in plot: 36.7 pt each
    assert bar_labels([2], [0.1], 30.6) == ["2"]  # 12 bars: 30.6 pt, and 29.9 + 3 does not fit
    assert bar_labels([12345], [0.5], 200.0) == ["12,345 (50.0 %)"]
    # one form for the whole chart: "(6.7 %)" (3.638 em, 25.5 pt) would fit 30.6 pt on two lines, but
    # "(20.0 %)" does not, so every bar shows its count alone (the coco8-seg chart: 12 bars)
    assert bar_labels([3, 1], [0.2, 1 / 15], 30.6) == ["3", "1"]


def test_ten_equal_classes_get_labels_on_two_lines():
    # the ImageNet-10 sample: 10 classes of 2 images, each 10.0 %; one-line labels ran into each other
    rows = pd.DataFrame({"name": [f"class{i}" for i in range(10)], "count": [2] * 10, "share": [0.1] * 10,
                         "tier": ["well"] * 10})
    (svg,) = class_charts(rows, 2)
    texts = re.findall(r"<text [^>]*>([^<]*)</text>", svg)
    assert texts.count("(10.0 %)") == 10 and "2 (10.0 %)" not in texts
