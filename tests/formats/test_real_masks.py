"""Mask layouts on real exports, checked against numpy on the raw PNGs (Pillow decodes, numpy counts):
the Roboflow semantic-segmentation export (issue 13 item 1) and background classes (item 7)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from insight.config import Config
from insight.formats import detect, load_dataset
from insight.formats.shared.label_maps import read_label_map
from insight.stats.classes import label_counts_by_split, representation
from insight.stats.masks import mask_stats
from tests.realdata import realdata

SEMSEG = "public_datasets/semseg_roboflow_png_masks"


def _values_per_mask(paths: list[Path]) -> dict[str, Counter]:
    """mask file -> Counter(pixel value -> pixels), by numpy on the decoded PNG."""
    out = {}
    for path in paths:
        values, counts = np.unique(np.asarray(Image.open(path)), return_counts=True)
        out[path.name] = Counter(dict(zip(values.tolist(), counts.tolist())))
    return out


@pytest.mark.parametrize("sub", ["", "/train"])
def test_roboflow_semantic_masks_read_as_masks_with_their_label_map(sub):
    root = realdata(SEMSEG + sub)
    assert detect(root).name == "masks"
    ds = load_dataset(root)
    raw = _values_per_mask(sorted(realdata(SEMSEG).glob("train/*_mask.png")))
    names = {int(v): n.strip() for v, n in (line.split(",", 1) for line in
             (realdata(SEMSEG) / "train/_classes.csv").read_text().splitlines()[1:])}
    assert ds.task == "segmentation" and len(ds.images) == 9 == len(raw)
    assert ds.background == ("background",) and names[0] == "background"
    # image-class pairs of every class but background (value 0): 48 on these 9 masks
    pairs = Counter(names[v] for counts in raw.values() for v in counts if v != 0)
    assert sum(pairs.values()) == 48
    rep = representation(ds)
    assert {c.name: c.count for c in rep.classes} == {n: pairs.get(n, 0) for v, n in sorted(names.items()) if v}
    assert rep.total == 48 == label_counts_by_split(ds)["train"]
    # background keeps its area: the share of each image that is value 0, averaged over the 9 images
    background = [counts[0] / sum(counts.values()) * 100 for counts in raw.values()]
    stats = mask_stats(ds)["train"]["background"]
    assert stats.images == 9 and stats.mean_area_pct == pytest.approx(np.mean(background))


def test_the_pixel_value_label_map_is_accepted_by_classes_and_format(tmp_path):
    root = realdata(SEMSEG + "/train")
    label_map = read_label_map(root / "_classes.csv")
    assert label_map.by_value[0] == "background" and label_map.by_value[17] == "umbrella"
    ds = load_dataset(root, Config(format="masks", task="segmentation", classes_file=str(root / "_classes.csv")))
    assert len(ds.classes) == 18 and ds.background == ("background",)


def test_a_one_hot_classes_csv_stays_multilabel(tmp_path):
    (tmp_path / "train").mkdir()
    (tmp_path / "train/_classes.csv").write_text("filename, cat, dog\na.jpg, 1, 0\nb.jpg, 0, 1\n")
    assert detect(tmp_path).name == "multilabel-csv"


def test_labelme_background_is_no_class_to_represent():
    root = realdata("segmentation_masks/labelme_voc_instance_segmentation")
    ds = load_dataset(root)
    raw = _values_per_mask(sorted((root / "SegmentationClass").glob("*.png")))
    names = [line.strip() for line in (root / "class_names.txt").read_text().splitlines() if line.strip()]
    assert names[0] == "_background_" and ds.background == ("_background_",)
    rep = representation(ds)
    assert "_background_" not in [c.name for c in rep.classes] and len(rep.classes) == len(names) - 1
    pairs = sum(1 for counts in raw.values() for v in counts if v not in (0, 255))
    assert rep.total == pairs and pairs == 7
    assert rep.cutoff == -(-3 * pairs // (4 * (len(names) - 1)))  # ceil(0.75 * N / K) with K = 20
    assert mask_stats(ds)["train"]["_background_"].images == 3
