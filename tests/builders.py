"""Tiny hand-checkable tables for tests: a Dataset from a few lines of Python."""

from __future__ import annotations

import pandas as pd

from insight.model import Dataset


def classification(counts: dict[str, dict[str, int]], classes: list[str] | None = None) -> Dataset:
    """counts = {split: {class: number of images}} -> a class-folder style Dataset."""
    rows = [(f"{split}/{cls}/{i}.jpg", split, cls)
            for split, per_class in counts.items() for cls, n in per_class.items() for i in range(n)]
    declared = classes if classes is not None else sorted({c for pc in counts.values() for c in pc})
    images = pd.DataFrame({"image_id": [r[0] for r in rows], "split": [r[1] for r in rows],
                           "path": [r[0] for r in rows], "width": 32.0, "height": 32.0})
    labels = pd.DataFrame({"image_id": images["image_id"], "split": images["split"],
                           "class": [r[2] for r in rows], "kind": "tag",
                           **{c: float("nan") for c in ("x", "y", "w", "h", "area", "area_pct")}})
    return Dataset(root="mem", task="classification", format="test", classes=tuple(declared),
                   images=images.astype({"width": "float64", "height": "float64"}), labels=labels)


def drifting_boxes() -> Dataset:
    """car: 60 train boxes, 30 of 10x10 px and 30 of 20x20 px (1 % and 4 % of a 100x100 image); 60 val boxes,
    30 of 20x20 and 30 of 40x40 (4 % and 16 %): box area D = 0.5. person: 60 train boxes and 10 val boxes of
    10x10: too few (ne = 8.6). One box per image, every image 100x100."""
    images, labels = [], []

    def add(split, cls, side, n):
        for _ in range(n):
            image_id = f"{split}/{len(images)}"
            images.append({"image_id": image_id, "split": split, "path": image_id, "width": 100.0,
                           "height": 100.0})
            labels.append({"image_id": image_id, "split": split, "class": cls, "kind": "box", "x": 0.0, "y": 0.0,
                           "w": float(side), "h": float(side), "area": float(side * side),
                           "area_pct": side * side / 100.0})

    add("train", "car", 10, 30), add("train", "car", 20, 30), add("val", "car", 20, 30), add("val", "car", 40, 30)
    add("train", "person", 10, 60), add("val", "person", 10, 10)
    return Dataset(root="mem", task="detection", format="test", classes=("car", "person"),
                   images=pd.DataFrame(images), labels=pd.DataFrame(labels))
