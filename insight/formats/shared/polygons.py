"""Area and bounding box of instance masks written as polygons or run-length encodings (pure helpers).

    COCO "segmentation":  [[x1, y1, x2, y2, ...], ...]             polygons in pixels
                          {"counts": [n0, n1, ...], "size": [h, w]}  uncompressed RLE (iscrowd: 1)
                          {"counts": "<string>", "size": [h, w]}     compressed RLE
    YOLO segment line:    class x1 y1 x2 y2 ...                      polygon, coordinates 0..1

Every mask is rasterised and measured by pycocotools (the library COCO's own `area` comes from), YOLO
polygons too: a class's area in an image is the union of its instances (`union`), overlaps counted
once, and a self-intersecting polygon is measured by the pixels it covers, not by a shoelace sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

MIN_POLYGON_COORDS = 6  # three points; pycocotools reads a 4-number list as a box, not a polygon


@dataclass(frozen=True)
class Shape:
    """area in pixels; bbox (x, y, w, h) in pixels, top-left origin."""

    area: float
    x: float
    y: float
    w: float
    h: float


class InvalidSegmentation(ValueError):
    """A segmentation that is not a polygon list or an RLE, or has no usable polygon."""


def _mask_api():
    from pycocotools import mask as mask_utils

    return mask_utils


def coco_rle(segmentation: Any, height: int, width: int) -> dict:
    """One compressed RLE for a COCO segmentation (polygons are merged, as pycocotools' annToRLE does)."""
    mask_utils = _mask_api()
    if segmentation is None or segmentation == []:
        raise InvalidSegmentation("no segmentation")
    if isinstance(segmentation, list):
        polygons = [list(map(float, p)) for p in segmentation
                    if isinstance(p, (list, tuple)) and len(p) >= MIN_POLYGON_COORDS and len(p) % 2 == 0]
        if not polygons:
            raise InvalidSegmentation("no polygon with at least 3 points")
        return mask_utils.merge(mask_utils.frPyObjects(polygons, int(height), int(width)))
    if isinstance(segmentation, dict) and "counts" in segmentation and "size" in segmentation:
        h, w = (int(v) for v in segmentation["size"])
        if isinstance(segmentation["counts"], list):
            return mask_utils.frPyObjects(segmentation, h, w)
        counts = segmentation["counts"]
        if isinstance(counts, str):
            counts = counts.encode("ascii")
        if not isinstance(counts, bytes):
            raise InvalidSegmentation("RLE counts must be a list of run lengths or a string")
        return {"size": [h, w], "counts": counts}
    raise InvalidSegmentation("expected a list of polygons or an RLE {counts, size}")


def coco_shape(segmentation: Any, height: int, width: int) -> Shape:
    """Pixel area and bounding box of a COCO segmentation, measured by pycocotools."""
    mask_utils = _mask_api()
    try:
        rle = coco_rle(segmentation, height, width)
        area = float(mask_utils.area(rle))
        x, y, w, h = (float(v) for v in mask_utils.toBbox(rle))
    except InvalidSegmentation:
        raise
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidSegmentation(f"pycocotools cannot decode it ({exc})") from None
    return Shape(area, x, y, w, h)


def union(rles: list[dict]) -> dict:
    """One RLE covering every pixel any of `rles` covers (all of one size)."""
    return rles[0] if len(rles) == 1 else _mask_api().merge(rles, intersect=0)


def measure(rle: dict) -> Shape:
    """Pixel area and bounding box of an RLE."""
    mask_utils = _mask_api()
    x, y, w, h = (float(v) for v in mask_utils.toBbox(rle))
    return Shape(float(mask_utils.area(rle)), x, y, w, h)


def polygon_rle(flat_xy: Sequence[float], height: int, width: int) -> dict:
    """A polygon in pixels (x1 y1 x2 y2 ...) rasterised as pycocotools does."""
    mask_utils = _mask_api()
    return mask_utils.merge(mask_utils.frPyObjects([list(map(float, flat_xy))], int(height), int(width)))


def yolo_vertices(coords: Sequence[float]) -> np.ndarray:
    """A YOLO segment line's coordinates (x1 y1 x2 y2 ..., 0..1), checked: an even number, at least
    three points, every one finite."""
    values = np.asarray(coords, dtype=float)
    if values.size < MIN_POLYGON_COORDS or values.size % 2:
        raise InvalidSegmentation(f"a polygon needs an even number (>= {MIN_POLYGON_COORDS}) of coordinates, "
                                  f"got {values.size}")
    if not np.isfinite(values).all():
        raise InvalidSegmentation("a polygon coordinate is not a finite number")
    return values


def extent(flat_xy: np.ndarray) -> tuple[float, float, float, float]:
    """(x, y, w, h) of the box around a polygon's vertices: the box Ultralytics trains a detector on
    for a segment line (segments2boxes)."""
    xs, ys = flat_xy[0::2], flat_xy[1::2]
    x0, y0 = float(xs.min()), float(ys.min())
    return x0, y0, float(xs.max()) - x0, float(ys.max()) - y0
