"""Pixel counts of mask files, decoded in a process pool: per distinct value (or colour), its pixel count
and bounding box. Only these small arrays leave a worker, so memory stays flat however many masks.

    mask.png  (P, L, I;16, I, 1)   -> keys = class-index values (a palette PNG gives its palette index)
    mask.png  (RGB, RGBA)          -> keys = colours packed as 0xRRGGBB, or the grey level when every
                                      pixel has R == G == B and the dataset has no colour map

Pillow's decompression-bomb limit stays on: a mask over it is reported as unreadable, with the reason.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import contextmanager
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Iterator

import numpy as np

from insight.pool import on_workers, pooled_map, worker_count
from insight.progress import Progress, no_progress

INDEX, COLOR = "index", "color"
_SEQUENTIAL_BELOW = 32  # fewer masks than this are decoded in-process (a pool costs more to start)
_CHUNK = 64  # masks per task sent to a worker (at most)
_CLUSTER_CHUNK = 128  # masks a task on a cluster: ~0.3-1 s of decoding against ~1 ms of scheduling
MASK_LIMIT = 512 << 20  # bytes read from one mask file


@dataclass(frozen=True, slots=True)
class MaskJob:
    path: str  # absolute path of the mask file
    rgb_as_color: bool = False  # RGB masks are colour-coded even when they look grey
    decode: str = "raw"  # "raw"; "cityscapes_instance" (ids >= 1000 are class * 1000 + instance);
    # "ade20k" (RGB: class = R / 10 * 256 + G, instance in B)


@dataclass(frozen=True, slots=True)
class MaskCounts:
    """One mask: its size, how it was keyed, and per key the pixel count and inclusive box x0,y0,x1,y1.
    `error` is set (and the arrays empty) when the file could not be decoded."""

    path: str
    width: int = 0
    height: int = 0
    encoding: str = INDEX
    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.int64))
    palette: tuple[int, ...] | None = None
    error: str = ""


def scan_mask(job: MaskJob) -> MaskCounts:
    """Decode one mask and count its pixels per key; never raises for a bad file."""
    from PIL import Image, UnidentifiedImageError

    from insight.images.strict import strict_decoding

    from insight.errors import InsightError

    try:
        with strict_decoding(), _opened(job.path) as handle, Image.open(handle) as img:
            img.load()
            palette = tuple(img.getpalette() or ()) if img.mode in ("P", "PA") else None
            array, encoding = _as_keys(img, job)
    except FileNotFoundError:
        return MaskCounts(job.path, error="file not found")
    except UnidentifiedImageError:
        return MaskCounts(job.path, error="not an image Pillow can identify")
    except Image.DecompressionBombError as exc:
        return MaskCounts(job.path, error=f"over Pillow's decompression-bomb limit ({exc})")
    except InsightError as exc:  # not a regular file, or over MASK_LIMIT
        return MaskCounts(job.path, error=exc.reason)
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        return MaskCounts(job.path, error=(str(exc).splitlines() or [type(exc).__name__])[0] or type(exc).__name__)
    if isinstance(array, str):
        return MaskCounts(job.path, error=array)
    keys, counts, boxes = count_keys(array)
    h, w = array.shape
    return MaskCounts(job.path, int(w), int(h), encoding, keys, counts, boxes, palette)


def _as_keys(img, job: MaskJob) -> tuple[np.ndarray | str, str]:
    """The mask as a 2-D integer array of keys, or a reason string when the mode cannot be a mask."""
    mode = img.mode
    if mode in ("P", "L", "1", "I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(img)
        if array.dtype == bool:
            array = array.astype(np.uint8)
    elif mode in ("PA", "LA"):
        array = np.asarray(img.getchannel(0))
    elif mode in ("RGB", "RGBA"):
        rgb = np.asarray(img.convert("RGB") if mode == "RGBA" else img)
        r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
        if job.decode == "ade20k":
            return (r // 10).astype(np.int64) * 256 + g.astype(np.int64), INDEX
        if not job.rgb_as_color and np.array_equal(r, g) and np.array_equal(g, b):
            return r, INDEX
        return (r.astype(np.uint32) << 16) | (g.astype(np.uint32) << 8) | b.astype(np.uint32), COLOR
    else:
        return f"image mode {mode} cannot hold class ids (expected a palette, grey, 16-bit or RGB PNG)", INDEX
    if job.decode == "cityscapes_instance":
        array = array.astype(np.int64)
        array = np.where(array >= 1000, array // 1000, array)
    return array, INDEX


def count_keys(array: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct values of a 2-D array with their pixel counts and bounding boxes (x0, y0, x1, y1).

    Masks are made of long runs of one value along each row, so values, counts and boxes come from
    the runs (a few per row): counts are np.bincount of the run lengths. A noisy mask, with runs
    nearly as many as pixels, is counted pixel by pixel instead (np.bincount for 8- and 16-bit
    values, np.unique for wider values and packed colours)."""
    h, w = array.shape
    if array.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 4), np.int64)
    starts = np.empty((h, w), bool)
    starts[:, 0] = True
    np.not_equal(array[:, 1:], array[:, :-1], out=starts[:, 1:])
    idx = np.flatnonzero(starts)
    if idx.size * 8 > array.size:
        return _count_pixels(array)
    keys, ids = np.unique(array.ravel()[idx], return_inverse=True)
    lengths = np.diff(idx, append=array.size)  # a run ends where the next starts (each row starts one)
    counts = np.bincount(ids, weights=lengths, minlength=keys.size).astype(np.int64)
    return keys.astype(np.int64), counts, _run_boxes(idx, ids, lengths, keys.size, w, h)


def _run_boxes(idx: np.ndarray, ids: np.ndarray, lengths: np.ndarray, k: int, w: int, h: int) -> np.ndarray:
    r, c = np.divmod(idx, w)
    x0, y0 = np.full(k, w), np.full(k, h)
    x1, y1 = np.full(k, -1), np.full(k, -1)
    np.minimum.at(x0, ids, c)
    np.maximum.at(x1, ids, c + lengths - 1)
    np.minimum.at(y0, ids, r)
    np.maximum.at(y1, ids, r)
    return np.stack([x0, y0, x1, y1], axis=1).astype(np.int64)


def _count_pixels(array: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    flat = array.ravel()
    if array.dtype.kind == "u" and array.dtype.itemsize <= 2:
        per_value = np.bincount(flat)
        keys = np.flatnonzero(per_value)
        counts = per_value[keys]
        lookup = np.zeros(per_value.size, np.intp)
        lookup[keys] = np.arange(keys.size)
        ids = lookup[array]
    else:
        keys, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True)
        ids = inverse.reshape(array.shape)
    return keys.astype(np.int64), counts.astype(np.int64), _boxes_by_pixel(ids, keys.size)


def _boxes_by_pixel(ids: np.ndarray, k: int) -> np.ndarray:
    h, w = ids.shape
    rows = np.zeros((k, h), bool)
    rows[ids, np.arange(h)[:, None]] = True
    cols = np.zeros((k, w), bool)
    cols[ids, np.arange(w)[None, :]] = True
    y0, y1 = rows.argmax(1), h - 1 - rows[:, ::-1].argmax(1)
    x0, x1 = cols.argmax(1), w - 1 - cols[:, ::-1].argmax(1)
    return np.stack([x0, y0, x1, y1], axis=1).astype(np.int64)


def scan_masks(paths: list[str], rgb_as_color: bool = False, decode: str = "raw", workers: int | None = None,
               progress: Progress = no_progress, executor: Executor | None = None,
               source: Callable[[str], str] | None = None) -> Iterator[MaskCounts]:
    """MaskCounts for each mask file, in order, streamed; a process pool across `workers` cores (all by
    default), or `executor` (insight.pool). Workers get the paths alone (the settings travel once, in
    the function); `source` says where a mask's bytes are read (an object's URL for a mirrored file,
    insight.storage.Remote.source)."""
    n = len(paths)
    chunk = max(1, min(_CHUNK, n // (worker_count(workers) * 4) or 1))
    scan = partial(_scan_path, rgb_as_color=rgb_as_color, decode=decode)
    sent = on_workers([source(p) for p in paths] if source else paths, executor)
    results = pooled_map(scan, sent, workers, sequential_below=_SEQUENTIAL_BELOW,
                         chunksize=chunk, executor=executor, cluster_chunksize=_CLUSTER_CHUNK)
    if sent != paths:  # each result names its mask as the caller did, not by its absolute path or URL
        results = (replace(result, path=path) for result, path in zip(results, paths))
    yield from progress(results, total=n, desc="masks")


@contextmanager
def _opened(path: str):
    """What Pillow opens: a regular file of at most MASK_LIMIT bytes, or an object's bytes (insight.storage)."""
    from insight.safe_input import open_regular
    from insight.storage import is_url, read_whole

    if is_url(path):
        yield io.BytesIO(read_whole(path))
        return
    with open_regular(path, MASK_LIMIT) as handle:
        yield handle


def _scan_path(path: str, rgb_as_color: bool, decode: str) -> MaskCounts:
    return scan_mask(MaskJob(path, rgb_as_color, decode))
