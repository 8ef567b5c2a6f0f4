"""Table-level data-health checks on hand-made tables, and the wording of every detection finding."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from insight.diagnose.health import check_dataset
from insight.model import Dataset, Finding
from insight.analysis.messages import message_for

NAN = math.nan


def dataset(boxes, images, classes, task="detection", kind="box") -> Dataset:
    """boxes: (image_id, class, x, y, w, h); images: (image_id, split, W, H)."""
    img = pd.DataFrame([{"image_id": i, "split": s, "path": f"{s}/{i}.jpg", "width": float(w),
                         "height": float(h)} for i, s, w, h in images])
    split = {i: s for i, s, _, _ in images}
    size = {i: (w, h) for i, _, w, h in images}
    rows = [{"image_id": i, "split": split[i], "class": c, "kind": kind, "x": float(x), "y": float(y),
             "w": float(w), "h": float(h), "area": float(w) * float(h),
             "area_pct": float(w) * float(h) * 100 / (size[i][0] * size[i][1])}
            for i, c, x, y, w, h in boxes]
    labels = pd.DataFrame(rows, columns=["image_id", "split", "class", "kind", "x", "y", "w", "h", "area",
                                         "area_pct"])
    for c in ("x", "y", "w", "h", "area", "area_pct"):
        labels[c] = labels[c].astype(float)
    return Dataset(root="mem", task=task, format="test", classes=tuple(classes), images=img, labels=labels)


def codes(findings) -> dict[str, Finding]:
    return {f.code: f for f in findings}


def test_clean_dataset_has_no_findings():
    ds = dataset([("a", "c", 0, 0, 10, 10)], [("a", "train", 100, 100)], ["c"])
    assert check_dataset(ds) == []


def test_zero_size_boxes():
    # w = 0, h = 0 and w < 0 are three bad boxes; the 1x1 box is fine.
    ds = dataset([("a", "c", 0, 0, 0, 5), ("a", "c", 0, 0, 5, 0), ("b", "c", 5, 5, -2, 3),
                  ("b", "c", 0, 0, 1, 1)], [("a", "train", 100, 100), ("b", "val", 100, 100)], ["c"])
    found = codes(check_dataset(ds))["box_zero_size"]
    assert found.count == 3
    assert found.values["by_split"] == {"train": 2, "val": 1}
    assert found.examples == ("train/a.jpg", "val/b.jpg")  # one example per file


def test_outside_image_tolerates_one_pixel():
    # Image 100x100. Overhang of exactly 1 px (x + w = 101, y = -1) is tolerated; 1.5 px is not;
    # a box starting left of the image by 2 px is outside.
    ds = dataset([("a", "c", 1, 0, 100, 10), ("a", "c", 0, -1, 10, 10), ("a", "c", 0, 0, 10, 101.5),
                  ("a", "c", -2, 0, 10, 10)], [("a", "train", 100, 100)], ["c"])
    found = codes(check_dataset(ds))["box_outside_image"]
    assert found.count == 2
    assert found.values["tolerance_px"] == 1.0


def test_unknown_image_size_is_not_outside_or_non_finite():
    # A label-only YOLO box: pixels unknown (NaN) because the image size is unknown; area_pct is known.
    ds = dataset([("a", "c", 0, 0, 10, 10)], [("a", "train", 100, 100)], ["c"])
    images = ds.images.assign(width=NAN, height=NAN)
    labels = ds.labels.assign(x=NAN, y=NAN, w=NAN, h=NAN, area=NAN, area_pct=1.0)
    ds = Dataset(root="mem", task="detection", format="test", classes=ds.classes, images=images, labels=labels)
    assert check_dataset(ds) == []


def test_non_finite_values():
    # inf width, NaN x with a known image size: two bad labels. A NaN area_pct where the image size is
    # unknown is not bad (size unknown), checked in the test above.
    ds = dataset([("a", "c", 0, 0, math.inf, 10), ("a", "c", NAN, 0, 10, 10), ("a", "c", 0, 0, 10, 10)],
                 [("a", "train", 100, 100)], ["c"])
    found = codes(check_dataset(ds))
    assert found["non_finite_values"].count == 2
    assert found["non_finite_values"].severity.value == "error"


def test_images_without_labels_and_classes_never_used():
    # Images b and c carry no box; class "bird" (declared) has none.
    ds = dataset([("a", "cat", 0, 0, 10, 10)],
                 [("a", "train", 100, 100), ("b", "train", 100, 100), ("c", "val", 100, 100)],
                 ["cat", "bird"])
    found = codes(check_dataset(ds))
    empty = found["images_without_labels"]
    assert (empty.count, empty.severity.value) == (2, "info")
    assert empty.values["by_split"] == {"train": 1, "val": 1}
    assert empty.values["total_images"] == 3
    assert empty.examples == ("train/b.jpg", "val/c.jpg")
    unused = found["class_never_used"]
    assert (unused.count, unused.values["classes"], unused.values["more"]) == (1, ["bird"], 0)


def test_many_unused_classes_are_named_then_counted():
    # 25 declared classes, only c0 used: 24 unused, 20 named, 4 more.
    ds = dataset([("a", "c0", 0, 0, 10, 10)], [("a", "train", 100, 100)], [f"c{i}" for i in range(25)])
    unused = codes(check_dataset(ds))["class_never_used"]
    assert (unused.count, len(unused.values["classes"]), unused.values["more"]) == (24, 20, 4)
    assert message_for(unused).count(" and 4 more") == 1


def test_tags_are_not_checked_for_geometry():
    ds = dataset([("a", "c", NAN, NAN, NAN, NAN)], [("a", "train", 100, 100)], ["c"],
                 task="classification", kind="tag")
    assert check_dataset(ds) == []


DETECTION_CODES = {
    "non_finite_values": {"by_split": {"train": 2}, "kind": "box"},
    "box_zero_size": {"by_split": {"train": 1, "val": 2}, "kind": "box"},
    "box_outside_image": {"by_split": {"val": 1}, "kind": "box", "tolerance_px": 1.0},
    "images_without_labels": {"task": "detection", "missing": "box", "by_split": {"train": 3},
                              "total_images": 10},
    "class_never_used": {"classes": ["bird", "cow"], "more": 0, "declared": 5},
    "bad_bbox": {"file": "annotations/instances_train.json"},
    "annotation_without_image": {"file": "annotations/instances_train.json"},
    "undeclared_class": {"file": "instances_val.json", "ids": [3, 7]},
    "class_id_out_of_range": {"ids": [-1, 80], "classes": 80, "last_id": 79},
    "bad_label_line": {"reasons": ["4 values", "not a number"]},
    "label_without_image": {},
    "annotation_unreadable": {},
    "bad_annotation": {},
    "listed_image_missing": {},
    "unreadable_image": {"reasons": ["not an image Pillow can identify"]},
    "image_size_invalid": {"file": "annotations/instances_train.json"},
    "duplicate_category": {"file": "annotations/instances_train.json", "ids": 1, "names": 1},
    "outside_dataset": {"what": ["image files named by the annotations"]},
    "not_a_regular_file": {"what": ["label files"], "kinds": ["a FIFO (named pipe)"]},
    "split_outside": {"file": "data.yaml", "splits": ["val"]},
    "ignored_symlink_folder": {"where": "image and label folders"},
}


@pytest.mark.parametrize("code", sorted(DETECTION_CODES))
@pytest.mark.parametrize("count", [1, 3])
def test_every_detection_finding_has_wording(code, count):
    text = message_for(Finding(code, "warning", count, values=DETECTION_CODES[code], examples=("a.jpg",)))
    assert text and "{" not in text
    assert str(count) in text


def test_voc_undeclared_names_have_wording():
    text = message_for(Finding("undeclared_class", "warning", 2, values={"names": ["dog", "cat"]}))
    assert "dog and cat" in text


def test_templates_exist_for_codes_the_detection_code_emits():
    # Every finding("code", ...) / Finding("code", ...) in the detection modules has a template.
    repo = Path(__file__).resolve().parents[2]
    import re

    sources = ["insight/formats/coco/reader.py", "insight/formats/yolo/reader.py", "insight/formats/voc/reader.py",
               "insight/formats/shared/tables.py", "insight/diagnose/health.py", "insight/bounds.py",
               "insight/formats/yolo/layout.py"]
    emitted = set()
    for source in sources:
        text = (repo / source).read_text()
        emitted |= set(re.findall(r'(?:finding|Finding|_finding|_report)\(\s*"([a-z_]+)"', text))
        emitted |= set(re.findall(r'findings, anns, name, [^,]+, "([a-z_]+)"', text))
    assert emitted, "no finding codes found in the sources"
    missing = [c for c in emitted if not (repo / "templates" / "findings" / f"{c}.txt").is_file()]
    assert missing == []
    assert emitted <= set(DETECTION_CODES)
