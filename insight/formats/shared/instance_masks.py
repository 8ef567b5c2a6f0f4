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

from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from insight.formats.shared.coco_segments import ImageSegments, measure_image
from insight.formats.shared.polygons import InvalidSegmentation, extent, measure, polygon_rle, union, yolo_vertices
from insight.model.dataset import LABEL_COLUMNS
from insight.model.findings import MAX_EXAMPLES, Finding, Severity
from insight.pool import pooled_map

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
    measured = []
    for (row, cls), members in groups.items():
        shape = measure(union([instances.rle[k] for k in members]))
        measured.append((row, cls, shape.x, shape.y, shape.w, shape.h, shape.area, len(members),
                         sum(instances.crowd[k] for k in members)))
    return _mask_table(measured, images, pixels_known, canvas_area)


def _mask_table(measured: list[tuple], images: pd.DataFrame, pixels_known: np.ndarray | None,
                canvas_area: np.ndarray | None) -> pd.DataFrame:
    """The mask rows of (image row, class, x, y, w, h, area, instances, crowd) tuples."""
    width, height = images["width"].to_numpy(dtype=float), images["height"].to_numpy(dtype=float)
    if canvas_area is None:
        canvas_area = width * height
    if pixels_known is None:
        pixels_known = np.ones(len(images), bool)
    image_id, split = images["image_id"].to_numpy(), images["split"].to_numpy()
    rows = [(image_id[row], split[row], cls, "mask", *((x, y, w, h, area) if pixels_known[row] else (np.nan,) * 5),
             area * 100 / canvas_area[row], instances, crowd)
            for row, cls, x, y, w, h, area, instances, crowd in measured]
    table = pd.DataFrame(rows, columns=list(MASK_COLUMNS))
    return table.astype({c: float for c in ("x", "y", "w", "h", "area", "area_pct")} | {"instances": np.int64,
                                                                                       "crowd": np.int64})


# ---------------------------------------------------------------- COCO

POOL_MIN_IMAGES = 512  # fewer images with masks than this are measured in-process (~0.1-0.3 s)
CLUSTER_IMAGES = 512  # images a task on a cluster: ~0.2-0.5 s of rasterising against ~1 ms of scheduling


def coco_mask_labels(table: pd.DataFrame, segmentations: list, image_rows: np.ndarray, images: pd.DataFrame,
                     where: list[str], workers: int | None = None,
                     executor: Executor | None = None) -> tuple[pd.DataFrame, list[Finding]]:
    """The union mask rows of the annotations in `table` (one box row per annotation, in the order of
    `segmentations`; `image_rows` their rows in `images`). `segmentations` are raw JSON (bytes or
    msgspec.Raw) or decoded objects. An image of unknown size is measured on the extent of its masks.
    Each image's masks are one item of the per-image seam (insight.pool: in-process when few, else on
    every core, or on `executor`); the rows come back in the order of the annotations."""
    width, height = images["width"].to_numpy(dtype=float), images["height"].to_numpy(dtype=float)
    known = (width > 0) & (height > 0)
    jobs, job_rows = _image_jobs(table, segmentations, np.asarray(image_rows, dtype=np.int64), width, height, known)
    measured, refused = [], []
    done = pooled_map(measure_image, jobs, workers, sequential_below=POOL_MIN_IMAGES, executor=executor,
                      cluster_chunksize=CLUSTER_IMAGES)
    for row, (rows, bad) in zip(job_rows, done):
        measured += [(first, row, *rest) for first, *rest in rows]
        refused += bad
    measured.sort(key=lambda m: m[0])  # a class's rows where its first instance is
    found = Instances()
    for _, i, reason in sorted(refused):
        found.refuse(where[i], reason)
    return _mask_table([m[1:] for m in measured], images, known, None), found.findings()


def _image_jobs(table: pd.DataFrame, segmentations: list, image_rows: np.ndarray, width: np.ndarray,
                height: np.ndarray, known: np.ndarray) -> tuple[list[ImageSegments], list[int]]:
    """One job per image with segmentations (its instances in annotation order), and its image row."""
    crowd = table["iscrowd"].to_numpy() if "iscrowd" in table else np.zeros(len(table), np.int64)
    classes = table["class"].to_numpy()
    order = np.argsort(image_rows, kind="stable")
    rows, starts = np.unique(image_rows[order], return_index=True)
    jobs = []
    for row, members in zip(rows.tolist(), np.split(order, starts[1:])):
        items = [(int(i), _sendable(segmentations[i]), classes[i], int(bool(crowd[i]))) for i in members]
        size = (int(height[row]), int(width[row])) if known[row] else (0, 0)
        jobs.append(ImageSegments(*size, bool(known[row]), items))
    return jobs, rows.tolist()


def _sendable(raw):
    """A segmentation as a worker process can receive it: decoded objects as they are, raw JSON as bytes."""
    return raw if isinstance(raw, (list, dict, bytes)) else bytes(raw)


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
