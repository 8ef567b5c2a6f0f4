"""Mask statistics on tiny hand-made tables; every expected number is worked out by hand in a comment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insight.model import Dataset
from insight.report.serialize import jsonable
from insight.stats.masks import AREA_BINS, area_bin, mask_stats


def masks_dataset(rows, images, classes) -> Dataset:
    """rows: (image_id, class, area_pct); images: (image_id, split). Images are 10 x 10 px."""
    img = pd.DataFrame([{"image_id": i, "split": s, "path": i, "width": 10.0, "height": 10.0} for i, s in images])
    split = dict(images)
    labels = pd.DataFrame([{"image_id": i, "split": split[i], "class": c, "kind": "mask", "x": 0.0, "y": 0.0,
                            "w": 1.0, "h": 1.0, "area": pct, "area_pct": float(pct)} for i, c, pct in rows],
                          columns=["image_id", "split", "class", "kind", "x", "y", "w", "h", "area", "area_pct"])
    return Dataset(root="mem", task="segmentation", format="test", classes=tuple(classes), images=img,
                   labels=labels.astype({"area": float}))


def test_bins_are_the_design_bins():
    # 0, (0,5), then 18 bins of 5 % from [5,10) to [90,95), then [95,100]: 21 bins
    assert AREA_BINS[:3] == ("0", "(0,5)", "[5,10)") and AREA_BINS[-2:] == ("[90,95)", "[95,100]")
    assert len(AREA_BINS) == 21


@pytest.mark.parametrize("pct, label", [(0, "0"), (0.01, "(0,5)"), (4.999, "(0,5)"), (5, "[5,10)"),
                                        (49.9, "[45,50)"), (94.99, "[90,95)"), (95, "[95,100]"), (100, "[95,100]")])
def test_area_bin_edges(pct, label):
    assert AREA_BINS[int(area_bin(np.array([pct]))[0])] == label


def test_per_split_class_histograms_with_zero_masks():
    images = [("a", "train"), ("b", "train"), ("c", "train"), ("d", "val")]
    rows = [("a", "road", 60.0), ("b", "road", 20.0), ("a", "car", 2.0), ("d", "car", 100.0)]
    stats = mask_stats(masks_dataset(rows, images, ["road", "car", "bus"]))
    assert list(stats) == ["train", "val"] and list(stats["train"]) == ["road", "car", "bus"]
    road = stats["train"]["road"]
    # road in a (60 -> [60,65)) and b (20 -> [20,25)); c has none -> bin 0; mean 40, median 40
    assert road.images == 2 and road.mean_area_pct == 40.0 and road.median_area_pct == 40.0
    counts = dict(zip(road.area_pct.labels, road.area_pct.counts))
    assert counts["0"] == 1 and counts["[60,65)"] == 1 and counts["[20,25)"] == 1 and sum(counts.values()) == 3
    car = stats["train"]["car"]
    assert car.images == 1 and dict(zip(car.area_pct.labels, car.area_pct.counts))["(0,5)"] == 1
    # bus is declared but never present: every image is a zero-mask, no mean
    bus = stats["train"]["bus"]
    assert bus.images == 0 and bus.mean_area_pct is None and bus.area_pct.counts[0] == 3
    # val: d is all car (100 % -> last bin); road absent
    assert stats["val"]["car"].area_pct.counts[-1] == 1 and stats["val"]["road"].area_pct.counts[0] == 1


def test_instance_rows_of_one_class_add_up_and_cap_at_100():
    images = [("a", "train")]
    rows = [("a", "person", 30.0), ("a", "person", 12.0), ("a", "sky", 70.0), ("a", "sky", 50.0)]
    stats = mask_stats(masks_dataset(rows, images, ["person", "sky"]))
    # person 30 + 12 = 42 in one image; sky 120 capped to 100
    assert stats["train"]["person"].mean_area_pct == 42.0 and stats["train"]["person"].images == 1
    assert stats["train"]["sky"].mean_area_pct == 100.0


def test_median_of_an_even_count():
    images = [(i, "train") for i in "abcd"]
    rows = [("a", "x", 1.0), ("b", "x", 2.0), ("c", "x", 10.0), ("d", "x", 30.0)]
    x = mask_stats(masks_dataset(rows, images, ["x"]))["train"]["x"]
    # mean (1 + 2 + 10 + 30) / 4 = 10.75, median (2 + 10) / 2 = 6
    assert x.mean_area_pct == 10.75 and x.median_area_pct == 6.0


def test_json_shape():
    stats = mask_stats(masks_dataset([("a", "x", 50.0)], [("a", "train")], ["x"]))
    doc = jsonable(stats)
    assert list(doc["train"]["x"]) == ["images", "mean_area_pct", "median_area_pct", "area_pct"]
    assert list(doc["train"]["x"]["area_pct"]) == ["bins", "counts"]
