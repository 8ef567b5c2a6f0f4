"""Box statistics on tiny hand-made tables; every expected number is worked out by hand in a comment."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from insight.model import Dataset
from insight.stats.boxes import (AREA_BINS, ASPECT_BINS, PER_IMAGE_BINS, box_stats, quantiles,
                                 split_box_stats)


def boxes_dataset(boxes, images, classes) -> Dataset:
    """boxes: (image_id, class, w, h[, iscrowd]); images: (image_id, split, W, H). x = y = 0."""
    img = pd.DataFrame([{"image_id": i, "split": s, "path": f"{s}/{i}.jpg", "width": float(w),
                         "height": float(h)} for i, s, w, h in images])
    size = {i: (w, h, s) for i, s, w, h in images}
    rows = []
    for b in boxes:
        image_id, cls, w, h = b[:4]
        W, H, split = size[image_id]
        rows.append({"image_id": image_id, "split": split, "class": cls, "kind": "box", "x": 0.0,
                     "y": 0.0, "w": float(w), "h": float(h), "area": float(w * h),
                     "area_pct": float(w * h) * 100 / (W * H) if W == W else math.nan,
                     "iscrowd": b[4] if len(b) > 4 else 0})
    labels = pd.DataFrame(rows, columns=["image_id", "split", "class", "kind", "x", "y", "w", "h", "area",
                                         "area_pct", "iscrowd"])
    for c in ("x", "y", "w", "h", "area", "area_pct"):
        labels[c] = labels[c].astype(float)
    return Dataset(root="mem", task="detection", format="test", classes=tuple(classes), images=img,
                   labels=labels)


def test_area_pct_bin_edges_are_closed_on_the_left():
    # A 100x100 image has 10,000 px, so a box of A px is A/100 %. Boxes of exactly 16, 144, 256, 1024,
    # 4096 px sit on the edges 0.16, 1.44, 2.56, 10.24, 40.96 % and belong to the bin that starts there;
    # 15 px (0.15 %) is in the first bin, 10,000 px (100 %) in the last, and 12,100 px (121 %: a box
    # larger than the image) also in the last.
    sides = [(15, 1), (16, 1), (144, 1), (256, 1), (1024, 1), (4096, 1), (100, 100), (110, 110)]
    ds = boxes_dataset([("a", "c", w, h) for w, h in sides], [("a", "train", 100, 100)], ["c"])
    stats = box_stats(ds)["train"]
    assert stats.area_pct.labels == AREA_BINS
    #                             [0,.16) [.16,1.44) [1.44,2.56) [2.56,10.24) [10.24,40.96) [40.96,100]
    assert stats.area_pct.counts == (1, 1, 1, 1, 1, 3)


def test_area_pct_just_below_each_edge():
    # 0.159 % ... 40.959 % of a 1000x1000 image: 1,590 px, 14,390 px, 25,590 px, 102,390 px, 409,590 px
    # each fall in the bin below the edge.
    ds = boxes_dataset([("a", "c", px, 1) for px in (1590, 14390, 25590, 102390, 409590)],
                       [("a", "train", 1000, 1000)], ["c"])
    assert box_stats(ds)["train"].area_pct.counts == (1, 1, 1, 1, 1, 0)


def test_yolo_style_float_area_on_an_edge_counts_in_the_upper_bin():
    # 0.04 * 0.04 * 100 is 0.15999999999999998 in floating point but stands for 0.16.
    table = pd.DataFrame({"image_id": ["a"], "class": ["c"], "w": [np.nan], "h": [np.nan],
                          "area_pct": [0.04 * 0.04 * 100], "iscrowd": [0]})
    stats = split_box_stats(table, pd.Series(["a"]), ["c"])
    assert stats.area_pct.counts == (0, 1, 0, 0, 0, 0)
    assert stats.aspect_unknown == 1  # no pixel size, so no aspect ratio


def test_aspect_ratio_bin_edges():
    # w/h exactly on each edge 0.25 0.5 0.67 0.8 1.25 1.5 2 4 goes up; 0.24 is the first bin.
    wh = [(24, 100), (25, 100), (50, 100), (67, 100), (80, 100), (125, 100), (150, 100), (200, 100),
          (400, 100), (1000, 100)]
    ds = boxes_dataset([("a", "c", w, h) for w, h in wh], [("a", "train", 2000, 2000)], ["c"])
    stats = box_stats(ds)["train"]
    assert stats.aspect_ratio.labels == ASPECT_BINS
    # <.25 [.25,.5) [.5,.67) [.67,.8) [.8,1.25) [1.25,1.5) [1.5,2) [2,4) >=4
    assert stats.aspect_ratio.counts == (1, 1, 1, 1, 1, 1, 1, 1, 2)


def test_boxes_per_image_bins_and_images_without_boxes():
    # Images with 0, 1, 2, 3, 4, 5, 9, 10 and 12 boxes: bins 0 1 2 3 4 5-9 >=10 get 1 1 1 1 1 2 2.
    per = [0, 1, 2, 3, 4, 5, 9, 10, 12]
    images = [(f"i{n}", "train", 100, 100) for n in per]
    boxes = [(f"i{n}", "c", 10, 10) for n in per for _ in range(n)]
    stats = box_stats(boxes_dataset(boxes, images, ["c"]))["train"]
    assert stats.per_image.labels == PER_IMAGE_BINS
    assert stats.per_image.counts == (1, 1, 1, 1, 1, 2, 2)
    assert stats.count == sum(per) == 46
    assert stats.images == 9


def test_zero_size_boxes_have_no_aspect_ratio_but_an_area():
    # w = 0 or h = 0: area 0 % goes in the first area bin and w/h is undefined (aspect_unknown = 2);
    # the 10x10 box is 100 px of 10,000 = 1 %, in [0.16, 1.44).
    ds = boxes_dataset([("a", "c", 0, 10), ("a", "c", 10, 0), ("a", "c", 10, 10)],
                       [("a", "train", 100, 100)], ["c"])
    stats = box_stats(ds)["train"]
    assert stats.area_pct.counts == (2, 1, 0, 0, 0, 0)
    assert stats.aspect_unknown == 2
    assert sum(stats.aspect_ratio.counts) == 1


def test_coco_sizes_use_pixel_area():
    # 31x32 = 992 < 1024 small; 32x32 = 1024 medium; 95x96 = 9120 medium; 96x96 = 9216 large.
    ds = boxes_dataset([("a", "c", 31, 32), ("a", "c", 32, 32), ("a", "c", 95, 96), ("a", "c", 96, 96)],
                       [("a", "train", 1000, 1000)], ["c"])
    assert box_stats(ds)["train"].coco_size.counts == (1, 2, 1, 0)


def test_crowd_boxes_count_like_any_box_and_are_also_counted_apart():
    # Two ordinary boxes and one crowd box of class c in one image: count 3, of which crowd 1, per image 3;
    # the crowd box (50 x 50 of 100 x 100 = 25 %) falls in [10.24, 40.96), the others (1 %) in [0.16, 1.44).
    ds = boxes_dataset([("a", "c", 10, 10), ("a", "c", 10, 10), ("a", "c", 50, 50, 1)],
                       [("a", "train", 100, 100)], ["c"])
    stats = box_stats(ds)["train"]
    assert (stats.count, stats.crowd) == (3, 1)
    assert stats.per_image.counts == (0, 0, 0, 1, 0, 0, 0)
    assert stats.area_pct.counts == (0, 2, 0, 0, 1, 0)
    assert stats.per_class[0].crowd == 1 and stats.per_class[0].boxes == 3


def test_per_class_boxes_images_and_a_class_with_no_box():
    # train: image a has 2 x cat + 1 dog, image b has 1 cat; val: image c has 1 dog. "bird" has no box.
    ds = boxes_dataset([("a", "cat", 10, 10), ("a", "cat", 20, 10), ("a", "dog", 10, 10),
                        ("b", "cat", 40, 10), ("c", "dog", 10, 10)],
                       [("a", "train", 100, 100), ("b", "train", 100, 100), ("c", "val", 100, 100)],
                       ["cat", "dog", "bird"])
    stats = box_stats(ds)
    assert list(stats) == ["train", "val"]
    train = {c.name: c for c in stats["train"].per_class}
    assert [c.name for c in stats["train"].per_class] == ["cat", "dog", "bird"]
    assert (train["cat"].boxes, train["cat"].images) == (3, 2)
    assert (train["dog"].boxes, train["dog"].images) == (1, 1)
    assert (train["bird"].boxes, train["bird"].images) == (0, 0)
    assert train["bird"].area_pct.median is None
    # cat areas: 100, 200, 400 px of 10,000 -> 1, 2, 4 %; aspect 1, 2, 4; per image 2 (a) and 1 (b).
    assert (train["cat"].area_pct.min, train["cat"].area_pct.median, train["cat"].area_pct.max) == (1, 2, 4)
    assert train["cat"].aspect_ratio.median == 2
    assert train["cat"].per_image.median == 1.5
    assert stats["val"].count == 1 and stats["val"].per_class[0].boxes == 0


def test_quantiles_by_hand():
    # numpy's default (linear) quantiles of 0..20: p5 = 1, median = 10, p95 = 19.
    q = quantiles(np.arange(21, dtype=float))
    assert (q.min, q.p5, q.median, q.p95, q.max) == (0, 1, 10, 19, 20)
    assert quantiles(np.array([])).median is None


def test_unknown_image_size_is_counted_apart():
    # Sizes unknown (COCO file with width 0 and no image): area_pct NaN, counted in area_pct_unknown.
    ds = boxes_dataset([("a", "c", 10, 10)], [("a", "train", math.nan, math.nan)], ["c"])
    stats = box_stats(ds)["train"]
    assert stats.area_pct_unknown == 1 and sum(stats.area_pct.counts) == 0
    assert stats.aspect_ratio.counts[4] == 1  # 10/10 is known from the box itself


def test_mask_rows_are_not_boxes():
    ds = boxes_dataset([("a", "c", 10, 10)], [("a", "train", 100, 100)], ["c"])
    labels = ds.labels.copy()
    labels.loc[0, "kind"] = "mask"
    ds = Dataset(root="mem", task="detection", format="test", classes=ds.classes, images=ds.images,
                 labels=labels)
    assert box_stats(ds)["train"].count == 0


@pytest.mark.parametrize("module", ["matplotlib", "jinja2"])
def test_box_stats_import_no_rendering(module):
    import subprocess
    import sys

    code = f"import insight.stats.boxes, sys; sys.exit(1 if {module!r} in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
