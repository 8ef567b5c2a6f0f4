"""COCO loader: real samples checked against pycocotools, layouts and edge cases on tiny files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from insight.config import Config
from insight.errors import DatasetError
from insight.formats.coco import reader as coco
from tests.realdata import realdata

# Real instance files, each read alone by insight (its folder) and by pycocotools.
REAL_FILES = [
    "coco/cocoapi_pr585_val2017_1img/instances_val2017_1img-sample.json",
    "coco/cocoapi_pr437_stuff_examples/stuff_examples.json",
    "coco/roboflow_medical_waste_elbhnasy/test/_annotations.coco.json",
    "coco/roboflow_medical_waste_elbhnasy/valid_annotations_only/_annotations.coco.json",
    "coco/labelme_instance_segmentation/annotations.json",
    "coco/mmyolo_coco_sample/coco_sample.json",
    "coco/datumaro/kaggle_relaxed_coco/annotations.json",
]


@pytest.mark.parametrize("rel", REAL_FILES)
def test_real_file_matches_pycocotools(rel):
    from pycocotools.coco import COCO

    path = realdata(rel)
    ref = COCO(str(path))  # the independent reader
    ds = coco.load(path.parent)
    assert len(ds.images) == len(ref.getImgIds())
    declared = {c["id"]: c["name"] for c in ref.loadCats(ref.getCatIds())}
    for cat_id, name in declared.items():
        anns = ref.loadAnns(ref.getAnnIds(catIds=[cat_id]))
        mine = ds.labels[ds.labels["class"] == name]
        if name not in ds.classes:  # a placeholder category insight leaves out has no annotations
            assert anns == []
            continue
        assert len(mine) == len(anns), name
        # COCO's own `area` is the segment area; the box area is bbox w * h, summed per class.
        assert mine["area"].sum() == pytest.approx(sum(a["bbox"][2] * a["bbox"][3] for a in anns)), name
        crowd = ref.getAnnIds(catIds=[cat_id], iscrowd=True)
        assert int(mine["iscrowd"].sum()) == len(crowd), name
    # Annotations whose category is not declared are counted in a finding, not silently lost.
    undeclared = [a for a in ref.dataset["annotations"] if a["category_id"] not in declared]
    found = {f.code: f for f in ds.health}
    if undeclared:
        assert found["undeclared_class"].count == len(undeclared)
    else:
        assert "undeclared_class" not in found
    assert len(ds.labels) + len(undeclared) == len(ref.dataset["annotations"])


def test_real_roboflow_export_drops_the_placeholder_category():
    ds = coco.load(realdata("coco/roboflow_medical_waste_elbhnasy/test"))
    # categories: 0 medical-waste (supercategory none, no annotations), then 4 real classes.
    assert ds.classes == ("Blood bag", "Mask", "ampoule", "syringe")
    assert any("placeholder" in n for n in ds.notes)
    assert ds.has_image_files and len(ds.images) == 25
    assert (ds.images["width"] == 640).all()


def test_real_annotation_file_alone_takes_its_split_from_the_folder_name():
    ds = coco.load(realdata("coco/roboflow_medical_waste_elbhnasy/valid_annotations_only"))
    assert ds.splits == ["val"] and not ds.has_image_files and len(ds.images) == 50


def test_real_sample_without_image_files():
    ds = coco.load(realdata("coco/cocoapi_pr585_val2017_1img"))
    assert not ds.has_image_files
    assert list(ds.images["split"]) == ["val"]  # instances_val2017_1img-sample.json
    assert (ds.images["width"].iat[0], ds.images["height"].iat[0]) == (320, 240)
    assert len(ds.classes) == 80
    assert int(ds.labels["iscrowd"].sum()) == 1


# ---------------------------------------------------------------- tiny files

def write(path: Path, images, annotations, categories) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"images": images, "annotations": annotations, "categories": categories}))
    return path


CATS = [{"id": 3, "name": "cat", "supercategory": "animal"}, {"id": 17, "name": "dog", "supercategory": "animal"}]


def test_instances_layout_with_non_contiguous_ids_and_an_empty_image(tmp_path):
    imgs = [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 50},
            {"id": 2, "file_name": "b.jpg", "width": 100, "height": 50}]
    anns = [{"id": 1, "image_id": 1, "category_id": 17, "bbox": [10, 5, 20, 10], "iscrowd": 0},
            {"id": 2, "image_id": 1, "category_id": 3, "bbox": [0, 0, 50, 50], "iscrowd": 1}]
    write(tmp_path / "annotations" / "instances_train2017.json", imgs, anns, CATS)
    write(tmp_path / "annotations" / "instances_val2017.json", imgs[:1], anns[:1], CATS)
    assert coco.detect(tmp_path).confidence >= 0.9
    ds = coco.load(tmp_path)
    assert ds.classes == ("cat", "dog")
    assert ds.splits == ["train", "val"]
    assert len(ds.images) == 3  # image 2 has no box: it stays, with 0 boxes
    dog = ds.labels[(ds.labels["class"] == "dog") & (ds.labels["split"] == "train")].iloc[0]
    # bbox [10, 5, 20, 10] in a 100x50 image: area 200 px = 200 / 5000 * 100 = 4 %
    assert (dog["x"], dog["y"], dog["w"], dog["h"], dog["area"], dog["area_pct"]) == (10, 5, 20, 10, 200, 4)
    assert list(ds.labels["iscrowd"]) == [0, 1, 0]
    assert not ds.has_image_files


def test_roboflow_and_split_json_layouts(tmp_path):
    imgs = [{"id": 0, "file_name": "a.jpg", "width": 10, "height": 10}]
    anns = [{"id": 0, "image_id": 0, "category_id": 3, "bbox": [1, 1, 2, 2]}]
    rf = tmp_path / "rf"
    write(rf / "train" / "_annotations.coco.json", imgs, anns, CATS)
    write(rf / "valid" / "_annotations.coco.json", imgs, anns, CATS)
    ds = coco.load(rf)
    assert ds.splits == ["train", "val"] and len(ds.images) == 2
    plain = tmp_path / "plain"
    write(plain / "train.json", imgs, anns, CATS)
    write(plain / "test.json", imgs, anns, CATS)
    assert coco.load(plain).splits == ["train", "test"]
    relaxed = tmp_path / "relaxed"
    write(relaxed / "annotations.json", imgs, anns, CATS)
    Image.new("RGB", (10, 10)).save(relaxed / "a.jpg")
    ds = coco.load(relaxed)
    assert ds.splits == ["train"] and ds.has_image_files
    assert list(ds.images["path"]) == ["a.jpg"]


def test_image_size_zero_falls_back_to_the_header(tmp_path):
    Image.new("RGB", (64, 32)).save(tmp_path / "a.png")
    write(tmp_path / "annotations.json", [{"id": 1, "file_name": "a.png", "width": 0, "height": 0}],
          [{"id": 1, "image_id": 1, "category_id": 3, "bbox": [0, 0, 8, 8]}], CATS)
    ds = coco.load(tmp_path)
    assert (ds.images["width"].iat[0], ds.images["height"].iat[0]) == (64, 32)
    assert ds.labels["area_pct"].iat[0] == pytest.approx(64 * 100 / (64 * 32))  # 3.125 %


def test_undeclared_category_and_missing_image_and_bad_bbox_are_findings(tmp_path):
    imgs = [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 100}]
    anns = [{"id": 10, "image_id": 1, "category_id": 99, "bbox": [0, 0, 1, 1]},
            {"id": 11, "image_id": 7, "category_id": 3, "bbox": [0, 0, 1, 1]},
            {"id": 12, "image_id": 1, "category_id": 3, "bbox": [0, 0, 1]},
            {"id": 13, "image_id": 1, "category_id": 3, "bbox": [0, 0, 1, 1]}]
    write(tmp_path / "annotations.json", imgs, anns, CATS)
    ds = coco.load(tmp_path)
    found = {f.code: f for f in ds.health}
    assert found["undeclared_class"].count == 1 and found["undeclared_class"].values["ids"] == [99]
    assert found["undeclared_class"].examples == ("annotations.json: annotation 10",)
    assert found["annotation_without_image"].count == 1
    assert found["bad_bbox"].count == 1
    assert len(ds.labels) == 1  # 4 annotations = 1 kept + 3 counted in findings


def test_decode_error_names_the_line(tmp_path):
    path = tmp_path / "annotations.json"
    path.write_text('{"images": [],\n "annotations": [\n  {"image_id": 1,, }\n ], "categories": []}')
    with pytest.raises(DatasetError) as err:
        coco.load(tmp_path)
    assert f"{path}:3:" in str(err.value)
    assert "\n" not in str(err.value)


def test_wrong_type_names_the_record(tmp_path):
    write(tmp_path / "annotations.json", [{"id": 1, "file_name": "a.jpg"}],
          [{"id": 1, "image_id": 1, "category_id": 3, "bbox": "wide"}], CATS)
    with pytest.raises(DatasetError, match=r"annotations\[0\]\.bbox"):
        coco.load(tmp_path)


def test_captions_file_is_refused_with_a_reason(tmp_path):
    path = write(tmp_path / "annotations" / "captions_train.json", [{"id": 1, "file_name": "a.jpg"}],
                 [{"id": 1, "image_id": 1, "caption": "a cat"}], [])
    with pytest.raises(DatasetError, match="no bbox"):
        coco.load(tmp_path)
    assert path.exists()


def test_detect_explains_a_folder_without_coco(tmp_path):
    (tmp_path / "notes.json").write_text('{"a": 1}')
    assert coco.detect(tmp_path).confidence == 0
    assert "images" in coco.detect(tmp_path).reason


def test_segmentation_task_keeps_the_raw_segment(tmp_path):
    path = write(tmp_path / "annotations.json", [{"id": 1, "file_name": "a.jpg"}],
                 [{"id": 1, "image_id": 1, "category_id": 3, "bbox": [0, 0, 2, 2],
                   "segmentation": [[0, 0, 2, 0, 2, 2]]}], CATS)
    with_seg = coco.read(path, segmentation=True)
    assert json.loads(bytes(with_seg.annotations.segmentation[0])) == [[0, 0, 2, 0, 2, 2]]
    assert coco.read(path).annotations.segmentation is None
    assert len(coco.load(tmp_path, Config(task="segmentation")).labels) == 1


def test_boxes_per_class_vectorised_on_many_annotations(tmp_path):
    # 3 images x 1000 boxes each, alternating classes: 1500 per class; every box 2x3 -> area 6.
    imgs = [{"id": i, "file_name": f"{i}.jpg", "width": 10, "height": 10} for i in range(3)]
    anns = [{"id": k, "image_id": k % 3, "category_id": (3, 17)[k % 2], "bbox": [0, 0, 2, 3]}
            for k in range(3000)]
    write(tmp_path / "annotations.json", imgs, anns, CATS)
    ds = coco.load(tmp_path)
    assert ds.labels["class"].value_counts().to_dict() == {"cat": 1500, "dog": 1500}
    assert np.allclose(ds.labels["area_pct"], 6.0)


def test_two_files_of_one_split_keep_image_ids_apart(tmp_path):
    imgs = [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}]
    anns = [{"id": 1, "image_id": 1, "category_id": 3, "bbox": [0, 0, 1, 1]}]
    write(tmp_path / "annotations" / "instances_train_part1.json", imgs, anns, CATS)
    write(tmp_path / "annotations" / "instances_train_part2.json", imgs, anns, CATS)
    ds = coco.load(tmp_path)
    assert ds.splits == ["train"] and len(ds.images) == 2 and ds.images["image_id"].is_unique


def test_image_id_twice_in_one_file_is_a_one_line_error(tmp_path):
    write(tmp_path / "annotations.json", [{"id": 1, "file_name": "a.jpg"}, {"id": 1, "file_name": "b.jpg"}],
          [], CATS)
    with pytest.raises(DatasetError, match="image id 1 appears twice"):
        coco.load(tmp_path)
