"""Instance masks of the COCO and YOLO readers as `mask` label rows: one row per (image, class), the
union of the class's instances in the image (segmentation task).

    COCO  annotations[].segmentation   polygons or RLE (compressed or not)
    YOLO  labels/<split>/x.txt         `cls x1 y1 x2 y2 ...` (0..1); box lines as rectangles
          -> rasterised by pycocotools, merged per (image, class): area = pixels covered (overlaps
             once), x, y, w, h = the box around them, `instances` = how many were merged, `crowd` =
             how many of those are COCO crowd regions (iscrowd: 1)

A YOLO image whose size is unknown (a label-only dataset) is rasterised on a NOMINAL_SIDE square:
area_pct is then known, pixel values are not. A segmentation that cannot be measured is left out and
counted in a `segmentation_invalid` finding. The geometry lives in insight/formats/shared/polygons.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from insight.formats.shared.polygons import (InvalidSegmentation, coco_rle, extent, measure, polygon_rle,
                                             union, yolo_vertices)
from insight.model.dataset import LABEL_COLUMNS
from insight.model.findings import MAX_EXAMPLES, Finding, Severity

NOMINAL_SIDE = 1000  # px per side of the grid a YOLO polygon is rasterised on when its image size is unknown
MASK_COLUMNS = (*LABEL_COLUMNS, "instances", "crowd")


@dataclass
class Instances:
    """Instance masks gathered before the union: per instance, its image row, class and RLE."""

    row: list[int] = field(default_factory=list)
    cls: list[str] = field(default_factory=list)
    rle: list[dict] = field(default_factory=list)
    crowd: list[int] = field(default_factory=list)
    bad_where: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def add(self, row: int, cls: str, rle: dict, crowd: int = 0) -> None:
        self.row.append(row)
        self.cls.append(cls)
        self.rle.append(rle)
        self.crowd.append(crowd)

    def refuse(self, where: str, reason: str) -> None:
        self.bad_where.append(where)
        self.reasons.append(reason)

    def findings(self) -> list[Finding]:
        if not self.bad_where:
            return []
        return [Finding("segmentation_invalid", Severity.WARNING, len(self.bad_where),
                        values={"reasons": sorted(set(self.reasons))[:3]}, examples=self.bad_where[:MAX_EXAMPLES])]


def class_union_rows(instances: Instances, images: pd.DataFrame, pixels_known: np.ndarray | None = None,
                     canvas_area: np.ndarray | None = None) -> pd.DataFrame:
    """One mask row per (image, class) in order of first appearance. `pixels_known` (per image row,
    default: the size is known) says whether x, y, w, h, area are pixels of the image; `canvas_area`
    (per image row, default W * H) is what area_pct divides by."""
    groups: dict[tuple[int, str], list[int]] = {}
    for k, key in enumerate(zip(instances.row, instances.cls)):
        groups.setdefault(key, []).append(k)
    width, height = images["width"].to_numpy(dtype=float), images["height"].to_numpy(dtype=float)
    if canvas_area is None:
        canvas_area = width * height
    if pixels_known is None:
        pixels_known = np.ones(len(images), bool)
    rows = []
    for (row, cls), members in groups.items():
        shape = measure(union([instances.rle[k] for k in members]))
        pixels = (shape.x, shape.y, shape.w, shape.h, shape.area) if pixels_known[row] else (np.nan,) * 5
        rows.append((images["image_id"].iat[row], images["split"].iat[row], cls, "mask", *pixels,
                     shape.area * 100 / canvas_area[row], len(members), sum(instances.crowd[k] for k in members)))
    table = pd.DataFrame(rows, columns=list(MASK_COLUMNS))
    return table.astype({c: float for c in ("x", "y", "w", "h", "area", "area_pct")} | {"instances": np.int64,
                                                                                       "crowd": np.int64})


# ---------------------------------------------------------------- COCO

def coco_mask_labels(table: pd.DataFrame, segmentations: list, image_rows: np.ndarray, images: pd.DataFrame,
                     where: list[str]) -> tuple[pd.DataFrame, list[Finding]]:
    """The union mask rows of the annotations in `table` (one box row per annotation, in the order of
    `segmentations`; `image_rows` their rows in `images`). `segmentations` are raw JSON (bytes or
    msgspec.Raw) or decoded objects. An image of unknown size is measured on the extent of its masks."""
    found = Instances()
    decoded: list[tuple[int, object]] = []
    for i, raw in enumerate(segmentations):
        try:
            decoded.append((i, _decoded(raw)))
        except (InvalidSegmentation, ValueError) as exc:
            found.refuse(where[i], str(exc))
    canvas = _coco_canvas(decoded, image_rows, images)
    crowd = table["iscrowd"].to_numpy() if "iscrowd" in table else np.zeros(len(table), np.int64)
    classes = table["class"].to_numpy()
    for i, seg in decoded:
        row = int(image_rows[i])
        try:
            rle = _coco_instance(seg, *canvas[row])
        except (InvalidSegmentation, TypeError, ValueError, OverflowError) as exc:
            reason = str(exc) if isinstance(exc, InvalidSegmentation) else f"pycocotools cannot decode it ({exc})"
            found.refuse(where[i], reason)
            continue
        found.add(row, classes[i], rle, int(bool(crowd[i])))
    known = (images["width"].to_numpy(dtype=float) > 0) & (images["height"].to_numpy(dtype=float) > 0)
    return class_union_rows(found, images, known), found.findings()


def _coco_instance(seg, height: int, width: int) -> dict:
    rle = coco_rle(seg, height, width)
    if list(rle["size"]) != [height, width]:
        h, w = rle["size"]
        raise InvalidSegmentation(f"RLE of {w}x{h} px on an image of {width}x{height} px")
    return rle


def _coco_canvas(decoded: list[tuple[int, object]], image_rows: np.ndarray,
                 images: pd.DataFrame) -> dict[int, tuple[int, int]]:
    """(height, width) to rasterise each image's masks on: its size, else the extent of its masks."""
    width, height = images["width"].to_numpy(dtype=float), images["height"].to_numpy(dtype=float)
    canvas: dict[int, tuple[int, int]] = {}
    for i, seg in decoded:
        row = int(image_rows[i])
        if width[row] > 0 and height[row] > 0:
            canvas[row] = (int(height[row]), int(width[row]))
            continue
        h, w = _extent(seg)
        old = canvas.get(row, (0, 0))
        canvas[row] = (max(old[0], h), max(old[1], w))
    return canvas


def _decoded(raw):
    if isinstance(raw, (list, dict)):
        return raw
    data = bytes(raw)
    if not data.strip():
        raise InvalidSegmentation("no segmentation")
    return json.loads(data)


def _extent(seg) -> tuple[int, int]:
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


# ---------------------------------------------------------------- YOLO

@dataclass
class YoloShapes:
    """Segment lines (and, for masks, box lines as rectangles) parsed: per shape its image row, class
    name and normalised vertices; lines that could not be used are kept as findings."""

    row: list[int] = field(default_factory=list)
    cls: list[str] = field(default_factory=list)
    vertices: list[np.ndarray] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # class names `names` lacks (numbered classes)


def parse_segment_lines(lines: list[tuple[int, str, str]], names: dict[int, str] | None) -> YoloShapes:
    """YOLO segment lines [(image row, line text, "file:line")] -> shapes, with `segmentation_invalid`
    and `class_id_out_of_range` findings for the lines that cannot be used."""
    shapes = YoloShapes()
    bad = Instances()
    out_of_range = []
    for row, text, where in lines:
        try:
            numbers = [float(v) for v in text.split()]
            if not np.isfinite(numbers).all():
                raise InvalidSegmentation("NaN or inf value")
            cls, vertices = numbers[0], yolo_vertices(numbers[1:])
        except (ValueError, IndexError) as exc:  # InvalidSegmentation is a ValueError
            bad.refuse(where, str(exc) if isinstance(exc, InvalidSegmentation) else "not a number")
            continue
        name = _class_name(cls, names, shapes.extra)
        if name is None:
            out_of_range.append((where, cls))
            continue
        shapes.row.append(row)
        shapes.cls.append(name)
        shapes.vertices.append(vertices)
    shapes.findings = bad.findings() + _out_of_range(out_of_range, names)
    return shapes


def _out_of_range(found: list[tuple[str, float]], names: dict[int, str] | None) -> list[Finding]:
    if not found:
        return []
    ids = sorted({int(c) if c == int(c) else c for _, c in found})[:10]
    last = max(names, default=-1) if names else -1
    return [Finding("class_id_out_of_range", Severity.ERROR, len(found),
                    values={"ids": ids, "classes": len(names or {}), "last_id": last},
                    examples=[w for w, _ in found][:MAX_EXAMPLES])]


def _class_name(cls: float, names: dict[int, str] | None, extra: list[str]) -> str | None:
    if cls < 0 or cls != int(cls):
        return None
    if names is None:
        name = str(int(cls))
        if name not in extra:
            extra.append(name)
        return name
    return names.get(int(cls))


def rectangle(cx: float, cy: float, w: float, h: float) -> np.ndarray:
    """A normalised YOLO box as the four corners of a polygon."""
    x0, y0, x1, y1 = cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
    return np.array([x0, y0, x1, y0, x1, y1, x0, y1], dtype=float)


def yolo_mask_rows(shapes: YoloShapes, images: pd.DataFrame) -> pd.DataFrame:
    """The union mask rows of the shapes: each image's polygons rasterised on its pixels, or on a
    NOMINAL_SIDE square when its size is unknown."""
    width, height = images["width"].to_numpy(dtype=float), images["height"].to_numpy(dtype=float)
    known = (width > 0) & (height > 0)
    side_w = np.where(known, width, NOMINAL_SIDE)
    side_h = np.where(known, height, NOMINAL_SIDE)
    found = Instances()
    for row, cls, vertices in zip(shapes.row, shapes.cls, shapes.vertices):
        w, h = side_w[row], side_h[row]
        pixels = vertices * np.tile([w, h], len(vertices) // 2)
        found.add(row, cls, polygon_rle(pixels, int(round(h)), int(round(w))))
    return class_union_rows(found, images, known, side_w * side_h)


def yolo_box_rows(shapes: YoloShapes, images: pd.DataFrame, box_columns: list[str]) -> pd.DataFrame:
    """Segment lines read for detection: each polygon's extent as a box (as Ultralytics does)."""
    from insight.formats.shared.tables import box_labels

    width, height = images["width"].to_numpy(dtype=float), images["height"].to_numpy(dtype=float)
    row = np.asarray(shapes.row, dtype=np.int64)
    box = np.array([extent(v) for v in shapes.vertices], dtype=float).reshape(len(row), 4)
    W, H = width[row], height[row]
    table = box_labels(images["image_id"].to_numpy()[row], images["split"].to_numpy()[row],
                       np.asarray(shapes.cls, dtype=object), box[:, 0] * W, box[:, 1] * H, box[:, 2] * W,
                       box[:, 3] * H, W, H, area_pct=box[:, 2] * box[:, 3] * 100,
                       iscrowd=np.zeros(len(row), dtype=np.int64))
    return table[box_columns]
