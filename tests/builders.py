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
