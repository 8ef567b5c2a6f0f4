"""Segmentation masks: class-index, 16-bit, palette and colour PNGs, layouts, health findings, real samples.

Expected pixel counts come from the masks we write here (numbers chosen by hand) or, for the real
samples, from numpy on the PNG bytes (Pillow decode + np.bincount), independently of the loader.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from insight.config import Config
from insight.errors import DatasetError
from insight.formats import load_dataset
from insight.formats.masks import reader as masks
from insight.formats.shared.label_maps import VOC_NAMES, voc_colormap
from tests.realdata import realdata

ONE = Config(workers=1)


def _png(path: Path, array, mode: str | None = None, palette=None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(np.asarray(array), mode) if mode else Image.fromarray(np.asarray(array))
    if palette is not None:
        img.putpalette(palette)
    img.save(path)
    return path


def _image(path: Path, size) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (9, 9, 9)).save(path)
    return path


def _rows(ds) -> dict[tuple[str, str], tuple]:
    """(image stem, class) -> (area, area_pct, x, y, w, h)."""
    return {(Path(r.image_id).stem, r["class"]): (r.area, r.area_pct, r.x, r.y, r.w, r.h)
            for _, r in ds.labels.iterrows()}


# ------------------------------------------------------------------------------------ hand-made masks

def test_void_pixels_and_a_class_absent_from_every_image(tmp_path):
    # 4 x 4 mask: six 0s, five 1s, five 255s (void) -> class 0 covers 6/16, class 1 5/16; 'dog' (2) never
    mask = np.array([[0, 0, 0, 1], [0, 0, 0, 1], [1, 1, 1, 255], [255, 255, 255, 255]], np.uint8)
    _png(tmp_path / "masks" / "a.png", mask)
    _image(tmp_path / "images" / "a.jpg", (4, 4))
    (tmp_path / "classes.txt").write_text("background\ncat\ndog\n")
    ds = masks.load(tmp_path, ONE)
    assert ds.task == "segmentation" and ds.format == "masks"
    assert ds.classes == ("background", "cat", "dog")  # dog has no pixel and stays declared
    assert _rows(ds) == {("a", "background"): (6.0, 37.5, 0.0, 0.0, 3.0, 2.0),
                         ("a", "cat"): (5.0, 31.25, 0.0, 0.0, 4.0, 3.0)}
    assert set(ds.labels["kind"]) == {"mask"}
    assert ds.health == ()
    assert "5 void pixels (mask value 255) are not counted as a class" in ds.notes


def test_a_relative_dataset_path_gives_paths_relative_to_the_dataset(tmp_path, monkeypatch):
    _png(tmp_path / "data" / "masks" / "train" / "a.png", np.zeros((4, 4), np.uint8))
    _image(tmp_path / "data" / "images" / "train" / "a.jpg", (4, 4))
    (tmp_path / "data" / "classes.txt").write_text("background\n")
    monkeypatch.chdir(tmp_path)
    ds = masks.load(Path("data"), ONE)
    assert ds.root == "data" and list(ds.images["path"]) == ["images/train/a.jpg"]
    assert (Path(ds.root) / ds.images["path"].iat[0]).is_file()  # what the duplicate check opens
    assert "classes from classes.txt" in ds.notes


def test_a_class_named_unlabeled_is_void(tmp_path):
    # 2 x 2 mask: three pixels 0 ("unlabeled" in the map), one pixel 1 (cat): cat covers 25 %
    _png(tmp_path / "masks" / "a.png", np.array([[0, 0], [0, 1]], np.uint8))
    _image(tmp_path / "images" / "a.jpg", (2, 2))
    (tmp_path / "classes.txt").write_text("unlabeled\ncat\n")
    ds = masks.load(tmp_path, ONE)
    assert ds.classes == ("cat",)
    assert _rows(ds) == {("a", "cat"): (1.0, 25.0, 1.0, 1.0, 1.0, 1.0)}
    assert "3 void pixels (mask value 0) are not counted as a class" in ds.notes


def test_ignore_index_is_configurable(tmp_path):
    mask = np.array([[0, 0], [7, 7]], np.uint8)
    _png(tmp_path / "masks" / "a.png", mask)
    _image(tmp_path / "images" / "a.png", (2, 2))
    ds = masks.load(tmp_path, Config(workers=1, ignore_index=7))
    # no label map: classes are the values found, void excluded
    assert ds.classes == ("0",)
    assert _rows(ds) == {("a", "0"): (2.0, 50.0, 0.0, 0.0, 2.0, 1.0)}


def test_sixteen_bit_mask_with_a_data_yaml(tmp_path):
    # values above 255 need a 16-bit PNG: 300 covers 3 px, 1000 covers 1 px, 0 covers 2 px
    mask = np.array([[0, 300, 300], [0, 300, 1000]], np.uint16)
    path = _png(tmp_path / "masks" / "train" / "a.png", mask)
    assert Image.open(path).mode == "I;16"
    _image(tmp_path / "images" / "train" / "a.jpg", (3, 2))
    (tmp_path / "data.yaml").write_text(yaml.safe_dump({"names": {0: "ground", 300: "road", 1000: "car",
                                                                  2000: "bus"}}))
    ds = masks.load(tmp_path, ONE)
    assert ds.classes == ("ground", "road", "car", "bus")
    rows = _rows(ds)
    assert rows[("a", "road")][:2] == (3.0, 50.0)
    assert rows[("a", "car")] == pytest.approx((1.0, 100 / 6, 2.0, 1.0, 1.0, 1.0))
    assert ("a", "bus") not in rows
    assert ds.splits == ["train"]


def test_palette_png_named_by_the_voc_colour_map(tmp_path):
    # palette index is the class: 15 is 'person' in VOC; 255 is VOC's void border
    palette = [c for rgb in voc_colormap(256) for c in rgb]
    mask = np.zeros((10, 10), np.uint8)
    mask[2:6, 3:8] = 15  # 20 px
    mask[0, :] = 255  # 10 px void
    _png(tmp_path / "SegmentationClass" / "x.png", mask, "P", palette)
    _image(tmp_path / "JPEGImages" / "x.jpg", (10, 10))
    ds = masks.load(tmp_path, ONE)
    assert ds.classes == VOC_NAMES
    assert _rows(ds) == {("x", "background"): (70.0, 70.0, 0.0, 1.0, 10.0, 9.0),
                         ("x", "person"): (20.0, 20.0, 3.0, 2.0, 5.0, 4.0)}
    assert "classes from the Pascal VOC colour map" in ds.notes


def test_palette_png_with_other_colours_is_numbered(tmp_path):
    palette = [0, 0, 0, 1, 2, 3] + [0] * (256 * 3 - 6)
    _png(tmp_path / "SegmentationClass" / "x.png", np.array([[0, 1], [1, 1]], np.uint8), "P", palette)
    _image(tmp_path / "JPEGImages" / "x.jpg", (2, 2))
    ds = masks.load(tmp_path, ONE)
    assert ds.classes == ("0", "1")


def test_voc_image_sets_give_the_splits(tmp_path):
    for stem, split in (("a", "train"), ("b", "val")):
        _png(tmp_path / "SegmentationClass" / f"{stem}.png", np.ones((2, 2), np.uint8))
        _image(tmp_path / "JPEGImages" / f"{stem}.jpg", (2, 2))
        (tmp_path / "ImageSets" / "Segmentation").mkdir(parents=True, exist_ok=True)
        (tmp_path / "ImageSets" / "Segmentation" / f"{split}.txt").write_text(stem + "\n")
    _image(tmp_path / "JPEGImages" / "detection_only.jpg", (2, 2))  # in no list: not part of the dataset
    ds = masks.load(tmp_path, ONE)
    assert dict(zip(ds.images["image_id"], ds.images["split"])) == {"JPEGImages/a.jpg": "train",
                                                                    "JPEGImages/b.jpg": "val"}


def test_colour_masks_with_label_colors_and_an_unknown_colour(tmp_path):
    red, green, odd = (255, 0, 0), (0, 255, 0), (250, 3, 3)
    rgb = np.array([[red, red, green], [green, green, odd]], np.uint8)  # 2 red, 3 green, 1 unknown
    _png(tmp_path / "GT" / "f.png", rgb)
    _image(tmp_path / "RGB" / "f.png", (3, 2))
    (tmp_path / "label_colors.txt").write_text("255 0 0 lava\n0 255 0 grass land\n0 0 255 water\n")
    ds = masks.load(tmp_path, ONE)
    assert ds.classes == ("lava", "grass land", "water")
    rows = _rows(ds)
    assert rows[("f", "lava")][:2] == pytest.approx((2.0, 100 * 2 / 6))
    assert rows[("f", "grass land")][0] == 3.0
    (finding,) = ds.health
    assert finding.code == "mask_unknown_color" and finding.count == 1
    assert finding.values["keys"] == [{"value": "(250, 3, 3)", "pixels": 1, "masks": 1}]


def test_grey_colour_mask_is_read_as_colour_when_the_map_has_colours(tmp_path):
    # (128,128,128) is CamVid's Sky: a mask of sky only is all grey, yet a colour mask
    _png(tmp_path / "trainannot" / "s.png", np.full((2, 2, 3), 128, np.uint8))
    _image(tmp_path / "train" / "s.png", (2, 2))
    ds = masks.load(tmp_path, ONE)
    assert _rows(ds) == {("s", "Sky"): (4.0, 100.0, 0.0, 0.0, 2.0, 2.0)}
    assert ds.splits == ["train"]


def test_colour_masks_without_a_colour_map_fail_in_one_line(tmp_path):
    _png(tmp_path / "masks" / "c.png", np.array([[[1, 2, 3], [4, 5, 6]]], np.uint8))
    _image(tmp_path / "images" / "c.png", (2, 1))
    with pytest.raises(DatasetError) as err:
        masks.load(tmp_path, ONE)
    assert "c.png" in str(err.value) and "colour" in str(err.value) and "\n" not in str(err.value)


def test_health_findings_never_a_traceback(tmp_path):
    _png(tmp_path / "masks" / "ok.png", np.zeros((2, 2), np.uint8))
    _image(tmp_path / "images" / "ok.png", (2, 2))
    _png(tmp_path / "masks" / "small.png", np.zeros((2, 2), np.uint8))
    _image(tmp_path / "images" / "small.png", (4, 4))
    (tmp_path / "masks" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    _image(tmp_path / "images" / "broken.png", (2, 2))
    _png(tmp_path / "masks" / "orphan.png", np.ones((2, 2), np.uint8))
    _image(tmp_path / "images" / "lonely.png", (2, 2))
    ds = masks.load(tmp_path, ONE)
    codes = {f.code: f for f in ds.health}
    assert set(codes) == {"mask_unreadable", "mask_size_mismatch", "image_missing", "image_without_mask"}
    assert codes["mask_unreadable"].examples[0].startswith("masks/broken.png: ")
    assert codes["mask_size_mismatch"].examples == ("masks/small.png is 2x2, images/small.png is 4x4",)
    assert codes["image_missing"].examples == ("masks/orphan.png",)
    assert codes["image_missing"].values["by_split"] == {"train": 1}
    assert codes["image_without_mask"].examples == ("images/lonely.png",)
    # the orphan mask still counts (4 px of class 1, as its own image); the lonely image has no label
    assert _rows(ds)[("orphan", "1")][0] == 4.0
    assert "images/lonely.png" in set(ds.images["image_id"])
    # small.png: area_pct is a share of the mask (4 of 4 px), not of the larger image
    assert _rows(ds)[("small", "0")][1] == 100.0


def test_symlinked_folders_are_skipped_and_said_once(tmp_path):
    """Symlinked folders below masks/ and images/ are not entered, as below a class folder, and one
    data-health line says so. Worked by hand: each mask is 4x4, two columns 0 (bg) and two 1 (fg), so
    8 px of each class. Read: train/a and train/sub/c, val/a (3 images, 6 labels). Skipped: masks/test
    and images/test (links to a folder outside: before, a split `test` was listed with an image never
    opened) and masks/train/again, images/train/again (links to sub/ inside: c was counted twice)."""
    data, elsewhere = tmp_path / "data", tmp_path / "elsewhere"
    half = np.array([[0, 0, 1, 1]] * 4, np.uint8)
    for rel in ("train/a", "val/a", "train/sub/c"):
        _png(data / "masks" / f"{rel}.png", half)
        _image(data / "images" / f"{rel}.jpg", (4, 4))
    _png(elsewhere / "masks" / "b.png", half)
    _image(elsewhere / "images" / "b.jpg", (4, 4))
    (data / "classes.txt").write_text("bg\nfg\n")
    for kind in ("masks", "images"):
        (data / kind / "test").symlink_to(elsewhere / kind, target_is_directory=True)
        (data / kind / "train" / "again").symlink_to(data / kind / "train" / "sub", target_is_directory=True)
    ds = masks.load(data, ONE)
    assert sorted(ds.images["image_id"]) == ["images/train/a.jpg", "images/train/sub/c.jpg", "images/val/a.jpg"]
    assert set(ds.images["split"]) == {"train", "val"}
    assert len(ds.labels) == 6 and set(ds.labels["area"]) == {8.0}
    (found,) = [f for f in ds.health if f.code == "ignored_symlink_folder"]
    assert (found.severity.value, found.count) == ("info", 4)
    assert found.examples == ("images/test/", "images/train/again/", "masks/test/", "masks/train/again/")
    assert [f.code for f in ds.health] == ["ignored_symlink_folder"]  # no outside_dataset, no unpaired image
    from insight.analysis.messages import message_for
    assert message_for(found) == ("4 linked folders inside mask and image folders were not followed (symbolic "
                                  "links below mask and image folders are skipped to avoid loops and double "
                                  "counting).")


def test_masks_only_behind_symlinked_folders_are_one_line(tmp_path):
    _png(tmp_path / "elsewhere" / "a.png", np.zeros((2, 2), np.uint8))
    (tmp_path / "data" / "masks").mkdir(parents=True)
    (tmp_path / "data" / "masks" / "train").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(DatasetError, match=r"no mask files found in masks \(symlinked folders are not "
                                           r"entered: masks/train/\)"):
        masks.load(tmp_path / "data", ONE)


def test_decompression_bomb_limit_stays_on_and_is_a_finding(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10)  # 8 x 8 = 64 px > 2 x 10: Pillow refuses
    _png(tmp_path / "masks" / "big.png", np.zeros((8, 8), np.uint8))
    _png(tmp_path / "masks" / "fine.png", np.zeros((2, 2), np.uint8))
    ds = masks.load(tmp_path, ONE)
    (finding,) = [f for f in ds.health if f.code == "mask_unreadable"]
    assert "decompression-bomb" in finding.examples[0] and finding.examples[0].startswith("masks/big.png")
    assert not ds.has_image_files


def test_process_pool_gives_the_same_counts(tmp_path):
    # 40 masks: enough for the pool; mask i has i+1 pixels of class 1 in a 10 x 10 mask
    for i in range(40):
        m = np.zeros(100, np.uint8)
        m[: i + 1] = 1
        _png(tmp_path / "masks" / f"m{i:02d}.png", m.reshape(10, 10))
    pooled = masks.load(tmp_path, Config(workers=2))
    single = masks.load(tmp_path, ONE)
    assert pooled.labels.equals(single.labels)
    ones = pooled.labels[pooled.labels["class"] == "1"].sort_values("image_id")["area"].tolist()
    assert ones == [float(i + 1) for i in range(40)]


def test_prefixed_names_still_pair(tmp_path):
    for n in ("0001", "0002"):
        _png(tmp_path / "masks" / f"gt_{n}.png", np.zeros((1, 2), np.uint8))
        _image(tmp_path / "images" / f"image_{n}.png", (2, 1))
    ds = masks.load(tmp_path, ONE)
    assert ds.health == () and sorted(ds.images["image_id"]) == ["images/image_0001.png", "images/image_0002.png"]


def test_detect_reasons(tmp_path):
    assert masks.detect(tmp_path).confidence == 0
    _png(tmp_path / "masks" / "val" / "a.png", np.zeros((2, 2), np.uint8))
    _image(tmp_path / "images" / "val" / "a.jpg", (2, 2))
    found = masks.detect(tmp_path)
    assert found.confidence >= 0.9
    assert found.reason == "masks/ holds masks whose names match the images'"


# --------------------------------------------------------------------------------------- real samples

def _bincount_rows(mask_dir: Path, names: dict[int, str], void=(255,)) -> dict[tuple[str, str], int]:
    """(mask stem, class) -> pixels, from Pillow decode + np.bincount on each PNG (not the loader)."""
    out = {}
    for png in sorted(mask_dir.rglob("*.png")):
        counts = np.bincount(np.asarray(Image.open(png)).ravel())
        for value in np.flatnonzero(counts):
            if value not in void:
                out[(png.stem, names[int(value)])] = int(counts[value])
    return out


def test_real_coco128_semantic_masks_match_numpy():
    root = realdata("yolo/lightly_coco128_subset10/semantic_segmentation")
    names = {int(k): v for k, v in yaml.safe_load((root / "config.yaml").read_text())["classes"].items()}
    ds = load_dataset(root, ONE)
    # 130 entries; 0 is "unlabeled" (pixels with no panoptic segment): void, not a class
    assert names[0] == "unlabeled" and ds.format == "masks" and len(ds.classes) == len(names) - 1 == 129
    assert "unlabeled" not in ds.classes and any("void pixels (mask value 0)" in n for n in ds.notes)
    expected = _bincount_rows(root / "masks", names, void=(0, 255))
    assert {k: v[0] for k, v in _rows(ds).items()} == expected
    assert ds.splits == ["train", "val"] and len(ds.images) == 10 and ds.has_image_files
    # area_pct is the pixel count over the mask's W*H
    w, h = Image.open(root / "masks" / "train2017" / "000000000143.png").size
    assert _rows(ds)[("000000000143", "bird")][1] == pytest.approx(expected[("000000000143", "bird")] / (w * h) * 100)


def test_real_labelme_palette_masks_match_numpy():
    root = realdata("segmentation_masks/labelme_voc_instance_segmentation")
    names = dict(enumerate((root / "class_names.txt").read_text().split("\n")))
    ds = load_dataset(root, ONE)
    expected = _bincount_rows(root / "SegmentationClass", names)
    assert {k: v[0] for k, v in _rows(ds).items()} == expected
    # 2011_000003: person box from numpy on the decoded mask
    mask = np.asarray(Image.open(root / "SegmentationClass" / "2011_000003.png"))
    ys, xs = np.nonzero(mask == 15)
    assert _rows(ds)[("2011_000003", "person")][2:] == (xs.min(), ys.min(), xs.max() - xs.min() + 1,
                                                         ys.max() - ys.min() + 1)


SAMPLES = ["datumaro/cityscapes_dataset/dataset", "datumaro/cityscapes_dataset/train_dataset",
           "datumaro/camvid_dataset", "datumaro/ade20k2017_dataset/dataset",
           "datumaro/ade20k2017_dataset/dataset_with_meta_file", "datumaro/ade20k2020_dataset/dataset",
           "datumaro/ade20k2020_dataset/dataset_with_meta_file", "datumaro/common_semantic_segmentation_dataset/dataset",
           "datumaro/common_semantic_segmentation_dataset/non_standard_dataset", "datumaro/mapillary_vistas_dataset",
           "datumaro/kaggle_image_mask_with_labelmap", "datumaro/synthia_rand_custom_labelmap",
           "labelme_voc_instance_segmentation"]


@pytest.mark.parametrize("sample", SAMPLES)
def test_every_real_sample_loads_or_fails_in_one_line(sample):
    root = realdata(f"segmentation_masks/{sample}")
    try:
        ds = load_dataset(root, ONE)
    except DatasetError as exc:  # pragma: no cover - every sample loads today; a failure must be one line
        assert "\n" not in str(exc) and str(root) in str(exc)
        return
    assert ds.format == "masks" and len(ds.images)
    assert set(ds.labels["class"]) <= set(ds.classes)


# Hand-read from the PNGs (see PROVENANCE.md) and the label maps beside them.
@pytest.mark.parametrize("sample, pixels", [
    # kaggle masks/001.png is 16-bit [0 x1, 1 x2, 2 x2]; labelmap.csv rows: background, cat, dog
    ("datumaro/kaggle_image_mask_with_labelmap", {("001", "background"): 1, ("001", "cat"): 2, ("001", "dog"): 2}),
    # Cityscapes train ids: 14 truck, 11 person; 19 is no train id (a finding)
    ("datumaro/cityscapes_dataset/train_dataset", {("defaultcity_000001_000031_leftImg8bit", "truck"): 3,
                                                   ("defaultcity_000002_000045_leftImg8bit", "person"): 1}),
    # instanceIds below 1000 are label ids: 27 truck, 3 out of roi
    ("datumaro/cityscapes_dataset/dataset", {("defaultcity_000001_000031_leftImg8bit", "truck"): 3,
                                             ("defaultcity_000001_000031_leftImg8bit", "out of roi"): 2}),
    # CamVid colours (64,128,64) Animal x3 and (192,128,64) Child x2 in valannot/0016E5_07959.png
    ("datumaro/camvid_dataset", {("0016E5_07959", "Animal"): 3, ("0016E5_07959", "Child"): 2}),
    # synthia GT/000000.png: (0,0,64) sky x3, (0,192,128) road x2 per label_colors.txt
    ("datumaro/synthia_rand_custom_labelmap", {("000000", "sky"): 3, ("000000", "road"): 2}),
    # ADE20K 2020: (15,145,2) -> 15//10*256+145 = 401 'car' x15 and (71,39,1) -> 1831 'person' x5, named by
    # name_ndx in 1.json; (0,0,0) is class 0, unlabeled
    ("datumaro/ade20k2020_dataset/dataset", {("1", "car"): 15, ("1", "person"): 5}),
    # Mapillary val v2.0 labels/1.png: value 1 (separator) x5, 2 (bicycle) x20
    ("datumaro/mapillary_vistas_dataset", {("1", "construction--barrier--separator"): 5,
                                           ("1", "object--vehicle--bicycle"): 20}),
])
def test_real_samples_pixel_counts(sample, pixels):
    ds = load_dataset(realdata(f"segmentation_masks/{sample}"), ONE)
    rows = _rows(ds)
    assert {k: rows[k][0] for k in pixels} == {k: float(v) for k, v in pixels.items()}


def test_real_cityscapes_train_ids_report_the_unknown_value():
    ds = load_dataset(realdata("segmentation_masks/datumaro/cityscapes_dataset/train_dataset"), ONE)
    (finding,) = [f for f in ds.health if f.code == "mask_unknown_value"]
    # value 19 in the four labelTrainIds masks: 2 + 2 + 4 + 5 pixels
    assert finding.values["keys"] == [{"value": 19, "pixels": 13, "masks": 4}]


def test_voc_rgb_masks_are_named_by_the_voc_colours(tmp_path):
    # VOC colours as RGB: (128, 0, 0) is index 1 'aeroplane', (224, 224, 192) is the void border
    rgb = np.array([[[128, 0, 0], [128, 0, 0], [224, 224, 192]]], np.uint8)
    _png(tmp_path / "SegmentationClass" / "v.png", rgb)
    _image(tmp_path / "JPEGImages" / "v.jpg", (3, 1))
    ds = masks.load(tmp_path, ONE)
    assert _rows(ds) == {("v", "aeroplane"): (2.0, 100 * 2 / 3, 0.0, 0.0, 2.0, 1.0)}
    assert ds.health == ()
