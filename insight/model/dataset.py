"""`Dataset`: declared classes, one row per image, one row per label, whatever the input format.

Built once by a loader and validated here; statistics only read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from insight.model.findings import Finding

TASKS = ("classification", "multilabel", "detection", "segmentation")
LABEL_KINDS = ("tag", "box", "mask")
IMAGE_COLUMNS = ("image_id", "split", "path", "width", "height")
LABEL_COLUMNS = ("image_id", "split", "class", "kind", "x", "y", "w", "h", "area", "area_pct")
_TEXT_IMAGE_COLUMNS = ("image_id", "split", "path")
_TEXT_LABEL_COLUMNS = ("image_id", "split", "class", "kind")
_NUMERIC_IMAGE_COLUMNS = ("width", "height")
_NUMERIC_LABEL_COLUMNS = ("x", "y", "w", "h", "area", "area_pct")


def empty_images() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64" if c in _NUMERIC_IMAGE_COLUMNS else "object")
                         for c in IMAGE_COLUMNS})


def empty_labels() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64" if c in _NUMERIC_LABEL_COLUMNS else "object")
                         for c in LABEL_COLUMNS})


@dataclass(frozen=True)
class Dataset:
    """What a loader returns. `health` holds what the loader found wrong while reading."""

    root: str
    task: str
    format: str
    classes: tuple[str, ...]
    images: pd.DataFrame
    labels: pd.DataFrame
    health: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()
    has_image_files: bool = True
    extras: dict = field(default_factory=dict)
    # Declared classes that are a label map's background (or what the format defines as background):
    # their rows stay in the tables (their mask area is a statistic), but they are no class to represent.
    background: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "classes", tuple(str(c) for c in self.classes))
        object.__setattr__(self, "health", tuple(self.health))
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "background", tuple(str(c) for c in self.background))
        _validate(self)

    def with_health(self, findings) -> Dataset:
        """This dataset with more health findings. The tables are the same ones, so they are not
        checked again (dataclasses.replace would, at a cost of seconds at COCO scale) and what was
        computed from them is kept."""
        copy = object.__new__(Dataset)
        copy.__dict__.update(self.__dict__)
        object.__setattr__(copy, "health", self.health + tuple(findings))
        return copy

    @property
    def represented(self) -> tuple[str, ...]:
        """The declared classes to represent: every class but the background, in declared order."""
        return tuple(c for c in self.classes if c not in self.background)

    @property
    def splits(self) -> list[str]:
        """Splits in reading order: train, val, test, then any other name alphabetically."""
        return order_splits(self.images["split"].unique())

    def label_codes(self, column: str) -> np.ndarray:
        """labels["class"] as positions in `classes`, or labels["split"] in `splits` (int32, -1 for a
        value not there); computed once: several statistics group by them."""
        key = f"_label_codes_{column}"
        if key not in self.__dict__:
            order = list(self.classes) if column == "class" else self.splits
            codes = pd.Categorical(self.labels[column], categories=order).codes.astype(np.int32)
            self.__dict__[key] = codes
        return self.__dict__[key]

    def label_image_rows(self) -> np.ndarray:
        """For each label, the row of its image in `images` (found once, when the tables are checked)."""
        return self.__dict__["_label_image_rows"]

    def images_of(self, split: str) -> pd.DataFrame:
        return self.images[self.images["split"] == split]

    def labels_of(self, split: str) -> pd.DataFrame:
        return self.labels[self.labels["split"] == split]


SPLIT_ORDER = ("train", "val", "test")


def order_splits(names) -> list[str]:
    names = {str(n) for n in names}
    known = [s for s in SPLIT_ORDER if s in names]
    return known + sorted(names - set(SPLIT_ORDER))


def _validate(ds: Dataset) -> None:
    if ds.task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {ds.task!r}")
    if len(set(ds.classes)) != len(ds.classes):
        dupes = sorted({c for c in ds.classes if ds.classes.count(c) > 1})
        raise ValueError(f"classes declared twice: {dupes}")
    if set(ds.background) - set(ds.classes):
        raise ValueError(f"background classes that are not declared: {sorted(set(ds.background) - set(ds.classes))}")
    _require_columns("images", ds.images, IMAGE_COLUMNS, _NUMERIC_IMAGE_COLUMNS)
    _require_columns("labels", ds.labels, LABEL_COLUMNS, _NUMERIC_LABEL_COLUMNS)
    images, labels = ds.images, ds.labels
    if images["image_id"].duplicated().any():
        dup = images.loc[images["image_id"].duplicated(), "image_id"].iloc[0]
        raise ValueError(f"image_id is not unique: {dup!r}")
    if images["split"].isna().any() or (images["split"].astype(str) == "").any():
        raise ValueError("every image needs a split")
    if len(labels):
        undeclared = set(labels["class"].unique()) - set(ds.classes)
        if undeclared:
            raise ValueError(f"labels use classes that are not declared: {sorted(map(str, undeclared))[:5]}")
        bad_kind = set(labels["kind"].unique()) - set(LABEL_KINDS)
        if bad_kind:
            raise ValueError(f"label kind must be one of {LABEL_KINDS}, got {sorted(bad_kind)}")
    rows = pd.Index(images["image_id"]).get_indexer(labels["image_id"]) if len(labels) else np.zeros(0, np.intp)
    if (rows < 0).any():
        raise ValueError(f"labels refer to images not in the images table: "
                         f"{labels['image_id'].iloc[int(np.flatnonzero(rows < 0)[0])]!r}")
    ds.__dict__["_label_image_rows"] = rows.astype(np.int32)  # frozen: kept beside the fields


def _require_columns(table: str, df: pd.DataFrame, columns, numeric) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{table} table lacks columns {missing}")
    for c in numeric:
        if not np.issubdtype(df[c].dtype, np.number):
            raise ValueError(f"{table}.{c} must be numeric, got {df[c].dtype}")
