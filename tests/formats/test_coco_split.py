"""A large COCO file decoded in two halves gives exactly what decoding it whole gives, and any cut that
is not between two annotations of the top-level array falls back to the whole-file decode.

The expected values come from the one-piece decode (msgspec on the whole document), an independent
path through the same types; the files are small, and SPLIT_ABOVE is set low so they are split.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from insight.formats.coco import reader as coco, split as coco_split
from insight.formats.coco.decode import decode
from insight.pool import mp_context

FIELDS = ("ann_id", "image_ref", "category", "bbox", "good_box", "no_bbox", "crowd")


def _doc(n: int = 400, **extra) -> dict:
    images = [{"id": i, "file_name": f"{i}.jpg", "width": 64, "height": 48} for i in range(20)]
    anns = [{"id": k, "image_id": k % 20, "category_id": (1, 2)[k % 2], "bbox": [k % 7, 1, 3 + k % 5, 4],
             "iscrowd": int(k % 50 == 0), "segmentation": [[0, 0, 5, 0, 5, 5]]} for k in range(n)]
    return {"info": {"description": "test"}, "images": images, "annotations": anns,
            "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}], **extra}


def _write(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc))
    return path


def _same(a, b) -> None:
    for name in FIELDS:
        x, y = getattr(a.annotations, name), getattr(b.annotations, name)
        assert np.array_equal(x, y, equal_nan=name == "bbox"), name
    assert [i.id for i in a.images] == [i.id for i in b.images]
    assert [c.name for c in a.categories] == [c.name for c in b.categories]


def test_two_halves_equal_the_whole(tmp_path):
    path = _write(tmp_path / "a.json", _doc())
    split = coco_split.split_decode(path, mp_context())
    assert split is not None
    _same(split, decode(path.read_bytes()))
    assert len(split.annotations) == 400


def test_categories_before_the_annotations(tmp_path):
    doc = _doc()
    doc = {"categories": doc.pop("categories"), **doc}
    path = _write(tmp_path / "a.json", doc)
    split = coco_split.split_decode(path, mp_context())
    assert split is not None and [c.name for c in split.categories] == ["a", "b"]
    _same(split, decode(path.read_bytes()))


def test_a_cut_in_a_later_array_of_image_id_objects_is_refused(tmp_path):
    # a big array after the annotations whose objects also have image_id: a cut there would decode
    # both halves, the tail reading these objects as annotations
    predictions = [{"image_id": k % 20, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5} for k in range(3000)]
    path = _write(tmp_path / "a.json", _doc(n=50, predictions=predictions))
    cut = coco_split.find_cut(path)
    assert cut is not None and cut[1] > path.read_bytes().index(b'"predictions"')  # the cut is in predictions
    assert coco_split.split_decode(path, mp_context()) is None


def test_a_cut_inside_a_string_is_refused(tmp_path):
    doc = _doc(n=4)
    doc["annotations"].append({"id": 99, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1],
                               "note": "}, {" * 20000})  # the boundary past the middle is in this string
    path = _write(tmp_path / "a.json", doc)
    assert coco_split.split_decode(path, mp_context()) is None


def test_the_loader_splits_large_files_and_reports_errors_as_before(tmp_path, monkeypatch):
    monkeypatch.setattr(coco, "SPLIT_ABOVE", 1000)
    (tmp_path / "annotations").mkdir()
    good = _write(tmp_path / "annotations" / "instances_train.json", _doc())
    ds = coco.load(tmp_path)
    assert len(ds.labels) == 400 and ds.labels["class"].value_counts().to_dict() == {"a": 200, "b": 200}
    text = good.read_text()
    good.write_text(text[: len(text) * 3 // 4])  # cut off: both the split and the whole decode fail
    with pytest.raises(coco.DatasetError, match="truncated"):
        coco.load(tmp_path)


def test_without_a_process_pool_the_file_is_decoded_in_one_piece(tmp_path, monkeypatch):
    def no_pool(*args, **kwargs):
        raise OSError("no /dev/shm")

    monkeypatch.setattr(coco_split, "ProcessPoolExecutor", no_pool)
    path = _write(tmp_path / "a.json", _doc())
    assert coco_split.split_decode(path, mp_context()) is None
    monkeypatch.setattr(coco, "SPLIT_ABOVE", 1000)
    (tmp_path / "annotations").mkdir()
    _write(tmp_path / "annotations" / "instances_train.json", _doc())
    assert len(coco.load(tmp_path).labels) == 400
