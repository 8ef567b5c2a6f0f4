"""Split drift on real data: COCO128's detection labels (train2017 vs val2017 label files, no images).
The expected D is computed independently from the raw label files: YOLO lines `class cx cy w h` with w
and h as fractions of the image, so a box's area is w * h * 100 % of it; D by brute force over every
value, as the largest gap between the fractions of each sample at or below it."""

from __future__ import annotations

import numpy as np
import pytest

from insight.config import Config
from insight.formats import load_dataset
from insight.stats.drift import split_drift
from tests.realdata import realdata

PERSON = 0  # COCO's class 0 in the YOLO label files


def _areas(folder, cls=None) -> np.ndarray:
    values = []
    for path in sorted(folder.glob("*.txt")):
        for line in path.read_text().splitlines():
            parts = line.split()
            if parts and (cls is None or int(parts[0]) == cls):
                values.append(float(parts[3]) * float(parts[4]) * 100)
    return np.array(values)


def _brute_d(a: np.ndarray, b: np.ndarray) -> float:
    return max(abs((a <= x).mean() - (b <= x).mean()) for x in np.concatenate([a, b]))


def test_coco128_train_vs_val_box_area():
    root = realdata("yolo/lightly_coco128_detect_labels_only")
    drift = split_drift(load_dataset(root, Config()))
    assert (drift.reference, drift.other) == ("train", "val")
    by = {(t.class_name, t.property): t for t in drift.tests}
    train, val = root / "labels" / "train2017", root / "labels" / "val2017"
    for cls, name in ((PERSON, "person"), (None, None)):
        a, b = _areas(train, cls), _areas(val, cls)
        test = by[(name, "box_area")]
        assert (test.n_reference, test.n_other) == (len(a), len(b))
        assert test.effect == pytest.approx(_brute_d(a, b), abs=1e-9)
    # a class with a box or two per split gets no verdict
    assert by[("bear", "box_area")].verdict == "too few to judge"
    assert all(t.q_value is None for t in drift.tests if t.verdict == "too few to judge")
