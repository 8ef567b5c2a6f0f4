"""Class-folder loader: layouts, edge cases and the real samples. Counts come from the files we write."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from insight.errors import DatasetError
from insight.formats import class_folders, detect, load_dataset
from tests.realdata import realdata


def _img(path: Path, size=(8, 6)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (10, 20, 30)).save(path)


def test_pets_fixture(pets_dir):
    ds = load_dataset(pets_dir)
    assert ds.format == "class-folders" and ds.task == "classification"
    assert ds.classes == ("bird", "cat", "dog", "fish")
    assert ds.splits == ["train", "val"]
    # make_pets writes 123 + 110 + 53 + 11 = 297 images, round(0.8 * n) of each class in train
    assert len(ds.images) == 297
    counts = ds.labels.groupby("class").size().to_dict()
    assert counts == {"dog": 123, "cat": 110, "bird": 53, "fish": 11}
    assert ds.labels_of("train").groupby("class").size().to_dict() == {"dog": 98, "cat": 88, "bird": 42, "fish": 9}
    assert ds.health == ()
    # sizes come from the JPEG headers: the first image of each class is 48 x 40
    first = ds.images.set_index("image_id").loc["train/dog/dog_train_000.jpg"]
    assert (first.width, first.height) == (48, 40)


def test_flat_layout_nested_folders_and_odd_files(tmp_path):
    _img(tmp_path / "a" / "1.JPG")
    _img(tmp_path / "a" / "deeper" / "2.png")  # nested: still class a
    _img(tmp_path / "b" / "3.Jpeg")
    (tmp_path / "b" / ".DS_Store").write_bytes(b"x")
    (tmp_path / "b" / "notes.md").write_text("hello")
    (tmp_path / "empty").mkdir()  # declared, no images
    (tmp_path / ".git").mkdir()  # hidden folder: not a class
    ds = class_folders.load(tmp_path)
    assert ds.classes == ("a", "b", "empty")
    assert ds.splits == ["train"]
    assert sorted(ds.labels["image_id"]) == ["a/1.JPG", "a/deeper/2.png", "b/3.Jpeg"]
    assert ds.labels.set_index("image_id").loc["a/deeper/2.png", "class"] == "a"
    found = {f.code: f for f in ds.health}
    assert found["ignored_hidden_file"].count == 1
    assert found["ignored_not_an_image"].examples == ("b/notes.md",)


def test_split_layout_with_valid_and_class_only_in_val(tmp_path):
    _img(tmp_path / "train" / "cat" / "1.jpg")
    _img(tmp_path / "valid" / "cat" / "2.jpg")
    _img(tmp_path / "valid" / "owl" / "3.jpg")  # owl only in validation: still declared
    _img(tmp_path / "test" / "cat" / "4.webp")
    ds = load_dataset(tmp_path)
    assert ds.splits == ["train", "val", "test"]
    assert ds.classes == ("cat", "owl")
    assert ds.labels.set_index("image_id").loc["valid/owl/3.jpg", "split"] == "val"


def test_unreadable_image_is_a_health_finding(tmp_path):
    _img(tmp_path / "a" / "ok.jpg")
    (tmp_path / "a" / "broken.jpg").write_bytes(b"\xff\xd8 not really")
    ds = class_folders.load(tmp_path)
    assert len(ds.images) == 2  # counted, not dropped
    bad = [f for f in ds.health if f.code == "unreadable_image"][0]
    assert (bad.severity.value, bad.count, bad.examples) == ("error", 1, ("a/broken.jpg",))


def test_no_images_is_a_one_line_error(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("1")
    with pytest.raises(DatasetError) as err:
        detect(tmp_path)
    assert str(tmp_path) in str(err.value) and "\n" not in str(err.value)


def test_yolo_style_folders_are_not_classes(tmp_path):
    _img(tmp_path / "train" / "images" / "1.jpg")
    (tmp_path / "train" / "labels").mkdir()
    assert class_folders.detect(tmp_path).confidence == 0


@pytest.mark.parametrize("sub, classes, images", [
    # counted with `find ... -name '*.jpg'` on the samples (PROVENANCE.md lists the layouts)
    ("weather_mwd_5pcd3_subset/weather_dataset", ("cloudy", "rain", "shine", "sunrise"), 38),
    # label_0/label_0_1.jpg, label_1/label_1_1.jpg and the nested label_1/label_1_1/label_1_1.jpg
    ("datumaro/imagenet_dataset", ("label_0", "label_1"), 3),
    ("datumaro/imagenet_subsets_dataset", ("label_0", "label_1"), 9),
    ("mmpretrain_dataset", ("a", "b"), 3),
])
def test_real_samples(sub, classes, images):
    root = realdata("classification_folder") / sub
    ds = class_folders.load(root)
    assert ds.classes == classes
    assert len(ds.images) == images


def test_real_mmpretrain_undecodable_bytes_are_findings():
    ds = class_folders.load(realdata("classification_folder/mmpretrain_dataset"))
    found = {f.code: f for f in ds.health}
    # a/1.JPG, b/2.jpeg, b/subb/3.jpg hold 0-18 placeholder bytes; 3.jpeg sits at the root
    assert found["unreadable_image"].count == 3
    assert found["ignored_outside_class_folder"].examples == ("3.jpeg",)


def test_symlink_loop_does_not_hang(tmp_path):
    _img(tmp_path / "a" / "1.png")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "a" / "back").symlink_to(tmp_path / "a", target_is_directory=True)
    ds = class_folders.load(tmp_path)
    assert ds.classes == ("a",) and list(ds.images["image_id"]) == ["a/1.png"]
    codes = {f.code: f.count for f in ds.health}
    assert codes["ignored_symlink_loop"] == 1 and codes["ignored_symlink_folder"] == 1
    from insight.analysis.messages import message_for
    (linked,) = [f for f in ds.health if f.code == "ignored_symlink_folder"]
    assert message_for(linked) == ("1 linked folder inside class folders was not followed (symbolic links below "
                                   "class folders are skipped to avoid loops and double counting).")


def test_decompression_bomb_is_refused_not_decoded(tmp_path):
    # A 1-bit PNG of 12000 x 12000 = 144 M pixels: past Pillow's default limit of 89.5 M pixels, but
    # only a few kB on disk. The limit stays on; the loader reports the file instead of decoding it.
    _img(tmp_path / "a" / "ok.png")
    Image.new("1", (12000, 12000)).save(tmp_path / "a" / "bomb.png")
    ds = class_folders.load(tmp_path)
    bomb = [f for f in ds.health if f.code == "image_too_large"][0]
    assert bomb.examples == ("a/bomb.png",)
    assert Image.MAX_IMAGE_PIXELS is not None


def test_a_class_folder_with_an_images_folder_in_a_split_is_another_layout(tmp_path):
    """ROOT/dogs/train/images/x.jpg is a dataset under ROOT/dogs, not a class named dogs."""
    from insight.formats.class_folders import dataset_marker, detect

    img = tmp_path / "dogs" / "train" / "images" / "x.jpg"
    img.parent.mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(img)
    assert dataset_marker(tmp_path / "dogs") == "train/images/"
    assert detect(tmp_path).confidence == 0
    plain = tmp_path / "plain" / "cat" / "a.jpg"
    plain.parent.mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(plain)
    assert dataset_marker(tmp_path / "plain" / "cat") == "" and detect(tmp_path / "plain").confidence > 0


def test_a_folder_above_a_split_class_folders_dataset_is_refused_naming_it(tmp_path):
    """ROOT/weather/{train,val}/{rain,sun}/x.jpg: pointed at ROOT, the real weather set (one folder up from
    its root) was read as one class, 'weather', of 38 images in a train split. It names the folder instead."""
    for split in ("train", "val"):
        for cls in ("rain", "sun"):
            _img(tmp_path / "weather" / split / cls / "x.jpg")
    from insight.formats.class_folders import dataset_marker

    assert dataset_marker(tmp_path / "weather") == "split folders train/, val/ with class folders in them"
    with pytest.raises(DatasetError) as raised:
        load_dataset(tmp_path)
    assert "weather reads as class-folders: pass that folder" in str(raised.value)
    ds = load_dataset(tmp_path / "weather")
    assert sorted(ds.classes) == ["rain", "sun"] and sorted(ds.images["split"].unique()) == ["train", "val"]
    # a class folder whose images sit in folders not named as splits stays a class (nested folders belong to it)
    _img(tmp_path / "plain" / "cat" / "2019" / "a.jpg")
    assert list(load_dataset(tmp_path / "plain").classes) == ["cat"]


def test_the_real_weather_set_read_from_one_folder_up_is_refused():
    root = realdata("classification_folder/weather_mwd_5pcd3_subset")
    with pytest.raises(DatasetError, match="weather_dataset reads as class-folders"):
        load_dataset(root)
