"""Instance masks (COCO polygons and RLE, YOLO polygons) as one mask row per (image, class): the area a
class covers, overlaps once (issue 13 item 4). Expected values come from pycocotools (`frPyObjects`,
`merge`, `area`) and shapely run on the raw annotation files, never from insight's own output."""

from __future__ import annotations

import json
from collections import defaultdict

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from insight.config import Config
from insight.formats import load_dataset
from insight.stats.classes import label_counts_by_split, representation
from insight.stats.masks import mask_stats
from tests.realdata import realdata

shapely = pytest.importorskip("shapely")
from shapely.geometry import Polygon  # noqa: E402
from shapely.ops import unary_union  # noqa: E402

VAL2014 = "public_datasets/coco_val2014_100_labels_only"


def _coco_unions(path) -> dict[tuple[int, str], tuple[float, float]]:
    """(image id, class) -> (pixels covered, share of the image in %), by pycocotools on the raw JSON:
    each polygon list or uncompressed RLE through frPyObjects, compressed RLE as is, then merge."""
    data = json.loads(path.read_text())
    names = {c["id"]: c["name"] for c in data["categories"]}
    size = {i["id"]: (i["height"], i["width"]) for i in data["images"]}
    rles = defaultdict(list)
    for a in data["annotations"]:
        h, w = size[a["image_id"]]
        seg = a["segmentation"]
        if isinstance(seg, list):
            rle = mask_utils.merge(mask_utils.frPyObjects(seg, h, w))
        elif isinstance(seg["counts"], list):
            rle = mask_utils.frPyObjects(seg, h, w)
        else:
            rle = seg
        rles[(a["image_id"], names[a["category_id"]])].append(rle)
    out = {}
    for (image, cls), group in rles.items():
        area = float(mask_utils.area(mask_utils.merge(group, intersect=0)))
        h, w = size[image]
        out[(image, cls)] = (area, area * 100 / (h * w))
    return out


def test_coco_polygons_and_rle_are_measured_as_the_union_per_image_and_class():
    root = realdata(VAL2014)
    expected = _coco_unions(root / "annotations/instances_val2014_100.json")
    ds = load_dataset(root, Config(task="segmentation", workers=1))
    got = {(int(r.image_id.rsplit("/", 1)[1]), r["class"]): (r.area, r.area_pct) for _, r in ds.labels.iterrows()}
    assert got.keys() == expected.keys() and len(got) == 310
    for key, (area, pct) in expected.items():
        assert got[key][0] == area and got[key][1] == pytest.approx(pct)
    assert ds.labels["crowd"].sum() == 9  # the nine iscrowd RLEs are merged into their class's area
    # sheep: 32.36 % of an image summed over instances, 31.44 % covered (the figures)
    sheep = [pct for (_, cls), (_, pct) in expected.items() if cls == "sheep"]
    assert mask_stats(ds)["val"]["sheep"].mean_area_pct == pytest.approx(np.mean(sheep))
    assert np.mean(sheep) == pytest.approx(31.44, abs=0.005)


def test_coco_segmentation_counts_image_class_pairs_everywhere():
    ds = load_dataset(realdata(VAL2014), Config(task="segmentation", workers=1))
    rep = representation(ds)
    assert rep.total == 310 == label_counts_by_split(ds)["val"] == sum(c.count for c in rep.classes)


def test_compressed_rle_of_coco_stuff_is_the_union_of_its_regions():
    root = realdata("coco/cocoapi_pr437_stuff_examples")
    expected = _coco_unions(root / "stuff_examples.json")
    ds = load_dataset(root, Config(task="segmentation", workers=1))
    got = {(int(r.image_id.rsplit("/", 1)[1]), r["class"]): r.area for _, r in ds.labels.iterrows()}
    assert got == {k: v[0] for k, v in expected.items()}


def _yolo_polygons(root, split: str, sizes: dict[str, tuple[int, int]], names: dict[int, str]):
    """(image stem, class) -> list of shapely polygons in pixels, from the raw label files."""
    out = defaultdict(list)
    for path in sorted((root / "labels" / split).glob("*.txt")):
        w, h = sizes[path.stem]
        for line in path.read_text().splitlines():
            v = [float(x) for x in line.split()]
            xy = np.array(v[1:]).reshape(-1, 2) * [w, h]
            out[(path.stem, names[int(v[0])])].append(xy)
    return out


def test_yolo_polygons_are_the_union_pycocotools_and_shapely_agree_on():
    from PIL import Image

    root = realdata("public_datasets/yolo_coco8_seg")
    ds = load_dataset(root, Config(workers=1))
    names = dict(enumerate(ds.classes))
    checked = 0
    for split in ("train", "val"):
        sizes = {p.stem: Image.open(p).size for p in (root / "images" / split).glob("*.jpg")}
        for (stem, cls), polygons in _yolo_polygons(root, split, sizes, names).items():
            w, h = sizes[stem]
            rle = mask_utils.merge([mask_utils.merge(mask_utils.frPyObjects([p.ravel().tolist()], h, w))
                                    for p in polygons], intersect=0)
            row = ds.labels[(ds.labels["image_id"] == f"images/{split}/{stem}.jpg") & (ds.labels["class"] == cls)]
            assert len(row) == 1
            assert row["area"].iat[0] == float(mask_utils.area(rle))
            exact = unary_union([Polygon(p).buffer(0) for p in polygons])
            # rasterising moves the area by at most about half a pixel along the outline
            assert abs(row["area"].iat[0] - exact.area) <= exact.length / 2 + 4
            checked += 1
    assert checked == len(ds.labels) == 15


def test_yolo_segmentation_counts_image_class_pairs_in_every_count():
    root = realdata("public_datasets/yolo_coco8_seg")
    pairs = {s: len({(p.stem, line.split()[0]) for p in (root / "labels" / s).glob("*.txt")
                     for line in p.read_text().splitlines() if line.strip()}) for s in ("train", "val")}
    ds = load_dataset(root, Config(workers=1))
    assert label_counts_by_split(ds) == pairs == {"train": 7, "val": 8}
    assert representation(ds).total == 15


def test_yolo_polygons_read_for_detection_are_their_extents():
    root = realdata("public_datasets/yolo_coco8_seg")
    ds = load_dataset(root, Config(task="detection", workers=1))
    lines = [(p, line.split()) for s in ("train", "val") for p in sorted((root / "labels" / s).glob("*.txt"))
             for line in p.read_text().splitlines() if line.strip()]
    assert ds.task == "detection" and set(ds.labels["kind"]) == {"box"} and len(ds.labels) == len(lines) == 30
    # the first line's box by hand: min and max of its normalised x and y, times 100 for area_pct
    path, first = lines[0]
    xs, ys = np.array(first[1::2], float), np.array(first[2::2], float)
    row = ds.labels[ds.labels["image_id"].str.endswith(path.stem + ".jpg")].iloc[0]
    assert row.area_pct == pytest.approx((xs.max() - xs.min()) * (ys.max() - ys.min()) * 100)
