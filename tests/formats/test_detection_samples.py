"""Every folder of the real COCO, YOLO and VOC samples loads, or fails with a one-line error naming
the file and the reason: never a traceback (the issue's acceptance test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from insight.errors import DatasetError, InsightError
from insight.formats import detect
from insight.formats.coco import reader as coco
from insight.formats.voc import reader as pascal_voc
from insight.formats.yolo import reader as yolo
from insight.model import Dataset
from tests.realdata import REALDATA

MODULES = (coco, yolo, pascal_voc)
MAX_DEPTH = 4


def sample_dirs() -> list[str]:
    found = []
    for top in ("coco", "yolo", "voc"):
        base = REALDATA / top
        if not base.is_dir():
            continue
        for path in sorted(p for p in base.rglob("*") if p.is_dir()):
            if len(path.relative_to(REALDATA).parts) <= MAX_DEPTH:
                found.append(str(path.relative_to(REALDATA)))
    return found


SAMPLES = sample_dirs()


def check_outcome(load, path: Path) -> Dataset | None:
    try:
        ds = load()
    except InsightError as exc:
        message = str(exc)
        assert "\n" not in message and "Traceback" not in message
        assert exc.path is not None, message  # names the file or folder
        return None
    assert isinstance(ds, Dataset)
    assert ds.labels["image_id"].isin(ds.images["image_id"]).all()
    assert set(ds.labels["class"]) <= set(ds.classes)
    return ds


@pytest.mark.skipif(not SAMPLES, reason="real-data samples not available")
@pytest.mark.parametrize("rel", SAMPLES)
def test_each_detection_loader_loads_or_explains(rel):
    path = REALDATA / rel
    for module in MODULES:
        if module.detect(path).confidence > 0:
            check_outcome(lambda: module.load(path), path)


@pytest.mark.skipif(not SAMPLES, reason="real-data samples not available")
@pytest.mark.parametrize("rel", SAMPLES)
def test_the_registry_loads_or_explains(rel):
    path = REALDATA / rel

    def load():
        return detect(path).load(path, __import__("insight.config").config.Config(),
                                 __import__("insight.progress").progress.no_progress)

    check_outcome(load, path)


PROVENANCE_SAMPLES = {
    # folder -> format that must read it (the folders named in PROVENANCE.md part A)
    "coco/datumaro/coco_dataset/coco_instances": "coco",
    "coco/datumaro/coco_dataset/coco_roboflow": "coco",
    "coco/datumaro/coco_dataset/mmdet_coco": "coco",
    "coco/datumaro/roboflow_coco": "coco",
    "coco/datumaro/kaggle_relaxed_coco": "coco",
    "coco/cocoapi_pr585_val2017_1img": "coco",
    "coco/cocoapi_pr437_stuff_examples": "coco",
    "coco/labelme_instance_segmentation": "coco",
    "coco/mmyolo_coco_sample": "coco",
    "coco/roboflow_medical_waste_elbhnasy/test": "coco",
    "coco/roboflow_medical_waste_elbhnasy/valid_annotations_only": "coco",
    "yolo/datumaro/yolo_dataset/strict": "yolo",
    "yolo/datumaro/yolo_dataset/annotations": "yolo",
    "yolo/datumaro/yolo_dataset/labels": "yolo",
    "yolo/datumaro/roboflow_yolo": "yolo",
    "yolo/datumaro/kaggle_relaxed_yolo": "yolo",
    "yolo/lightly_coco128_subset10/object_detection": "yolo",
    "yolo/lightly_coco128_detect_labels_only": "yolo",
    "yolo/roboflow_fire8_subset/fire-8": "yolo",
    "voc/datumaro/voc_dataset/voc_dataset2": "pascal-voc",
    "voc/datumaro/voc_dataset/voc_dataset3": "pascal-voc",
    "voc/datumaro/roboflow_voc": "pascal-voc",
    "voc/datumaro/kaggle_relaxed_voc1": "pascal-voc",
    "voc/labelme_bbox_detection": "pascal-voc",
    "voc/mmyolo_VOCdevkit": "pascal-voc",
}


@pytest.mark.skipif(not SAMPLES, reason="real-data samples not available")
@pytest.mark.parametrize("rel", sorted(PROVENANCE_SAMPLES))
def test_detection_samples_are_detected_and_load(rel):
    path = REALDATA / rel
    module = detect(path)
    assert module.name == PROVENANCE_SAMPLES[rel]
    ds = module.load(path)
    assert ds.task == "detection" and len(ds.images) > 0


@pytest.mark.skipif(not SAMPLES, reason="real-data samples not available")
def test_voc_tree_with_boxes_and_masks_asks_for_a_format():
    # voc_dataset1 has Annotations/ (boxes) and SegmentationClass/ (masks): both readers fit.
    path = REALDATA / "voc/datumaro/voc_dataset/voc_dataset1"
    with pytest.raises(DatasetError, match="pascal-voc.*--format"):
        detect(path)
    from insight.config import Config

    assert detect(path, Config(format="pascal-voc")).load(path).task == "detection"


@pytest.mark.skipif(not SAMPLES, reason="real-data samples not available")
@pytest.mark.parametrize("rel, reason", [
    ("yolo/datumaro/roboflow_yolo_obb", "DOTA"),
    ("yolo/ultralytics_dataset_yamls/ultralytics_v8", "several dataset YAML"),
    ("coco/datumaro/coco_dataset/coco_captions", "no bbox"),
    ("coco/datumaro/coco_dataset/coco_image_info", "image-info"),
])
def test_samples_that_are_not_detection_datasets_say_why(rel, reason):
    path = REALDATA / rel
    with pytest.raises(DatasetError, match=reason):
        detect(path).load(path)
