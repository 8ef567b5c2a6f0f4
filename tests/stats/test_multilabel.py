"""Multi-label statistics on a tiny hand-made table; expected numbers worked out by hand."""

from __future__ import annotations

import pandas as pd

from insight.model import Dataset
from insight.stats.multilabel import PER_IMAGE_BINS, multilabel_stats, per_image_bin, top_classes


def tags_dataset(tags, images, classes) -> Dataset:
    img = pd.DataFrame([{"image_id": i, "split": s, "path": i, "width": float("nan"), "height": float("nan")}
                        for i, s in images])
    split = dict(images)
    labels = pd.DataFrame([{"image_id": i, "split": split[i], "class": c, "kind": "tag",
                            **{k: float("nan") for k in ("x", "y", "w", "h", "area", "area_pct")}}
                           for i, c in tags],
                          columns=["image_id", "split", "class", "kind", "x", "y", "w", "h", "area", "area_pct"])
    return Dataset(root="mem", task="multilabel", format="test", classes=tuple(classes), images=img, labels=labels)


IMAGES = [("a", "train"), ("b", "train"), ("c", "train"), ("d", "val"), ("e", "val")]
TAGS = [("a", "cat"), ("a", "dog"), ("b", "dog"), ("b", "cat"), ("b", "bird"), ("d", "dog"), ("a", "cat")]


def test_labels_per_image_and_cooccurrence():
    stats = multilabel_stats(tags_dataset(TAGS, IMAGES, ["bird", "cat", "dog", "fish"]))
    train, val = stats["train"], stats["val"]
    # train: a has cat, dog (the repeated cat counts once) = 2; b has 3; c has 0 -> 5 labels on 3 images
    assert train.images == 3 and train.labels == 5 and train.mean_labels_per_image == 5 / 3
    assert dict(zip(train.labels_per_image.labels, train.labels_per_image.counts)) == \
        {"0": 1, "1": 0, "2": 1, "3": 1, "4": 0, "5-9": 0, ">=10": 0}
    # top classes over all splits: dog 3 images, cat 2, bird 1, fish 0 (ties by name)
    assert train.cooccurrence.classes == ("dog", "cat", "bird", "fish")
    # train: dog&cat in a and b = 2; dog&bird and cat&bird in b = 1; diagonal = images with the class
    assert train.cooccurrence.counts == ((2, 2, 1, 0), (2, 2, 1, 0), (1, 1, 1, 0), (0, 0, 0, 0))
    # val: d has dog only, e nothing
    assert val.cooccurrence.counts[0] == (1, 0, 0, 0) and val.labels_per_image.counts[:2] == (1, 1)


def test_top_classes_limit():
    ds = tags_dataset(TAGS, IMAGES, ["bird", "cat", "dog", "fish"])
    assert top_classes(ds, 2) == ("dog", "cat")


def test_per_image_bins():
    assert [PER_IMAGE_BINS[b] for b in per_image_bin([0, 1, 4, 5, 9, 10, 40])] == \
        ["0", "1", "4", "5-9", "5-9", ">=10", ">=10"]
