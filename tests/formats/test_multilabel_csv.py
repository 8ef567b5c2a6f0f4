"""Multi-label CSV loader: one-hot, tags and long formats, splits, negative tags, health and real samples.

Expected labels are written by hand in the CSVs below, or counted from the real CSV with the csv module.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from insight.config import Config
from insight.errors import DatasetError
from insight.formats import load_dataset, multilabel_csv
from tests.realdata import realdata

ONE = Config(workers=1)


def _labels(ds) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {i: set() for i in ds.images["image_id"]}
    for image_id, cls in zip(ds.labels["image_id"], ds.labels["class"]):
        out[image_id].add(cls)
    return out


def _img(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (6, 4)).save(path)


def test_one_hot_with_spaces_and_a_split_column(tmp_path):
    (tmp_path / "labels.csv").write_text("filename, dog, cat, bird, split\n"
                                         "a.jpg, 1, 1, 0, train\nb.jpg, 0, 1, 0, valid\nc.jpg, 0, 0, 0, train\n")
    ds = multilabel_csv.load(tmp_path, ONE)
    assert ds.task == "multilabel" and ds.format == "multilabel-csv"
    assert ds.classes == ("dog", "cat", "bird")  # column order; bird has no positive and stays declared
    assert _labels(ds) == {"a.jpg": {"dog", "cat"}, "b.jpg": {"cat"}, "c.jpg": set()}
    assert dict(zip(ds.images["image_id"], ds.images["split"])) == {"a.jpg": "train", "b.jpg": "val", "c.jpg": "train"}
    assert set(ds.labels["kind"]) == {"tag"} and ds.labels["x"].isna().all()
    assert not ds.has_image_files


@pytest.mark.parametrize("sep", [";", "|", ","])
def test_tags_column_separators(tmp_path, sep):
    quoted = '"' if sep == "," else ""
    (tmp_path / "train.csv").write_text(f"image,labels\na.png,{quoted}cat{sep}dog{quoted}\nb.png,dog\n")
    (tmp_path / "val.csv").write_text(f"image,labels\nc.png,{quoted}dog{sep} cat{quoted}\n")
    ds = multilabel_csv.load(tmp_path, ONE)
    assert ds.classes == ("cat", "dog")
    assert _labels(ds) == {"a.png": {"cat", "dog"}, "b.png": {"dog"}, "c.png": {"cat", "dog"}}
    assert ds.splits == ["train", "val"]


def test_space_separated_tags_only_in_a_tags_column(tmp_path):
    # Planet-style `tags` column: spaces separate; elsewhere a space belongs to the name
    (tmp_path / "train_v2.csv").write_text("image_name,tags\nx,haze primary\ny,clear primary water\n")
    ds = multilabel_csv.load(tmp_path, ONE)
    assert ds.classes == ("clear", "haze", "primary", "water")
    assert ds.splits == ["train"]


def test_negative_tag_is_no_class(tmp_path):
    (tmp_path / "d.csv").write_text("Image Index,Finding Labels\n1.png,No Finding\n2.png,Mass|Nodule\n")
    ds = multilabel_csv.load(tmp_path, ONE)
    assert ds.classes == ("Mass", "Nodule") and _labels(ds)["1.png"] == set()
    ds = multilabel_csv.load(tmp_path, Config(workers=1, negative_tag=()))
    assert ds.classes == ("Mass", "No Finding", "Nodule")


def test_long_format_with_confidence_zero_as_negative(tmp_path):
    (tmp_path / "labels.csv").write_text("ImageID,Source,LabelName,Confidence\n"
                                         "i1,human,/m/a,1\ni1,human,/m/b,0\ni2,human,/m/b,1\n")
    (tmp_path / "class-descriptions.csv").write_text("/m/a,Apple\n/m/b,Banana\n/m/c,Cherry\n")
    ds = multilabel_csv.load(tmp_path, ONE)
    assert ds.classes == ("Apple", "Banana", "Cherry")
    assert _labels(ds) == {"i1": {"Apple"}, "i2": {"Banana"}}
    assert any("1 negative label" in n for n in ds.notes)


def test_single_label_csv_is_classification(tmp_path):
    (tmp_path / "ann.csv").write_text("image_name,label_name\n1.jpg,dog\n2.jpg,cat\n")
    ds = multilabel_csv.load(tmp_path, ONE)
    assert ds.task == "classification" and ds.classes == ("cat", "dog")


def test_images_found_beside_the_csv_and_missing_ones_reported(tmp_path):
    _img(tmp_path / "images" / "a.jpg")
    _img(tmp_path / "images" / "sub" / "b.jpg")
    (tmp_path / "l.csv").write_text("filename,x,y\na.jpg,1,0\nb,0,1\ngone.jpg,1,1\na.jpg,0,1\n")
    ds = multilabel_csv.load(tmp_path, ONE)
    paths = dict(zip(ds.images["image_id"], ds.images["path"]))
    assert paths == {"a.jpg": "images/a.jpg", "b": "images/sub/b.jpg", "gone.jpg": "gone.jpg"}
    assert ds.images.set_index("image_id").loc["a.jpg", "width"] == 6
    codes = {f.code: f for f in ds.health}
    assert codes["image_missing"].examples == ("gone.jpg",) and codes["image_missing"].values["by_split"] == {"train": 1}
    assert codes["csv_duplicate_row"].count == 1  # a.jpg twice: labels merged
    assert _labels(ds)["a.jpg"] == {"x", "y"}


def test_classes_file_leaves_undeclared_labels_out(tmp_path):
    (tmp_path / "l.csv").write_text("image,labels\na,cat|cow\nb,cow\n")
    (tmp_path / "names.txt").write_text("cat\ndog\n")
    ds = multilabel_csv.load(tmp_path, Config(workers=1, classes_file=str(tmp_path / "names.txt")))
    assert ds.classes == ("cat", "dog")
    (finding,) = [f for f in ds.health if f.code != "label_only"]  # no image: said once, apart
    assert finding.code == "label_not_declared" and finding.count == 2
    assert finding.values["labels"] == [{"name": "cow", "count": 2}]


def test_box_csv_and_bad_rows_fail_in_one_line(tmp_path):
    (tmp_path / "a.csv").write_text("filename,width,height,class,xmin,ymin,xmax,ymax\na.jpg,1,1,c,0,0,1,1\n")
    assert multilabel_csv.detect(tmp_path).confidence == 0
    (tmp_path / "a.csv").write_text("filename,dog\na.jpg,1\nb.jpg,1,0,1\n")
    with pytest.raises(DatasetError) as err:
        multilabel_csv.load(tmp_path, ONE)
    assert "a.csv:3" in str(err.value) and "\n" not in str(err.value)


# --------------------------------------------------------------------------------------- real samples

def test_real_nih_chestxray14():
    root = realdata("multilabel_csv/nih_chestxray14_data_entry_head300")
    path = root / "Data_Entry_2017_head300.csv"
    with open(path, newline="") as f:  # the csv module, not the loader: tags split on '|'
        rows = list(csv.DictReader(f))
    expected = Counter(t for r in rows for t in r["Finding Labels"].split("|"))
    assert len(rows) == 300 and len(expected) == 15
    found = multilabel_csv.detect(root)
    assert found.confidence >= 0.9 and "Image Index" in found.reason
    # with no negative tag, all 15 labels are classes
    ds = load_dataset(root, Config(workers=1, negative_tag=()))
    assert ds.task == "multilabel" and len(ds.classes) == 15 and len(ds.images) == 300
    assert ds.labels["class"].value_counts().to_dict() == dict(expected)
    # by default 'No Finding' means no class: 14 findings, 111 images without a label
    ds = load_dataset(root, ONE)
    assert len(ds.classes) == 14 and "No Finding" not in ds.classes
    assert (ds.images["image_id"].isin(ds.labels["image_id"]) == False).sum() == expected["No Finding"]  # noqa: E712
    assert not ds.has_image_files


def test_real_roboflow_classes_csv():
    ds = load_dataset(realdata("multilabel_csv/datumaro/roboflow_multiclass"), ONE)
    # train/_classes.csv: train_001 label_0, train_002 label_1; val/_classes.csv: val_001 both
    assert ds.classes == ("label_0", "label_1")
    assert _labels(ds) == {"train_001.jpg": {"label_0"}, "train_002.jpg": {"label_1"},
                           "val_001.jpg": {"label_0", "label_1"}}
    assert ds.splits == ["train", "val"] and ds.has_image_files


def test_real_open_images_long_format():
    ds = load_dataset(realdata("multilabel_csv/openimages_mmdet_tests"), ONE)
    assert ds.classes == ("Airplane",)  # /m/0cmf2 named by class-descriptions-boxable.csv
    assert _labels(ds) == {"0001eeaf4aed83f9": {"Airplane"}}


SAMPLES = ["datumaro/kaggle_image_csv_multi_label", "datumaro/kaggle_image_csv_singlelabel",
           "datumaro/roboflow_multiclass", "nih_chestxray14_data_entry_head300", "openimages_mmdet_tests"]


@pytest.mark.parametrize("sample", SAMPLES)
def test_every_real_sample_loads_or_fails_in_one_line(sample):
    root = realdata(f"multilabel_csv/{sample}")
    try:
        ds = load_dataset(root, ONE)
    except DatasetError as exc:  # pragma: no cover - every sample loads today; a failure must be one line
        assert "\n" not in str(exc) and str(root) in str(exc)
        return
    assert ds.format == "multilabel-csv" and len(ds.images) and len(ds.labels)
    assert set(ds.labels["class"]) <= set(ds.classes)
