"""Segmentation and multi-label blocks of the data statistics: contexts worked out by hand on tiny
tables, then rendered through the real templates (StrictUndefined, autoescape)."""

from __future__ import annotations

import pandas as pd

from insight.config import Config
from insight.model import Dataset
from insight.analysis.build import build_insight
from insight.report.html import render_html
from insight.report.sections import data_masks, data_multilabel
from insight.report.sections.summary import build_summary

NAN = float("nan")


def _dataset(task, rows, images, classes) -> Dataset:
    img = pd.DataFrame([{"image_id": i, "split": s, "path": i, "width": 10.0, "height": 10.0} for i, s in images])
    split = dict(images)
    kind = "mask" if task == "segmentation" else "tag"
    labels = pd.DataFrame([{"image_id": i, "split": split[i], "class": c, "kind": kind, "x": 0.0, "y": 0.0,
                            "w": 1.0, "h": 1.0, "area": pct, "area_pct": pct} for i, c, pct in rows],
                          columns=["image_id", "split", "class", "kind", "x", "y", "w", "h", "area", "area_pct"])
    return Dataset(root="mem", task=task, format="test", classes=tuple(classes), images=img,
                   labels=labels.astype({c: float for c in ("x", "y", "w", "h", "area", "area_pct")}))


IMAGES = [("a", "train"), ("b", "train"), ("c", "val")]


def test_mask_block_context_and_page():
    rows = [("a", "road", 60.0), ("b", "road", 40.0), ("a", "sign", 1.0), ("c", "road", 30.0), ("c", "<car>", 5.0)]
    insight = build_insight(_dataset("segmentation", rows, IMAGES, ["road", "sign", "<car>", "bus"]), None, Config())
    ctx = data_masks.build(insight)
    assert ctx.splits == ("train", "val") and ctx.class_count == 4
    # smallest mean area in train: sign 1 % (road 50 %); <car> is absent from train
    assert [r.name for r in ctx.smallest] == ["sign", "road"] and ctx.smallest[0].mean[0] == 0.01
    # bus has no pixel anywhere: the insight summary names it, once (not the mask block)
    assert build_summary(insight.representation).unlabelled == ("bus",)
    assert ctx.shown == 3  # road, sign and <car> have a mean somewhere
    coverage = data_masks.coverage_frame(insight).set_index(["bin", "split"])
    # train pairs present: road 60, road 40, sign 1 -> [60,65), [40,45), (0,5): a third each
    assert coverage.at[("(0,5)", "train"), "count"] == 1 and coverage.at[("[60,65)", "train"), "share"] == 1 / 3
    (cov_table, class_table) = data_masks.tables(insight)
    # the tables give areas in percent of the image (sign covers 1 % of image a)
    assert [c.value for c in class_table.rows[0]][:4] == ["sign", 1, 1.0, 1.0]
    assert [c.kind for c in class_table.rows[0]][:4] == ["text", "int", "num", "num"]
    html = render_html(insight)
    assert 'id="data-masks"' in html and "&lt;car&gt;" in html and "<car>" not in html


def test_multilabel_block_context_and_page():
    rows = [("a", "cat", NAN), ("a", "dog", NAN), ("b", "dog", NAN), ("c", "cat", NAN)]
    insight = build_insight(_dataset("multilabel", rows, IMAGES, ["cat", "dog", "bird"]), None, Config())
    ctx = data_multilabel.build(insight)
    # train: a has 2 labels, b has 1 -> 3 labels on 2 images; val: c has 1
    assert [(r.split, r.images, r.labels, r.mean, r.unlabeled) for r in ctx.splits] == \
        [("train", 2, 3, 1.5, 0), ("val", 1, 1, 1.0, 0)]
    assert [(p.first, p.second, p.images) for p in ctx.pairs] == [("cat", "dog", 1)]
    assert ctx.top == 3 and ctx.class_count == 3 and len(ctx.cooccurrence) == 2
    html = render_html(insight)
    assert 'id="data-multilabel"' in html and "cat + dog (1 image)" in html
    # two heatmaps, and the pairs are train's (the real NIH sample, one split, read "The heatmaps show")
    assert "The heatmaps show the 3 classes" in html and "the most frequent pairs in train are real" in html
    one = build_insight(_dataset("multilabel", rows[:3], IMAGES[:2], ["cat", "dog", "bird"]), None, Config())
    html = render_html(one)
    assert "The heatmap shows the 3 classes" in html and "the most frequent pairs are real" in html


def test_no_blocks_for_other_tasks():
    insight = build_insight(_dataset("segmentation", [], IMAGES, ["x"]), None, Config())
    assert data_multilabel.build(insight) is None
    assert data_masks.build(insight) is not None  # a segmentation set without a pixel still gets its block
