"""Read every YOLO label file and, where pixel sizes are needed, its image's header: one pass over
the files, in a process pool across all cores.

    (labels/train/x.txt, images/train/x.jpg)  ->  label bytes, image width and height (EXIF-aware)
    (None,               images/train/y.jpg)  ->  a background image: its size only
    (labels/train/z.txt, None)                ->  label-only dataset: the bytes, no size

At COCO scale (122,000 label files and as many images) opening files dominates: each worker takes
chunks of pairs, opens each file once, parses its chunk's label lines (insight.formats.yolo.txt) and
sends back the bytes, the sizes and the parsed arrays.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np

from insight.formats.shared.image_headers import sizes_of
from insight.formats.yolo.txt import ParsedLabels, merge, parse
from insight.pool import chunked, on_workers, pooled_map
from insight.progress import Progress, no_progress

CHUNK = 512  # (label, image) pairs per task: few tasks, results stream back steadily


@dataclass
class LabelFiles:
    """Per pair: the label file's bytes (None without a label file), the image size (NaN without an
    image or when its header cannot be read); label files that could not be read, and images whose
    header could not be read, each with why."""

    contents: list[bytes | None]
    parsed: ParsedLabels  # the lines of the label files that exist, `file` counting only those
    width: np.ndarray
    height: np.ndarray
    unreadable_labels: list[tuple[str, str]] = field(default_factory=list)
    unreadable_images: list[tuple[str, str]] = field(default_factory=list)


LABEL_LIMIT = 64 << 20  # bytes read from one label file (a few hundred bytes; a dense polygon file a few MB)
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_FIRST_READ = 1 << 16  # a label file is a few hundred bytes: one read() call takes it whole


def read_bytes(path: str) -> bytes:
    """The whole file: a read() that takes a small file whole, and one that finds the end (open().read()
    also asks for the file's size first; system calls are most of the cost of a small file). A short
    read is not taken for the end: network file systems may return less than asked. The open never
    waits (O_NONBLOCK: a FIFO), and at most LABEL_LIMIT bytes are read (a device cannot exhaust memory).
    The loader screens label files first (insight/bounds.py), so no fstat is spent here."""
    fd = os.open(path, _OPEN_FLAGS)  # the loader screened it (a regular file inside the dataset)
    try:
        parts, size = [], 0
        while chunk := os.read(fd, _FIRST_READ if not parts else 1 << 20):
            parts.append(chunk)
            size += len(chunk)
            if size > LABEL_LIMIT:
                raise OSError(errno.EFBIG, f"more than the {LABEL_LIMIT >> 20} MiB insight reads from a label file")
        return parts[0] if len(parts) == 1 else b"".join(parts)
    finally:
        os.close(fd)


def read_label(label: str | None) -> tuple[bytes | None, str]:
    if label is None:
        return None, ""
    try:
        return read_bytes(label), ""
    except OSError as exc:
        return None, exc.strerror or type(exc).__name__


def read_chunk(task: tuple[list[tuple[str | None, str | None]], bool]) -> tuple:
    """Runs in a worker process: read a chunk of pairs and parse its label files. Returns the label
    bytes, widths and heights as arrays, the (position, reason) of each failure, and the parsed lines."""
    pairs, keypoints = task
    contents, label_errors, image_errors = [], [], []
    width, height = np.empty(len(pairs)), np.empty(len(pairs))
    sizes = sizes_of([image for _, image in pairs])
    for i, (label, _) in enumerate(pairs):
        content, label_error = read_label(label)
        width[i], height[i], image_error = sizes[i]
        contents.append(content)
        if label_error:
            label_errors.append((i, label_error))
        if image_error:
            image_errors.append((i, image_error))
    parsed = parse([c for c in contents if c is not None], keypoints=keypoints)
    return contents, width, height, label_errors, image_errors, parsed


def read_label_files(labels: list[str | None], images: list[str | None], workers: int | None = None,
                     progress: Progress = no_progress, keypoints: bool = False,
                     executor: Executor | None = None, source: Callable[[str], str] | None = None) -> LabelFiles:
    """Each (label, image) pair read once, in order: in a process pool, or on `executor` (insight.pool);
    `source` says where an image's bytes are (an object's URL for a file of a store's mirror)."""
    n = len(labels)
    contents: list[bytes | None] = []
    width, height = np.full(n, np.nan), np.full(n, np.nan)
    bad_labels: list[tuple[str, str]] = []
    bad_images: list[tuple[str, str]] = []
    parts, files = [], []
    sent = [None if p is None else source(p) for p in images] if source else images
    pairs = list(zip(on_workers(labels, executor), on_workers(sent, executor)))
    tasks = [(chunk, keypoints) for chunk in chunked(pairs, CHUNK)]
    results = pooled_map(read_chunk, tasks, workers, sequential_below=4, chunksize=1, executor=executor)
    start = 0
    for chunk in progress(results, total=len(tasks), desc=f"YOLO labels and image sizes ({CHUNK} a step)"):
        chunk_contents, w, h, label_errors, image_errors, parsed = chunk
        end = start + len(chunk_contents)
        contents += chunk_contents
        width[start:end], height[start:end] = w, h
        bad_labels += [(labels[start + i], why) for i, why in label_errors]
        bad_images += [(images[start + i], why) for i, why in image_errors]
        parts.append(parsed)
        files.append(len(chunk_contents) - chunk_contents.count(None))
        start = end
    return LabelFiles(contents, merge(parts, files), width, height, bad_labels, bad_images)
