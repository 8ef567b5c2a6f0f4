"""Instance masks of the COCO and YOLO loaders as `mask` label rows (segmentation task).

    COCO  annotations[].segmentation   polygons or RLE  -> area and box from pycocotools
    YOLO  labels/<split>/x.txt         `cls x1 y1 x2 y2 ...` (0..1) -> shoelace area, box from the vertices

The loaders call these when the task is segmentation; the geometry lives in insight/formats/shared/polygons.py.
A segmentation that cannot be measured is left out and counted in a `segmentation_invalid` finding.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from insight.formats.shared.polygons import InvalidSegmentation, coco_shape, yolo_polygon
from insight.model.dataset import LABEL_COLUMNS
from insight.model.findings import MAX_EXAMPLES, Finding, Severity


def _invalid(where: list[str], reasons: list[str]) -> list[Finding]:
    if not where:
        return []
    return [Finding("segmentation_invalid", Severity.WARNING, len(where),
                    values={"reasons": sorted(set(reasons))[:3]}, examples=where[:MAX_EXAMPLES])]


def coco_mask_labels(table: pd.DataFrame, segmentations: list, widths, heights,
                     where: list[str]) -> tuple[pd.DataFrame, list[Finding]]:
    """The box rows of `table` (one per annotation, in the order of `segmentations`) as mask rows.

    `segmentations` are raw JSON (bytes or msgspec.Raw) or decoded objects; widths/heights the image
    sizes (NaN when unknown: an RLE carries its own size, a polygon is then measured in its extent)."""
    n = len(table)
    x, y, w, h, area = (np.full(n, np.nan) for _ in range(5))
    keep = np.zeros(n, bool)
    bad_where, reasons = [], []
    for i, (raw, width, height) in enumerate(zip(segmentations, widths, heights)):
        try:
            seg = _decoded(raw)
            if not (width > 0 and height > 0):
                width, height = _extent(seg)
            shape = coco_shape(seg, int(height), int(width))
        except (InvalidSegmentation, ValueError) as exc:
            bad_where.append(where[i])
            reasons.append(str(exc))
            continue
        keep[i] = True
        x[i], y[i], w[i], h[i], area[i] = shape.x, shape.y, shape.w, shape.h, shape.area
    out = table.copy()
    out["kind"] = "mask"
    out["x"], out["y"], out["w"], out["h"], out["area"] = x, y, w, h, area
    with np.errstate(divide="ignore", invalid="ignore"):
        out["area_pct"] = area * 100 / (np.asarray(widths, float) * np.asarray(heights, float))
    return out[keep].reset_index(drop=True), _invalid(bad_where, reasons)


def _decoded(raw):
    if isinstance(raw, (list, dict)):
        return raw
    data = bytes(raw)
    if not data.strip():
        raise InvalidSegmentation("no segmentation")
    return json.loads(data)


def _extent(seg) -> tuple[int, int]:
    """(width, height) to rasterise a polygon in when the image size is unknown."""
    if isinstance(seg, dict) and "size" in seg:
        h, w = seg["size"]
        return int(w), int(h)
    coords = np.concatenate([np.asarray(p, float) for p in seg if len(p) >= 2]) if seg else np.zeros(2)
    return int(np.ceil(coords[0::2].max())) + 1, int(np.ceil(coords[1::2].max())) + 1


def yolo_mask_labels(lines: list[tuple[int, str, str]], images: pd.DataFrame,
                     names: dict[int, str] | None) -> tuple[pd.DataFrame, list[str], list[Finding]]:
    """Mask rows from YOLO segment lines [(image row, line text, "file:line")].

    Returns the rows, the class names they use that `names` lacks (named by id when there is no map
    at all), and findings for polygons that cannot be measured or use an undeclared class id."""
    rows, bad_where, reasons, out_of_range, extra = [], [], [], [], []
    width, height = images["width"].to_numpy(), images["height"].to_numpy()
    for row, text, where in lines:
        values = text.split()
        try:
            numbers = [float(v) for v in values]
            if not np.isfinite(numbers).all():
                raise InvalidSegmentation("NaN or inf value")
            cls = numbers[0]
            norm = yolo_polygon(numbers[1:], 1.0, 1.0)
        except (ValueError, IndexError) as exc:  # InvalidSegmentation is a ValueError
            bad_where.append(where)
            reasons.append(str(exc) if isinstance(exc, InvalidSegmentation) else "not a number")
            continue
        name = _class_name(cls, names, extra)
        if name is None:
            out_of_range.append((where, cls))
            continue
        W, H = width[row], height[row]
        rows.append((images["image_id"].iat[row], images["split"].iat[row], name, "mask", norm.x * W,
                     norm.y * H, norm.w * W, norm.h * H, norm.area * W * H, norm.area * 100))
    labels = pd.DataFrame(rows, columns=list(LABEL_COLUMNS))
    for c in ("x", "y", "w", "h", "area", "area_pct"):
        labels[c] = labels[c].astype(float)
    findings = _invalid(bad_where, reasons)
    if out_of_range:
        ids = sorted({int(c) if c == int(c) else c for _, c in out_of_range})[:10]
        last = max(names, default=-1) if names else -1
        findings.append(Finding("class_id_out_of_range", Severity.ERROR, len(out_of_range),
                                values={"ids": ids, "classes": len(names or {}), "last_id": last},
                                examples=[w for w, _ in out_of_range][:MAX_EXAMPLES]))
    return labels, extra, findings


def _class_name(cls: float, names: dict[int, str] | None, extra: list[str]) -> str | None:
    if cls < 0 or cls != int(cls):
        return None
    if names is None:
        name = str(int(cls))
        if name not in extra:
            extra.append(name)
        return name
    return names.get(int(cls))


def yolo_segmentation(root, label_paths: list, contents: list, parsed, label_row, images: pd.DataFrame,
                      id_names: dict[int, str] | None, names: list[str], boxes: pd.DataFrame,
                      findings: list) -> tuple[list[str], pd.DataFrame, list]:
    """The YOLO loader's result for the segmentation task: segment lines as mask rows (box lines too,
    as rectangles), the classes they add, and the findings without `polygon_lines_skipped`.

    `contents` are the label files' bytes (None where an image has none), `parsed` the ParsedLabels of
    the files that exist, `label_row` the image row of each of those."""
    from insight.formats.shared.tables import relative

    present = [c for c in contents if c is not None]
    split_cache: dict[int, list[bytes]] = {}
    lines = []
    for f, ln in zip(parsed.polygon_file.tolist(), parsed.polygon_line.tolist()):
        text = split_cache.setdefault(f, present[f].split(b"\n"))[ln - 1]
        row = int(label_row[f])
        lines.append((row, text.decode("latin-1"), f"{relative(label_paths[row], root)}:{ln}"))
    masks, extra, seg_findings = yolo_mask_labels(lines, images, id_names)
    masks["iscrowd"] = np.zeros(len(masks), dtype=np.int64)
    rectangles = boxes.assign(kind="mask")
    labels = pd.concat([rectangles, masks[list(boxes.columns)]], ignore_index=True) if len(rectangles) \
        else masks[list(boxes.columns)].reset_index(drop=True)
    kept = [f for f in findings if f.code != "polygon_lines_skipped"] + seg_findings
    return list(names) + [n for n in extra if n not in names], labels, kept
