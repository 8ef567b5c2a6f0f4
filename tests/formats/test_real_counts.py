"""Counts on real datasets that every format must get alike, each worked out from the raw files
(json, the label files, the file system) and never from insight's output: COCO crowd annotations are
labels and boxes (issue 13 item 5); missing image files are reported for every format (item 6)."""

from __future__ import annotations

import json

from insight.config import Config
from insight.formats import load_dataset
from insight.stats.boxes import box_stats
from insight.stats.classes import label_counts_by_split, representation
from tests.realdata import realdata

ONE = Config(workers=1)


def _health(ds) -> dict:
    return {f.code: f for f in ds.health}


def test_coco_crowd_annotations_are_labels_and_boxes_alike():
    root = realdata("public_datasets/coco_val2014_100_labels_only")
    anns = json.loads((root / "annotations/instances_val2014_100.json").read_text())["annotations"]
    crowd = sum(a["iscrowd"] for a in anns)
    assert (len(anns), crowd) == (839, 9)
    ds = load_dataset(root, ONE)
    boxes = box_stats(ds)["val"]
    assert boxes.count == 839 == label_counts_by_split(ds)["val"] == representation(ds).total
    assert boxes.crowd == 9 and sum(c.crowd for c in boxes.per_class) == 9
    assert sum(boxes.area_pct.counts) + boxes.area_pct_unknown == 839


def test_coco_missing_images_are_counted_per_split_with_examples():
    # test/ holds its 25 images; valid_annotations_only/ names 50 images that are not there
    root = realdata("coco/roboflow_medical_waste_elbhnasy")
    listed = json.loads((root / "valid_annotations_only/_annotations.coco.json").read_text())["images"]
    ds = load_dataset(root, ONE)
    missing = _health(ds)["image_missing"]
    assert missing.count == len(listed) == 50 and missing.values["by_split"] == {"val": 50}
    assert missing.examples[0] == "valid_annotations_only/" + listed[0]["file_name"]


def test_label_only_datasets_are_said_once_in_every_format():
    cases = {
        "public_datasets/coco_val2014_100_labels_only": (100, ["annotations/instances_val2014_100.json"]),
        "coco/mmyolo_coco_sample": (4, ["coco_sample.json"]),
        "public_datasets/yolo_roboflow_cones_labels_only": (None, ["train/labels/", "valid/labels/", "test/labels/"]),
        "public_datasets/voc_bccd_labels_only": (None, ["Annotations/"]),
        "public_datasets/multilabel_roboflow_ppe_labels_only": (None, ["test/_classes.csv", "train/_classes.csv",
                                                                       "valid/_classes.csv"]),
    }
    for sub, (images, sources) in cases.items():
        root = realdata(sub)
        if sub.endswith("cones_labels_only"):
            images = len(list(root.glob("*/labels/*.txt")))
        elif sub.endswith("bccd_labels_only"):
            lists = [root / f"ImageSets/Main/{s}.txt" for s in ("train", "val", "test")]
            images = len({ln.split()[0] for p in lists for ln in p.read_text().splitlines() if ln.strip()})
        elif sub.endswith("ppe_labels_only"):
            images = sum(len(p.read_text().splitlines()) - 1 for p in root.glob("*/_classes.csv"))
        ds = load_dataset(root, ONE)
        found = _health(ds)
        assert "image_missing" not in found, sub
        assert found["label_only"].count == images and found["label_only"].values["sources"] == sources, sub
        assert [f.code for f in ds.health].count("label_only") == 1
