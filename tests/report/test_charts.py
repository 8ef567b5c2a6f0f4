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
