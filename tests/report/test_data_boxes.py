"""The detection block of the data statistics: context values by hand, charts, tables, rendering."""

from __future__ import annotations

import math

import pandas as pd

from insight.model import Dataset
from insight.analysis.build import build_insight
from insight.report.html import render_html
from insight.report.sections import data_boxes
from tests.report import builders


def detection_dataset(n_classes: int, sizes_known: bool = True) -> Dataset:
    """Class k has k + 1 boxes in train (one image each, 10x10 px in a 100x100 image) and 1 in val."""
    classes = [f"class {k:02d}" for k in range(n_classes)]
    images, labels = [], []
    for k, name in enumerate(classes):
        for split, n in (("train", k + 1), ("val", 1)):
            for j in range(n):
                image_id = f"{split}/{k}-{j}"
                images.append({"image_id": image_id, "split": split, "path": image_id + ".jpg",
                               "width": 100.0 if sizes_known else math.nan,
                               "height": 100.0 if sizes_known else math.nan})
                px = 10.0 if sizes_known else math.nan
                labels.append({"image_id": image_id, "split": split, "class": name, "kind": "box",
                               "x": 0.0 if sizes_known else math.nan, "y": 0.0 if sizes_known else math.nan,
                               "w": px, "h": px, "area": px * px, "area_pct": 1.0, "iscrowd": 0})
    return Dataset(root="mem", task="detection", format="test", classes=tuple(classes),
                   images=pd.DataFrame(images), labels=pd.DataFrame(labels))


def test_context_by_hand():
    insight = build_insight(detection_dataset(3), None)
    ctx = data_boxes.build(insight)
    assert ctx.splits == ("train", "val")
    # train: 1 + 2 + 3 = 6 boxes in 6 images; val: 3 boxes in 3 images. Every box is 1 % of its image.
    assert [(r.split, r.boxes, r.images) for r in ctx.per_split] == [("train", 6, 6), ("val", 3, 3)]
    assert ctx.per_split[0].area_median == 0.01
    # Largest class first: class 02 (3 train boxes), then 01, then 00.
    assert [r.name for r in ctx.class_rows] == ["class 02", "class 01", "class 00"]
    assert ctx.class_rows[0].boxes == (3, 1) and ctx.class_rows[0].aspect_median == (1.0, 1.0)
    assert ctx.inline_table and len(ctx.classes) == 1


def test_eighty_classes_make_two_class_charts_and_a_full_table():
    insight = build_insight(detection_dataset(80), None)
    ctx = data_boxes.build(insight)
    assert len(ctx.classes) == 2 and not ctx.inline_table
    tables = {t.key: t for t in data_boxes.tables(insight)}
    assert len(tables["t-box-classes"].rows) == 80
    # area bins: every box is 1 %, in [0.16, 1.44): train 3,240 boxes (1 + ... + 80), val 80.
    area = tables["t-box-area-pct"].rows
    assert area[1][1].value == sum(range(1, 81)) and area[1][3].value == 80
    html = render_html(insight)
    assert html.count('id="fig-box-classes-') == 2
    assert "Boxes per class" in html
    # the per-class share chart is detection's label distribution: the section does not draw it twice
    assert 'id="fig-splits-' not in html and "Label distribution per split: boxes and images" in html
    assert 'id="fig-splits-' in render_html(builders.pets_insight())  # classification keeps its own


def test_unknown_pixel_sizes_leave_out_the_panels_that_need_them():
    insight = build_insight(detection_dataset(2, sizes_known=False), None)
    ctx = data_boxes.build(insight)
    assert ctx.histograms.caption.endswith("Not drawn, as no box has the size in pixels it needs: COCO size and "
                                           "aspect ratio.")
    assert not ctx.coco_size_drawn  # so the text does not explain a COCO size chart that is not there
    html = render_html(insight)
    assert "COCO sizes are small" not in html
    # no class has a median aspect ratio: the per-class table has no column of dashes
    assert not ctx.aspect_known and "Median w/h" not in html
    assert "Median w/h" in render_html(build_insight(detection_dataset(2), None))
    # every box lacks a size: the caption says which panels are not drawn, and no note repeats it per split
    assert [(r.area_note, r.aspect_note) for r in ctx.per_split] == [(0, 0), (0, 0)]
    assert "no aspect ratio (no pixel size" not in html
    assert data_boxes.build(build_insight(detection_dataset(2), None)).coco_size_drawn


def test_a_split_with_some_boxes_of_unknown_shape_says_how_many():
    ds = detection_dataset(2)  # train: class 00 one box, class 01 two boxes; val: one box each
    labels = ds.labels.copy()
    first_train = labels.index[labels["split"] == "train"][0]
    labels.loc[first_train, ["w", "area"]] = 0.0  # one train box of zero width: no aspect ratio
    insight = build_insight(Dataset(root="mem", task="detection", format="test", classes=ds.classes,
                                    images=ds.images, labels=labels), None)
    ctx = data_boxes.build(insight)
    assert [(r.split, r.aspect_note) for r in ctx.per_split] == [("train", 1), ("val", 0)]
    assert "train: 1 box has no aspect ratio" in render_html(insight)


def test_inline_table_has_one_row_per_class_and_split():
    html = render_html(build_insight(detection_dataset(2), None))
    block = html[html.index('id="data-boxes"'):]
    assert block.count('<th scope="row" rowspan="2">') == 2


def test_classes_without_boxes_are_named_once_not_drawn_nor_a_row_of_dashes():
    # 3 classes with boxes + "unused" declared with none: the summary's line names it ("1 declared
    # class has no labels: unused"); the chart, the size table and the values table leave it out
    ds = detection_dataset(3)
    ds = Dataset(root="mem", task="detection", format="test", classes=ds.classes + ("unused",),
                 images=ds.images, labels=ds.labels)
    insight = build_insight(ds, None)
    ctx = data_boxes.build(insight)
    assert "unused" not in str(ctx.classes[0].svg)
    assert [r.name for r in ctx.class_rows] == ["class 02", "class 01", "class 00"] and ctx.class_count == 3
    assert all(row[0] != "unused" for t in data_boxes.class_tables(insight) for row in t.rows)
    html = render_html(insight)
    assert html.count("unused") == html.count("1 declared class has no labels: unused")


def three_split_dataset() -> Dataset:
    """detection_dataset(2) plus a test split holding one box of class 00 (10x10 px in 100x100)."""
    ds = detection_dataset(2)
    image = pd.DataFrame([{"image_id": "test/0", "split": "test", "path": "test/0.jpg", "width": 100.0,
                           "height": 100.0}])
    label = pd.DataFrame([{"image_id": "test/0", "split": "test", "class": "class 00", "kind": "box", "x": 0.0,
                           "y": 0.0, "w": 10.0, "h": 10.0, "area": 100.0, "area_pct": 1.0, "iscrowd": 0}])
    return Dataset(root="mem", task="detection", format="test", classes=ds.classes,
                   images=pd.concat([ds.images, image], ignore_index=True),
                   labels=pd.concat([ds.labels, label], ignore_index=True))


def test_three_splits_tables_fit_the_page_width():
    insight = build_insight(three_split_dataset(), None)
    tables = {t.key: t for t in data_boxes.tables(insight)}
    # train and val side by side (1 + 2 x 4 columns), test in a table of its own (1 + 4 columns)
    first, second = tables["t-box-classes-1"], tables["t-box-classes-2"]
    assert len(first.columns) == 9 and first.title.endswith("(train, val)")
    assert [c.label for c in second.columns][:3] == ["class", "test boxes", "test images"]
    # class 00: 1 box in test, 10 x 10 px of 100 x 100 = 1 % of the image, given in percent (3 digits)
    row = {r[0].value: [c.value for c in r] for r in second.rows}["class 00"]
    assert row[1:] == [1, 1, 1.0, 1.0]
    assert second.columns[3].kind == "num" and "(%)" in second.columns[3].label


def test_two_splits_keep_one_class_table():
    tables = {t.key for t in data_boxes.tables(build_insight(detection_dataset(2), None))}
    assert "t-box-classes" in tables and "t-box-classes-1" not in tables


def _boxes_block(html: str) -> str:
    return html[html.index('id="data-boxes"'):html.index("Box size per class")]


def test_the_crowd_column_is_shown_only_where_a_box_can_be_a_crowd_box():
    ds = detection_dataset(2)
    voc = build_insight(Dataset(root="mem", task="detection", format="pascal-voc", classes=ds.classes,
                                images=ds.images, labels=ds.labels), None)
    assert "Crowd boxes" not in _boxes_block(render_html(voc))
    assert "rowd boxes included" not in _boxes_block(render_html(voc))  # neither caption says it
    coco = build_insight(Dataset(root="mem", task="detection", format="coco", classes=ds.classes,
                                 images=ds.images, labels=ds.labels), None)
    assert "Crowd boxes" in _boxes_block(render_html(coco))  # COCO marks crowd: 0 of them is news
    labels = ds.labels.copy()
    labels.loc[labels.index[0], "iscrowd"] = 1  # any format with a crowd box shows the column
    crowded = build_insight(Dataset(root="mem", task="detection", format="test", classes=ds.classes,
                                    images=ds.images, labels=labels), None)
    assert "Crowd boxes" in _boxes_block(render_html(crowded))
