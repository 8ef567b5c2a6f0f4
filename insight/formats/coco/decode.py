"""Decode one COCO instances file into the arrays the box statistics need.

msgspec's typed decoding builds only `images{id,file_name,width,height}`, `categories{id,name,
supercategory}` and `annotations{image_id,id,category_id,bbox,iscrowd}`; polygon coordinates are
skipped unless the task is segmentation (then each annotation keeps its `segmentation` as raw JSON).

The annotations become numpy arrays at once (`Annotations`), so the Structs of a large file
(COCO 2017 train: 450 MB, 860,000 annotations) live only while it is decoded. Decoding the two
halves of such a file in two processes was tried and measured: on this 2-core machine both halves
ran slower side by side and the worker took 0.2-0.5 s to start, so one piece is faster.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from operator import attrgetter

import msgspec
import numpy as np

from insight.formats.shared.gc_pause import no_gc


class Category(msgspec.Struct, gc=False):
    id: int
    name: str
    supercategory: str | None = None


class Image(msgspec.Struct, gc=False):
    id: int | str
    file_name: str = ""
    width: float | None = None
    height: float | None = None


class Annotation(msgspec.Struct, gc=False):
    image_id: int | str
    id: int | str | None = None
    category_id: int | None = None
    bbox: list[float] | None = None
    iscrowd: int | bool = 0


class SegmentedAnnotation(Annotation):
    """Read when the task is segmentation: the polygon or RLE stays raw bytes until decoded."""

    segmentation: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)


class CocoFile(msgspec.Struct, gc=False):
    images: list[Image] = []
    annotations: list[Annotation] = []
    categories: list[Category] = []


class SegmentedCocoFile(CocoFile):
    annotations: list[SegmentedAnnotation] = []


@dataclass
class Annotations:
    """One entry per annotation, in file order."""

    ann_id: np.ndarray  # int64, or object when an id is a string or missing
    image_ref: np.ndarray  # int64, or object
    category: np.ndarray  # int64; -1 when missing
    bbox: np.ndarray  # (n, 4) float; NaN where the bbox is not four numbers
    good_box: np.ndarray  # bool: the bbox is four numbers
    no_bbox: np.ndarray  # bool: the annotation has no bbox at all
    crowd: np.ndarray  # int64
    segmentation: list | None = None  # msgspec.Raw per annotation (segmentation task only)

    def __len__(self) -> int:
        return len(self.category)


@dataclass
class Decoded:
    images: list[Image]
    categories: list[Category]
    annotations: Annotations


def decode(data: bytes, segmentation: bool = False) -> Decoded:
    """The whole document; msgspec's ValidationError and DecodeError pass through."""
    with no_gc():
        doc = msgspec.json.decode(data, type=SegmentedCocoFile if segmentation else CocoFile)
        return Decoded(doc.images, doc.categories, annotation_arrays(doc.annotations, segmentation))


def annotation_arrays(anns: list, segmentation: bool = False) -> Annotations:
    """Columns of the annotations: each field gathered by C-level attribute access, then one numpy
    conversion (about 0.3 s for 860,000 annotations); the slow path only where a value is odd."""
    n = len(anns)
    bboxes = list(map(attrgetter("bbox"), anns))
    bbox, good, no_bbox = _bbox_array(bboxes)
    categories = list(map(attrgetter("category_id"), anns))
    try:
        category = np.array(categories, dtype=np.int64)
    except TypeError:  # a missing category_id
        category = np.array([-1 if c is None else c for c in categories], dtype=np.int64)
    return Annotations(
        ann_id=_ids(list(map(attrgetter("id"), anns))), image_ref=_ids(list(map(attrgetter("image_id"), anns))),
        category=category.reshape(n), bbox=bbox, good_box=good, no_bbox=no_bbox,
        crowd=np.array(list(map(attrgetter("iscrowd"), anns)), dtype=np.int64).reshape(n),
        segmentation=list(map(attrgetter("segmentation"), anns)) if segmentation else None)


def _bbox_array(bboxes: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, 4) floats (NaN rows where a bbox is not four numbers), which are four numbers, which absent."""
    n = len(bboxes)
    try:  # every bbox four numbers: one flat pass (half the time of np.array on 860,000 small lists)
        if n and set(map(len, bboxes)) == {4}:
            array = np.fromiter(chain.from_iterable(bboxes), float, 4 * n).reshape(n, 4)
            return array, np.ones(n, bool), np.zeros(n, bool)
    except TypeError:  # a missing bbox
        pass
    try:
        array = np.array(bboxes, dtype=float)
        if array.shape == (n, 4):
            return array, np.ones(n, bool), np.zeros(n, bool)
    except (TypeError, ValueError):  # a missing bbox, or one of another length
        pass
    lengths = np.fromiter((-1 if b is None else len(b) for b in bboxes), np.int64, n)
    good = lengths == 4
    nan4 = [np.nan] * 4
    array = np.array([b if ok else nan4 for b, ok in zip(bboxes, good)], dtype=float).reshape(n, 4)
    return array, good, lengths == -1


def _ids(values: list) -> np.ndarray:
    """int64 when every id is an int, else an object array (string ids, missing ids): a string id
    "12" must not match the number 12."""
    array = np.array(values) if values else np.zeros(0, np.int64)
    if array.dtype.kind == "i" and array.ndim == 1:
        return array.astype(np.int64, copy=False)
    return np.array(values, dtype=object).reshape(len(values))
