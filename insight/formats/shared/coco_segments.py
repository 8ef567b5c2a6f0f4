"""The COCO segmentations of one image measured: the per-image task of the COCO segmentation reader
(insight.formats.shared.instance_masks sends one per image through insight.pool, so at COCO scale the
rasterising uses every core, or a cluster's workers).

    ImageSegments(height, width, known, items=[(index, segmentation, class, crowd), ...])
      -> per class, in order of its first instance: (first index, class, x, y, w, h, area, instances,
         crowd) of the union of its instances; and the (stage, index, reason) of each refused one

A segmentation is raw JSON (bytes) or already decoded. The canvas is the image's size when `known`,
else the extent of its masks. Stage 0 refusals are JSON that cannot be read, stage 1 shapes that
cannot be rasterised: the caller lists them in that order, as the reader always has. No pandas here:
pool workers import this module.
"""

from __future__ import annotations

import json
from typing import NamedTuple

import numpy as np

from insight.formats.shared.polygons import InvalidSegmentation, coco_rle, measure, union

DECODING, RASTERISING = 0, 1  # the stage a refused segmentation failed at


class ImageSegments(NamedTuple):
    height: int
    width: int
    known: bool  # the image's size is known: the canvas; else the extent of its masks
    items: list[tuple[int, object, str, int]]  # (index, segmentation, class, crowd 0/1)


def measure_image(job: ImageSegments) -> tuple[list[tuple], list[tuple[int, int, str]]]:
    decoded, refused = [], []
    for i, raw, cls, crowd in job.items:
        try:
            decoded.append((i, decoded_segmentation(raw), cls, crowd))
        except (InvalidSegmentation, ValueError) as exc:
            refused.append((DECODING, i, str(exc)))
    height, width = (job.height, job.width) if job.known else _canvas(seg for _, seg, _, _ in decoded)
    groups: dict[str, list[tuple[int, dict, int]]] = {}
    for i, seg, cls, crowd in decoded:
        try:
            rle = _instance(seg, height, width)
        except (InvalidSegmentation, TypeError, ValueError, OverflowError) as exc:
            reason = str(exc) if isinstance(exc, InvalidSegmentation) else f"pycocotools cannot decode it ({exc})"
            refused.append((RASTERISING, i, reason))
            continue
        groups.setdefault(cls, []).append((i, rle, crowd))
    rows = []
    for cls, members in groups.items():
        shape = measure(union([rle for _, rle, _ in members]))
        rows.append((members[0][0], cls, shape.x, shape.y, shape.w, shape.h, shape.area, len(members),
                     sum(crowd for _, _, crowd in members)))
    return rows, refused


def decoded_segmentation(raw):
    if isinstance(raw, (list, dict)):
        return raw
    data = bytes(raw)
    if not data.strip():
        raise InvalidSegmentation("no segmentation")
    return json.loads(data)


def _instance(seg, height: int, width: int) -> dict:
    rle = coco_rle(seg, height, width)
    if list(rle["size"]) != [height, width]:
        h, w = rle["size"]
        raise InvalidSegmentation(f"RLE of {w}x{h} px on an image of {width}x{height} px")
    return rle


def _canvas(segmentations) -> tuple[int, int]:
    """(height, width) that holds every segmentation of an image of unknown size."""
    height = width = 0
    for seg in segmentations:
        h, w = extent_of(seg)
        height, width = max(height, h), max(width, w)
    return height, width


def extent_of(seg) -> tuple[int, int]:
    """(height, width) that holds a segmentation when the image size is unknown (0, 0 if none)."""
    if isinstance(seg, dict) and "size" in seg:
        h, w = seg["size"]
        return int(h), int(w)
    try:
        coords = np.concatenate([np.asarray(p, float) for p in seg if isinstance(p, list) and len(p) >= 2])
    except (TypeError, ValueError):
        return 0, 0
    if not coords.size or not np.isfinite(coords).all():
        return 0, 0
    return int(np.ceil(coords[1::2].max())) + 1, int(np.ceil(coords[0::2].max())) + 1
