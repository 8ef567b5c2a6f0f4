"""YOLO loader: a real sample against numpy on the raw txt lines, layouts and bad lines on tiny folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from insight.config import Config
from insight.errors import DatasetError
from insight.formats.yolo import reader as yolo
from insight.formats.shared.image_headers import exif_size, read_sizes
from insight.formats.yolo.txt import parse
from insight.stats.boxes import box_stats
from tests.realdata import realdata


def test_real_sample_area_and_aspect_match_numpy_on_the_raw_lines():
    root = realdata("yolo/lightly_coco128_subset10/object_detection")
    ds = yolo.load(root, Config(follow_outside=True))  # `images` is a link file to ../images, outside this folder
    assert ds.has_image_files and len(ds.images) == 10
    labels = ds.labels.merge(ds.images[["image_id", "path"]], on="image_id")
    for txt in sorted((root / "labels").rglob("*.txt")):
        raw = np.loadtxt(txt, ndmin=2)  # the independent reading: numpy on the file
        image = root.parent / "images" / txt.parent.name / (txt.stem + ".jpg")
        with Image.open(image) as im:  # Pillow with the EXIF rotation applied to the pixels
            width, height = ImageOps.exif_transpose(im).size
        mine = labels[labels["path"].str.endswith(txt.stem + ".jpg")]
        expected_area = np.sort(raw[:, 3] * raw[:, 4] * 100)
        expected_aspect = np.sort(raw[:, 3] * width / (raw[:, 4] * height))
        assert np.allclose(np.sort(mine["area_pct"]), expected_area)
        assert np.allclose(np.sort(mine["w"] / mine["h"]), expected_aspect)
        assert np.allclose(np.sort(mine["w"]), np.sort(raw[:, 3] * width))


def test_real_label_only_folder():
    ds = yolo.load(realdata("yolo/lightly_coco128_detect_labels_only"))
    assert not ds.has_image_files
    assert ds.images["width"].isna().all()
    assert len(ds.images) == 256 and ds.splits == ["train", "val"]
    # 256 label files; the number of non-empty lines is the number of boxes.
    files = sorted(realdata("yolo/lightly_coco128_detect_labels_only/labels").rglob("*.txt"))
    lines = sum(len([ln for ln in f.read_text().splitlines() if ln.strip()]) for f in files)
    assert len(ds.labels) == lines
    assert ds.labels["area_pct"].notna().all() and ds.labels["w"].isna().all()


def test_real_roboflow_export_with_inconsistent_paths():
    ds = yolo.load(realdata("yolo/roboflow_fire8_subset/fire-8"))
    assert ds.classes == ("Fire", "default", "smoke")
    assert ds.images["split"].value_counts().to_dict() == {"train": 12, "val": 5, "test": 3}
    assert any("fire-8/valid/images read as valid/images" in n for n in ds.notes)
    assert box_stats(ds)["train"].per_image.counts[0] == 1  # the one empty label file: a background image
    assert (ds.images["width"] == 608).all()


# ---------------------------------------------------------------- tiny folders

def make(root: Path, files: dict[str, str | tuple[int, int]]) -> Path:
    """str values are text files; (w, h) tuples are PNG images of that size."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, tuple):
            Image.new("RGB", content).save(path)
        else:
            path.write_text(content)
    return root


def test_ultralytics_layout_with_dict_names(tmp_path):
    root = make(tmp_path, {
        "data.yaml": "path: .\ntrain: images/train\nval: images/val\nnames:\n  0: cat\n  1: dog\n",
        "images/train/a.png": (200, 100), "labels/train/a.txt": "1 0.5 0.5 0.1 0.2\n0 0.25 0.5 0.5 1\n",
        "images/train/b.png": (200, 100),  # no label file: a background image
        "images/val/c.png": (100, 100), "labels/val/c.txt": "0 0.5 0.5 1 1",
    })
    assert yolo.detect(root).confidence >= 0.9
    ds = yolo.load(root)
    assert ds.classes == ("cat", "dog") and ds.splits == ["train", "val"]
    dog = ds.labels[ds.labels["class"] == "dog"].iloc[0]
    # cx .5 cy .5 w .1 h .2 in 200x100: w 20 px, h 20 px, x = 100 - 10 = 90, y = 50 - 10 = 40; 2 %.
    assert (dog["x"], dog["y"], dog["w"], dog["h"]) == pytest.approx((90, 40, 20, 20))
    assert dog["area_pct"] == pytest.approx(0.1 * 0.2 * 100)
    assert len(ds.images) == 3 and len(ds.labels) == 3
    assert ds.health == ()


def test_bad_lines_are_findings_with_file_and_line(tmp_path):
    root = make(tmp_path, {
        "classes.txt": "cat\ndog\n",
        "images/a.png": (10, 10),
        "labels/a.txt": "0 0.5 0.5 0.2\n"          # line 1: 4 values
                        "1 abc 0.5 0.2 0.2\n"      # line 2: a letter
                        "0 nan 0.5 0.2 0.2\n"      # line 3: NaN
                        "-1 0.5 0.5 0.2 0.2\n"     # line 4: class -1
                        "2 0.5 0.5 0.2 0.2\n"      # line 5: past the last class
                        "\n"                        # line 6: blank, ignored
                        "1 0.5 0.5 0.2 0.2\n"      # line 7: good
                        "0 0.1 0.1 0.2 0.1 0.2 0.2\n",  # line 8: a polygon
    })
    ds = yolo.load(root)
    found = {f.code: f for f in ds.health}
    assert found["bad_label_line"].count == 3
    assert found["bad_label_line"].examples == ("labels/a.txt:1 (4 values)", "labels/a.txt:2 (not a number)",
                                                "labels/a.txt:3 (NaN or inf value)")
    assert found["class_id_out_of_range"].count == 2
    assert found["class_id_out_of_range"].examples == ("labels/a.txt:4", "labels/a.txt:5")
    assert found["class_id_out_of_range"].values["ids"] == [-1, 2]
    # line 8, a polygon among boxes, is read as a box: its extent 0.1..0.2 x 0.1..0.2
    assert list(ds.labels["class"]) == ["dog", "cat"]
    assert ds.labels["area_pct"].iat[1] == pytest.approx(0.1 * 0.1 * 100)


def test_label_without_image_and_yolov5_layout(tmp_path):
    root = make(tmp_path, {
        "data.yaml": "train: ../train/images\nval: ../valid/images\nnc: 1\nnames: ['thing']\n",
        "train/images/a.png": (10, 10), "train/labels/a.txt": "0 0.5 0.5 0.5 0.5\n",
        "train/labels/ghost.txt": "0 0.5 0.5 0.5 0.5\n",
        "val/images/b.png": (10, 10), "val/labels/b.txt": "0 0.5 0.5 0.5 0.5\n",
    })
    ds = yolo.load(root)
    assert ds.splits == ["train", "val"]
    found = {f.code: f for f in ds.health}
    # ghost.txt's image is nowhere: its box is counted, its image reported missing in its split
    assert found["image_missing"].examples == ("train/labels/ghost.txt",)
    assert found["image_missing"].values["by_split"] == {"train": 1}
    assert (ds.labels["split"] == "train").sum() == 2
    assert any("../valid/images does not exist" in n for n in ds.notes)


def test_a_label_whose_image_exists_but_no_split_lists_stays_apart(tmp_path):
    root = make(tmp_path, {
        "data.yaml": "train: train.txt\nnames: ['thing']\n", "train.txt": "images/a.png\n",
        "images/a.png": (10, 10), "labels/a.txt": "0 0.5 0.5 0.5 0.5\n",
        "images/b.png": (10, 10), "labels/b.txt": "0 0.5 0.5 0.5 0.5\n",
    })
    ds = yolo.load(root)
    found = {f.code: f for f in ds.health}
    assert found["label_without_image"].examples == ("labels/b.txt",) and "image_missing" not in found
    assert len(ds.labels) == 1


def test_a_labels_only_export_is_said_once_as_a_note_in_health(tmp_path):
    root = make(tmp_path, {
        "data.yaml": "names: ['thing']\n",
        "labels/train/a.txt": "0 0.5 0.5 0.5 0.5\n", "labels/train/b.txt": "0 0.5 0.5 0.2 0.2\n",
    })
    ds = yolo.load(root)
    found = {f.code: f for f in ds.health}
    assert found["label_only"].severity.value == "info" and found["label_only"].count == 2
    assert found["label_only"].values["sources"] == ["labels/train/"] and "label_without_image" not in found
    assert len(ds.labels) == 2  # the boxes are still counted


@pytest.mark.parametrize("names, reason", [("{a: cat}", "keys must be class ids"), ("[cat, cat]", "not unique: cat"),
                                           ("7", "must be a list or a mapping")])
def test_bad_names_are_refused_naming_data_yaml(tmp_path, names, reason):
    root = make(tmp_path, {"data.yaml": f"names: {names}\n", "labels/train/a.txt": "0 0.5 0.5 0.5 0.5\n"})
    with pytest.raises(DatasetError, match=reason) as caught:
        yolo.load(root)
    assert str(caught.value).startswith(str(root / "data.yaml") + ":")


def test_side_by_side_without_names_and_darknet(tmp_path):
    side = make(tmp_path / "side", {"1.png": (10, 10), "1.txt": "3 0.5 0.5 0.5 0.5\n"})
    ds = yolo.load(side)
    assert ds.classes == ("0", "1", "2", "3")
    assert any("named by id" in n for n in ds.notes)
    dark = make(tmp_path / "dark", {"obj.data": "classes = 1\ntrain = data/train.txt\nnames = data/obj.names\n",
                                    "obj.names": "thing\n", "train.txt": "data/obj_train_data/1.png\n",
                                    "obj_train_data/1.png": (10, 10), "obj_train_data/1.txt": "0 .5 .5 .5 .5\n"})
    ds = yolo.load(dark)
    assert ds.classes == ("thing",) and len(ds.labels) == 1


def test_keypoint_lines_keep_their_box(tmp_path):
    root = make(tmp_path, {"data.yaml": "train: images\nkpt_shape: [2, 3]\nnames: ['person']\n",
                           "images/a.png": (10, 10),
                           "labels/a.txt": "0 0.5 0.5 0.2 0.4 0.1 0.1 2 0.2 0.2 2\n"})
    ds = yolo.load(root)
    assert len(ds.labels) == 1 and ds.labels["area_pct"].iat[0] == pytest.approx(8)


def test_no_label_files_at_all_is_an_error(tmp_path):
    root = make(tmp_path, {"data.yaml": "train: train/images\nnames: ['a']\n", "train/images/a.png": (5, 5),
                           "train/labelTxt/a.txt": "0 0 1 0 1 1 0 1 a 0\n"})
    with pytest.raises(DatasetError, match="DOTA"):
        yolo.load(root)


def test_several_yaml_files_is_one_line_error(tmp_path):
    make(tmp_path, {"a.yaml": "names: ['x']\n", "b.yaml": "names: ['y']\n"})
    with pytest.raises(DatasetError, match="several dataset YAML"):
        yolo.load(tmp_path)


def test_exif_rotated_jpeg_swaps_width_and_height(tmp_path):
    exif = Image.Exif()
    exif[274] = 6  # rotated 90 degrees
    Image.new("RGB", (40, 20)).save(tmp_path / "r.jpg", exif=exif.tobytes())
    Image.new("RGB", (40, 20)).save(tmp_path / "n.jpg")
    sizes = read_sizes([str(tmp_path / "r.jpg"), str(tmp_path / "n.jpg"), str(tmp_path / "none.jpg")])
    assert list(sizes.width[:2]) == [20, 40] and list(sizes.height[:2]) == [40, 20]
    assert np.isnan(sizes.width[2]) and sizes.failed[0][1] == "file not found"
    with Image.open(tmp_path / "r.jpg") as im:
        assert exif_size(im) == ImageOps.exif_transpose(im).size


def test_many_images_are_read_by_the_pool(tmp_path):
    paths = []
    for i in range(80):  # above the sequential threshold
        Image.new("L", (i + 1, 3)).save(tmp_path / f"{i}.png")
        paths.append(str(tmp_path / f"{i}.png"))
    sizes = read_sizes(paths, workers=4)
    assert list(sizes.width) == list(range(1, 81))


def test_parse_on_a_hand_written_buffer():
    # File 0: two boxes, no newline at the end; file 1 empty; file 2: a blank line then one box.
    parsed = parse([b"0 0.5 0.5 0.2 0.2\n1 0.1 0.2 0.3 0.4", b"", b"\n2 1 1 1 1\r\n"])
    assert list(parsed.file) == [0, 0, 2]
    assert list(parsed.line) == [1, 2, 2]
    assert parsed.values[1].tolist() == [1, 0.1, 0.2, 0.3, 0.4]
    assert len(parsed.bad_line) == 0 and len(parsed.polygon_line) == 0


def test_forced_classes_file(tmp_path):
    root = make(tmp_path, {"images/a.png": (10, 10), "labels/a.txt": "1 0.5 0.5 0.5 0.5\n",
                           "names.txt": "zero\none\n"})
    ds = yolo.load(root, Config(classes_file=str(root / "names.txt")))
    assert ds.classes == ("zero", "one") and list(ds.labels["class"]) == ["one"]


def test_txt_list_with_an_image_twice(tmp_path):
    root = make(tmp_path, {"data.yaml": "train: train.txt\nnames: ['a']\n", "train.txt": "images/a.png\nimages/a.png\n",
                           "images/a.png": (10, 10), "labels/a.txt": "0 0.5 0.5 0.5 0.5\n"})
    ds = yolo.load(root)
    assert len(ds.images) == 1 and len(ds.labels) == 1


@pytest.mark.parametrize("size", [0, 5, 65535, 65536, 65537, 300000])
def test_label_files_are_read_whole_whatever_their_size(tmp_path, size):
    from insight.formats.yolo.files import read_bytes

    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    (tmp_path / "a.txt").write_bytes(data)
    assert read_bytes(str(tmp_path / "a.txt")) == data


def test_label_files_listed_aside_are_those_a_walk_finds(tmp_path):
    """The labels/ folder listed in a forked process while the images are listed: for a folder in it,
    the same files as walking that folder (classes.txt left out); a folder outside it is walked."""
    from insight.formats.yolo.reader import LabelListing
    from insight.formats.yolo.layout import NOT_LABELS, walk

    for name in ("labels/train/a.txt", "labels/train/sub/b.txt", "labels/train/classes.txt",
                 "labels/val/c.txt", "labels/train2/d.txt", "elsewhere/e.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("0 0.5 0.5 0.1 0.1\n")
    for workers in (None, 1):
        listing = LabelListing.aside(tmp_path / "labels", workers)
        for folder in ("labels/train", "labels/val", "elsewhere"):
            expected = sorted(walk(tmp_path / folder, exclude=NOT_LABELS))
            assert sorted(listing.under(str(tmp_path / folder))) == expected, (workers, folder)
        train = sorted(listing.under(str(tmp_path / "labels/train")))
        assert [p[len(str(tmp_path)) + 1:] for p in train] == ["labels/train/a.txt", "labels/train/sub/b.txt"]


def test_the_folder_above_a_yolo_dataset_is_refused_with_the_folder_to_pass(tmp_path):
    """A Roboflow export unpacked into a folder of its own: the folder above reads as no dataset (its
    one sub-folder is not a class of images) and the error names the sub-folder that reads as YOLO."""
    from insight.formats import class_folders, load_dataset

    make(tmp_path / "fire-8", {"data.yaml": "names: ['fire']\ntrain: train/images\nval: valid/images\n",
                               "train/images/a.jpg": (32, 24), "train/labels/a.txt": "0 0.5 0.5 0.2 0.2\n",
                               "valid/images/b.jpg": (32, 24), "valid/labels/b.txt": "0 0.5 0.5 0.2 0.2\n",
                               "README.roboflow.txt": "exported"})
    assert class_folders.detect(tmp_path).confidence == 0
    assert "fire-8/ holds a dataset of its own (data.yaml)" in class_folders.detect(tmp_path).reason
    with pytest.raises(DatasetError) as err:
        load_dataset(tmp_path)
    assert str(err.value) == f"{tmp_path}: no dataset here, but {tmp_path / 'fire-8'} reads as yolo: pass that folder"
    assert load_dataset(tmp_path / "fire-8").format == "yolo"


def test_a_folder_of_several_datasets_that_the_detector_half_claims_names_one_to_pass(tmp_path):
    """datumaro's yolo test assets: a folder holding several YOLO datasets, one of them with labels two
    levels down (yolo_dataset/labels/labels/), which the detector takes for a YOLO layout the loader then
    cannot find: the one-line error adds the sub-folder that reads as a dataset."""
    from insight.formats import load_dataset

    make(tmp_path / "roboflow_yolo", {"data.yaml": "names: ['a', 'b']\ntrain: train/images\n",
                                      "train/images/a.jpg": (32, 24), "train/labels/a.txt": "0 0.5 0.5 0.2 0.2\n"})
    make(tmp_path / "yolo_dataset", {"labels/obj.names": "a\nb\n", "labels/images/x.jpg": (32, 24),
                                     "labels/labels/x.txt": "1 0.5 0.5 0.2 0.2\n"})
    assert yolo.detect(tmp_path).confidence > 0
    with pytest.raises(DatasetError) as err:
        load_dataset(tmp_path)
    assert str(err.value).startswith(f"{tmp_path}: no YOLO layout found")
    assert str(err.value).endswith(f"; {tmp_path / 'roboflow_yolo'} reads as yolo: pass that folder")


@pytest.mark.parametrize("workers", [None, 1])  # labels listed in a forked process, and in this one
def test_symlinked_folders_below_the_splits_are_not_entered_and_said_once(tmp_path, workers):
    """A link back up (labels/train/loop -> ..) made the walk go round until the path grew too long, and
    a link across (images/train/again -> ../train) listed the images again: 3 images read as 237. Now
    neither is entered, as in the class-folder and mask layouts, and data health says so once."""
    from insight.formats import load_dataset

    files = {"data.yaml": "names: [a]\ntrain: images/train\n"}
    for i in range(3):
        files[f"images/train/{i}.png"] = (32, 24)
        files[f"labels/train/{i}.txt"] = "0 0.5 0.5 0.2 0.2\n"
    root = make(tmp_path, files)
    (root / "labels/train/loop").symlink_to("..")
    (root / "images/train/again").symlink_to("../train")
    ds = load_dataset(root, Config(workers=workers))
    assert len(ds.images) == 3 and len(ds.labels) == 3  # by hand: 3 images, one box each
    (f,) = [f for f in ds.health if f.code == "ignored_symlink_folder"]
    assert f.count == 2 and list(f.examples) == ["images/train/again/", "labels/train/loop/"]
    assert not [f for f in ds.health if f.code == "image_missing"]


def test_images_without_any_label_file_are_counted_with_a_thousands_separator(tmp_path):
    # 1,000 images (empty files: the loader refuses before it reads one), labels/ without a .txt file
    for split in ("train", "val"):
        folder = tmp_path / "images" / split
        folder.mkdir(parents=True)
        for i in range(500):
            (folder / f"{i}.jpg").write_bytes(b"")
    (tmp_path / "labels" / "train").mkdir(parents=True)
    (tmp_path / "labels" / "train" / "notes.md").write_text("no labels yet")
    with pytest.raises(DatasetError, match="no YOLO label file found for any of the 1,000 images"):
        yolo.load(tmp_path)
