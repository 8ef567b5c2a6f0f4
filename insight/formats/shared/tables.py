"""Pieces the three box loaders (COCO, YOLO, Pascal VOC) share: the box labels table, image sizes
from headers where the annotation does not give them, and loader findings with example files.

Nothing here knows a file format; each loader turns its files into arrays and calls these.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor
from pathlib import Path

import numpy as np
import pandas as pd

from insight.bounds import OK, Bounds
from insight.formats.shared.image_headers import read_sizes
from insight.model.dataset import IMAGE_COLUMNS, LABEL_COLUMNS
from insight.model.findings import MAX_EXAMPLES, Finding, Severity
from insight.progress import Progress, no_progress

# Names exporters give to a "background" or "ignore" entry of a label map. Such an entry is a class
# only if some box uses it (labelme writes `_background_` first in class_names.txt; Datumaro's VOC
# label map starts with `background`).
PLACEHOLDER_NAMES = frozenset({"_background_", "background", "__ignore__", "ignored", "_ignore_"})


def images_table(image_id, split, path, width, height) -> pd.DataFrame:
    table = pd.DataFrame({"image_id": pd.Series(image_id, dtype=object),
                          "split": pd.Series(split, dtype=object),
                          "path": pd.Series(path, dtype=object),
                          "width": np.asarray(width, dtype=float),
                          "height": np.asarray(height, dtype=float)})
    return table[list(IMAGE_COLUMNS)]


def box_labels(image_id, split, cls, x, y, w, h, img_w, img_h, area_pct=None,
               **extra) -> pd.DataFrame:
    """The labels table for boxes: pixels, top-left origin; area = w*h; area_pct = area/(W*H)*100.

    `area_pct` may be given (YOLO computes it from normalised values, which needs no image size).
    Extra keyword arrays become extra columns (iscrowd, difficult, truncated).
    """
    x, y, w, h = (np.asarray(a, dtype=float) for a in (x, y, w, h))
    area = w * h
    if area_pct is None:
        with np.errstate(divide="ignore", invalid="ignore"):
            # area * 100 / (W * H): exact for whole pixels, so a box on a bin edge lands on it
            area_pct = area * 100 / (np.asarray(img_w, dtype=float) * np.asarray(img_h, dtype=float))
    n = len(x)
    columns = {
        "image_id": pd.Series(image_id, dtype=object), "split": pd.Series(split, dtype=object),
        "class": pd.Series(cls, dtype=object), "kind": pd.Series(np.full(n, "box", dtype=object), dtype=object),
        "x": x, "y": y, "w": w, "h": h, "area": area, "area_pct": np.asarray(area_pct, dtype=float),
    }
    columns = {c: columns[c] for c in LABEL_COLUMNS} | {name: np.asarray(v) for name, v in extra.items()}
    return pd.DataFrame(columns, copy=False)  # one block per column: no copy into a 2-D block


def fill_sizes(images: pd.DataFrame, root: Path, workers: int | None, progress: Progress = no_progress,
               bounds: Bounds | None = None, executor: Executor | None = None,
               source=None) -> tuple[pd.DataFrame, list[Finding]]:
    """Read header sizes for images whose width or height is missing or <= 0 and whose file exists
    as a regular file inside the dataset (`bounds`, insight/bounds.py: the loader reports the others);
    on `executor` and from `source` (insight.pool, insight.storage) when given.

    Returns the updated table and an `unreadable_image` finding for files Pillow could not read.
    """
    need = ~(images["width"] > 0) | ~(images["height"] > 0)
    if not need.any():
        return images, []
    bounds = bounds or Bounds.of(root)
    rows = np.flatnonzero(need.to_numpy())
    paths = [str(root / p) for p in images["path"].to_numpy()[rows]]
    exists = np.array([bounds.check(p) == OK for p in paths], dtype=bool)
    rows, paths = rows[exists], [p for p, e in zip(paths, exists) if e]
    sizes = read_sizes(paths, workers, progress, executor, source=source)
    images = images.copy()
    width, height = images["width"].to_numpy(copy=True), images["height"].to_numpy(copy=True)
    width[rows], height[rows] = sizes.width, sizes.height
    images["width"], images["height"] = width, height
    findings = []
    if sizes.failed:
        findings.append(Finding("unreadable_image", Severity.ERROR, len(sizes.failed),
                                values={"reasons": sorted({why for _, why in sizes.failed})[:3]},
                                examples=[relative(p, root) for p, _ in sizes.failed]))
    return images, findings


def finding(code: str, severity: Severity | str, examples, count: int | None = None,
            **values) -> Finding:
    """A loader finding; `examples` is any iterable of strings (the first few are kept)."""
    examples = list(examples)
    return Finding(code, Severity(severity), len(examples) if count is None else int(count),
                   values=values, examples=examples[:MAX_EXAMPLES])


def ignored_symlink_folders(folders: list[str], where: str) -> list[Finding]:
    """The one data-health line for linked folders a layout's walk did not enter (`folders`, relative,
    sorted); `where` names the folders walked ("mask and image folders")."""
    return [finding("ignored_symlink_folder", Severity.INFO, folders, where=where)] if folders else []


def drop_placeholders(classes: list[str], used: set[str]) -> tuple[list[str], list[str]]:
    """Classes without the unused placeholder names, and the names dropped."""
    dropped = [c for c in classes if c.lower() in PLACEHOLDER_NAMES and c not in used]
    return [c for c in classes if c not in dropped], dropped


def relative(path: Path | str, root: Path) -> str:
    """`path` relative to the dataset root, with forward slashes (`../x` for a linked folder)."""
    return os.path.relpath(path, root).replace(os.sep, "/")
