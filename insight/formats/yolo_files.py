"""Read every YOLO label file and, where pixel sizes are needed, its image's header: one pass over
the files, in a process pool across all cores.

    (labels/train/x.txt, images/train/x.jpg)  ->  label bytes, image width and height (EXIF-aware)
    (None,               images/train/y.jpg)  ->  a background image: its size only
    (labels/train/z.txt, None)                ->  label-only dataset: the bytes, no size

At COCO scale (122,000 label files and as many images) opening files dominates: each worker takes
chunks of pairs, so each file is opened once and the parent only receives bytes and sizes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from insight.formats.image_headers import header_size
from insight.pool import chunked, pooled_map
from insight.progress import Progress, no_progress

CHUNK = 512  # (label, image) pairs per task: few tasks, results stream back steadily
_NAN = float("nan")


@dataclass
class LabelFiles:
    """Per pair: the label file's bytes (None without a label file), the image size (NaN without an
    image or when its header cannot be read); label files that could not be read, and images whose
    header could not be read, each with why."""

    contents: list[bytes | None]
    width: np.ndarray
    height: np.ndarray
    unreadable_labels: list[tuple[str, str]] = field(default_factory=list)
    unreadable_images: list[tuple[str, str]] = field(default_factory=list)


def read_pair(label: str | None, image: str | None) -> tuple[bytes | None, str, float, float, str]:
    content, label_error = None, ""
    if label is not None:
        try:
            with open(label, "rb") as f:
                content = f.read()
        except OSError as exc:
            label_error = exc.strerror or type(exc).__name__
    w, h, image_error = header_size(image) if image is not None else (_NAN, _NAN, "")
    return content, label_error, w, h, image_error


def read_chunk(pairs: list[tuple[str | None, str | None]]) -> list[tuple]:
    """Runs in a worker process."""
    return [read_pair(label, image) for label, image in pairs]


def read_label_files(labels: list[str | None], images: list[str | None], workers: int | None = None,
                     progress: Progress = no_progress) -> LabelFiles:
    n = len(labels)
    contents: list[bytes | None] = []
    width, height = np.full(n, np.nan), np.full(n, np.nan)
    bad_labels: list[tuple[str, str]] = []
    bad_images: list[tuple[str, str]] = []
    chunks = chunked(list(zip(labels, images)), CHUNK)
    results = pooled_map(read_chunk, chunks, workers, sequential_below=4, chunksize=1)
    i = 0
    for chunk in progress(results, total=len(chunks), desc=f"YOLO labels and image sizes ({CHUNK} a step)"):
        for content, label_error, w, h, image_error in chunk:
            contents.append(content)
            width[i], height[i] = w, h
            if label_error:
                bad_labels.append((labels[i], label_error))
            if image_error:
                bad_images.append((images[i], image_error))
            i += 1
    return LabelFiles(contents, width, height, bad_labels, bad_images)
