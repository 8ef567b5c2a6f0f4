"""Polygon and RLE helpers: areas and boxes checked by hand, against COCO's own `area`, or against numpy
decoding the run lengths directly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from insight.formats.shared.polygons import (InvalidSegmentation, coco_shape, extent, measure, polygon_rle,
                                             union, yolo_vertices)
from tests.realdata import realdata


def _load(path):
    data = json.loads(path.read_text())
    return {i["id"]: i for i in data["images"]}, data["annotations"]


def test_compressed_rle_matches_the_area_and_bbox_coco_stored():
    # COCO-Stuff: every segmentation is a compressed RLE string; `area` and `bbox` were written by
    # the COCO authors with pycocotools when the file was made
    images, anns = _load(realdata("coco/cocoapi_pr437_stuff_examples") / "stuff_examples.json")
    assert len(anns) == 17 and all(isinstance(a["segmentation"]["counts"], str) for a in anns)
    for a in anns:
        im = images[a["image_id"]]
        shape = coco_shape(a["segmentation"], im["height"], im["width"])
        assert shape.area == a["area"]
        assert (shape.x, shape.y, shape.w, shape.h) == tuple(a["bbox"])


def _decode_uncompressed(counts, h, w) -> np.ndarray:
    """Run lengths alternate 0s and 1s over the pixels in column-major order (COCO's RLE), by numpy."""
    values = np.repeat(np.arange(len(counts)) % 2, counts).astype(bool)
    return values.reshape(w, h).T


def test_uncompressed_rle_matches_numpy():
    images, anns = _load(realdata("coco/cocoapi_pr585_val2017_1img") / "instances_val2017_1img-sample.json")
    (crowd,) = [a for a in anns if a["iscrowd"]]
    seg = crowd["segmentation"]
    h, w = seg["size"]
    mask = _decode_uncompressed(seg["counts"], h, w)
    ys, xs = np.nonzero(mask)
    shape = coco_shape(seg, h, w)
    assert shape.area == mask.sum() == 12852
    assert (shape.x, shape.y, shape.w, shape.h) == (xs.min(), ys.min(), xs.max() - xs.min() + 1,
                                                    ys.max() - ys.min() + 1)
    # (The file's own `area` for this crowd region, 18419, does not match its pixels: the sample was
    # cut from val2017 and its `area` kept; the pixel count is what we report.)


def test_polygon_is_rasterised_like_pycocotools():
    # an axis-aligned 4 x 3 rectangle from (2, 1) to (6, 4): pycocotools covers the 12 pixel centres inside
    shape = coco_shape([[2, 1, 6, 1, 6, 4, 2, 4]], 10, 10)
    assert shape.area == 12 and (shape.x, shape.y, shape.w, shape.h) == (2, 1, 4, 3)


def test_two_polygons_of_one_instance_are_merged():
    shape = coco_shape([[0, 0, 2, 0, 2, 2, 0, 2], [5, 5, 7, 5, 7, 7, 5, 7]], 10, 10)
    assert shape.area == 8 and (shape.x, shape.y, shape.w, shape.h) == (0, 0, 7, 7)


@pytest.mark.parametrize("bad", [[], [[1, 2, 3, 4]], "x", {"counts": 5, "size": [2, 2]}, {"size": [2, 2]}])
def test_invalid_coco_segmentations(bad):
    with pytest.raises(InvalidSegmentation):
        coco_shape(bad, 10, 10)


def test_extent_of_a_triangle_by_hand():
    # (0,0) (1,0) (0,1): the box from (0, 0), 1 wide and 1 high
    assert extent(np.array([0, 0, 1, 0, 0, 1.0])) == (0, 0, 1, 1)
    assert extent(np.array([0.25, 0.5, 0.75, 0.25, 0.5, 0.75])) == (0.25, 0.25, 0.5, 0.5)


def test_a_rectangle_rasterises_to_its_pixels():
    # a 4 x 3 px rectangle on pixel corners covers exactly 12 pixels, box (2, 1, 4, 3)
    shape = measure(polygon_rle([2, 1, 6, 1, 6, 4, 2, 4], 10, 10))
    assert shape.area == 12 and (shape.x, shape.y, shape.w, shape.h) == (2, 1, 4, 3)


def test_the_union_counts_an_overlap_once():
    # two 4 x 4 squares overlapping in a 2 x 2 corner: 16 + 16 - 4 = 28 pixels
    a, b = polygon_rle([0, 0, 4, 0, 4, 4, 0, 4], 10, 10), polygon_rle([2, 2, 6, 2, 6, 6, 2, 6], 10, 10)
    assert measure(union([a, b])).area == 28 and measure(union([a])).area == 16


def test_a_self_intersecting_polygon_is_measured_by_its_pixels():
    # a bow tie (0,0) (8,0) (0,8) (8,8): the shoelace sum is 0, the two triangles cover about 32 px
    # (8 x 8 / 2, pixels on the crossing counted once)
    xs, ys = np.array([0, 8, 0, 8.0]), np.array([0, 0, 8, 8.0])
    assert abs(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1))) / 2 == 0
    assert 28 <= measure(polygon_rle([0, 0, 8, 0, 0, 8, 8, 8], 10, 10)).area <= 36


@pytest.mark.parametrize("bad", [[0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4, 0.5], [0, 0, 1, 0, float("nan"), 1]])
def test_invalid_yolo_polygons(bad):
    with pytest.raises(InvalidSegmentation):
        yolo_vertices(bad)


def test_coco_loader_reads_masks_when_the_task_is_segmentation():
    from insight.config import Config
    from insight.formats.coco import reader as coco

    root = realdata("coco/cocoapi_pr437_stuff_examples")
    images, anns = _load(root / "stuff_examples.json")
    ds = coco.load(root, Config(task="segmentation", workers=1))
    assert ds.task == "segmentation" and set(ds.labels["kind"]) == {"mask"} and len(ds.labels) == len(anns)
    # areas and boxes as COCO stored them (pycocotools), area_pct over the image's W*H
    assert sorted(ds.labels["area"]) == sorted(a["area"] for a in anns)
    first = anns[0]
    im = images[first["image_id"]]
    row = ds.labels[ds.labels["area"] == first["area"]].iloc[0]
    assert (row.x, row.y, row.w, row.h) == tuple(first["bbox"])
    assert row.area_pct == pytest.approx(first["area"] * 100 / (im["width"] * im["height"]))


def test_coco_annotation_without_segmentation_is_a_finding():
    from insight.config import Config
    from insight.formats.coco import reader as coco

    ds = coco.load(realdata("coco/mmyolo_coco_sample"), Config(task="segmentation", workers=1))
    # annotation 1 is a 10 x 10 polygon square; the other seven (ids 2-7 and 9) carry no segmentation;
    # id 6 also names the undeclared category 3, which has its own finding
    assert ds.labels["area"].tolist() == [100.0]
    (invalid,) = [f for f in ds.health if f.code == "segmentation_invalid"]
    assert invalid.count == 7 and invalid.values["reasons"] == ["no segmentation"]
    assert any(f.code == "undeclared_class" for f in ds.health)


def _load_yolo_seg(root, size, label_text: str, names: str):
    """A one-image YOLO dataset (images/train/a.jpg of `size`, labels/train/a.txt), loaded in-process."""
    from PIL import Image

    from insight.config import Config
    from insight.formats.yolo import reader as yolo

    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    Image.new("RGB", size).save(root / "images" / "train" / "a.jpg")
    (root / "labels" / "train" / "a.txt").write_text(label_text)
    (root / "data.yaml").write_text(f"names: {names}\ntrain: images/train\n")
    return yolo.load(root, Config(workers=1))


def test_yolo_segment_lines_become_mask_rows(tmp_path):
    # class 1: triangle (0,0) (1,0) (0,1) = half of 100 x 50 = 2500 px; class 0: square 0.2..0.6 x
    # 0.2..0.6 = 0.16 of the image = 800 px, box x 20 w 40, y 10 h 20
    ds = _load_yolo_seg(tmp_path, (100, 50), "1 0 0 1 0 0 1\n0 0.2 0.2 0.6 0.2 0.6 0.6 0.2 0.6\n",
                        "[square, triangle]")  # every line is a polygon: segmentation without asking
    assert ds.task == "segmentation" and set(ds.labels["kind"]) == {"mask"}
    rows = ds.labels.set_index("class")
    # rasterised, the triangle's area is within half a pixel along its outline (100 + 50 + 112 px) of 2500
    assert abs(rows.at["triangle", "area"] - 2500) <= 131
    assert rows.at["triangle", "area_pct"] == pytest.approx(rows.at["triangle", "area"] / 50)
    assert rows.at["square", "area"] == 800  # 40 x 20 px on pixel corners
    assert tuple(rows.loc["square", ["x", "y", "w", "h"]]) == pytest.approx((20, 10, 40, 20))
    assert not any(f.code == "polygon_lines_skipped" for f in ds.health)


def test_yolo_segment_line_with_a_nan_class_is_an_invalid_polygon(tmp_path):
    # found by the property test: seven values, the class id NaN
    ds = _load_yolo_seg(tmp_path, (10, 10), "nan 0 0 0 0 0 0\n0 0 0 1 0 0 1\n", "[a]")
    invalid = next(f for f in ds.health if f.code == "segmentation_invalid")
    assert invalid.count == 1 and list(invalid.examples) == ["labels/train/a.txt:1"]
    assert invalid.values["reasons"] == ["NaN or inf value"]
    assert len(ds.labels) == 1  # the triangle on line 2 is still read


def test_real_yolo_seg_polygons_with_panoptic_ids():
    from pycocotools import mask as mask_utils

    from insight.config import Config
    from insight.formats.yolo import reader as yolo

    root = realdata("yolo/lightly_coco128_subset10/instance_segmentation")
    # its `images` is a link file to ../images, outside this folder: read only when asked to
    ds = yolo.load(root, Config(workers=1, task="segmentation", follow_outside=True))
    pairs = {(p.stem, ln.split()[0]) for p in sorted((root / "labels").rglob("*.txt")) for ln in p.read_text().splitlines()
             if ln.strip()}
    assert len(ds.labels) == len(pairs) and ds.task == "segmentation"
    # 000000000143.jpg (600 x 500) holds eight polygons of class 16 (bird): merged by pycocotools
    import yaml

    name = yaml.safe_load((root / "config.yaml").read_text())["names"][16]
    lines = [[float(v) for v in ln.split()] for ln in
             (root / "labels" / "train2017" / "000000000143.txt").read_text().splitlines() if ln.strip()]
    birds = [np.array(v[1:]) * np.tile([600, 500], (len(v) - 1) // 2) for v in lines if v[0] == 16]
    rle = mask_utils.merge([mask_utils.merge(mask_utils.frPyObjects([p.tolist()], 500, 600)) for p in birds])
    row = ds.labels[ds.labels["image_id"].str.endswith("000000000143.jpg") & (ds.labels["class"] == name)]
    assert len(birds) == 8 and row["instances"].iat[0] == 8
    assert row["area"].iat[0] == float(mask_utils.area(rle))
    assert row["area_pct"].iat[0] == pytest.approx(float(mask_utils.area(rle)) * 100 / (600 * 500))


COCO_SAMPLES = ["cocoapi_pr437_stuff_examples", "cocoapi_pr585_val2017_1img", "labelme_instance_segmentation",
                "mmyolo_coco_sample", "roboflow_medical_waste_elbhnasy/test",
                "roboflow_medical_waste_elbhnasy/valid_annotations_only", "datumaro/kaggle_relaxed_coco",
                "datumaro/roboflow_coco"] + [f"datumaro/coco_dataset/{n}" for n in (
                    "coco", "coco_captions", "coco_image_info", "coco_instances", "coco_labels", "coco_panoptic",
                    "coco_person_keypoints", "coco_roboflow", "coco_stuff", "mmdet_coco")]


@pytest.mark.parametrize("sample", COCO_SAMPLES)
def test_every_real_coco_sample_reads_as_masks_or_fails_in_one_line(sample):
    from insight.config import Config
    from insight.errors import DatasetError
    from insight.formats import load_dataset

    root = realdata(f"coco/{sample}")
    try:
        ds = load_dataset(root, Config(task="segmentation", workers=1))
    except DatasetError as exc:  # captions, labels, image info and panoptic files are not instances
        assert "\n" not in str(exc) and str(root) in str(exc)
        assert any(w in sample for w in ("captions", "image_info", "labels", "panoptic"))
        return
    assert ds.format == "coco" and ds.task == "segmentation"
    assert set(ds.labels["kind"]) <= {"mask"} and (ds.labels["area"] >= 0).all()
