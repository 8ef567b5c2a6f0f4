"""--task is honoured, or refused in one line naming why (issue 13 item 2)."""

from __future__ import annotations

import pytest

from insight.config import Config
from insight.errors import DatasetError
from insight.formats import load_dataset
from tests.realdata import realdata


def _refused(root, **options) -> str:
    with pytest.raises(DatasetError) as err:
        load_dataset(root, Config(workers=1, **options))
    text = str(err.value)
    assert "\n" not in text and text.startswith(str(root))
    return text


def test_a_task_no_reader_of_the_folder_reads_is_refused_naming_what_it_is():
    root = realdata("public_datasets/yolo_coco8_seg")
    text = _refused(root, task="classification")
    assert "reads as yolo" in text and "detection or segmentation" in text
    text = _refused(realdata("public_datasets/cls_imagenet10"), task="detection")
    assert "reads as class-folders" in text


def test_a_forced_format_that_cannot_read_the_task_is_refused():
    text = _refused(realdata("public_datasets/voc_bccd_labels_only"), format="pascal-voc", task="segmentation")
    assert "pascal-voc format reads detection, not segmentation" in text


def test_classification_of_a_csv_whose_images_have_several_labels_is_refused():
    # the first multi-label row of the NIH file: 00000001_001.png, Cardiomegaly|Emphysema
    root = realdata("multilabel_csv/nih_chestxray14_data_entry_head300")
    rows = (root / "Data_Entry_2017_head300.csv").read_text().splitlines()[1:]
    several = [r for r in rows if "|" in r.split(",")[1]]
    text = _refused(root, task="classification")
    assert f"{len(several)} images have several labels" in text and "00000001_001.png" in text


def test_segmentation_asked_of_a_roboflow_mask_export_reads_the_masks():
    ds = load_dataset(realdata("public_datasets/semseg_roboflow_png_masks/train"), Config(task="segmentation"))
    assert ds.format == "masks" and ds.task == "segmentation"


@pytest.mark.parametrize("task", ["detection", "segmentation"])
def test_yolo_and_coco_read_the_task_asked(task):
    for sub in ("public_datasets/yolo_coco8_seg", "public_datasets/coco_val2014_100_labels_only"):
        assert load_dataset(realdata(sub), Config(task=task, workers=1)).task == task
