"""Image sizes from file headers: Pillow's lazy open reads the header, never the pixels.

Used by loaders only where pixel values are needed (YOLO boxes in pixels, a COCO or VOC size that is
0 or missing). EXIF orientation is applied as Ultralytics does (`exif_size`): a JPEG whose EXIF
orientation is 6 or 8 (rotated 90 or 270 degrees) has its width and height swapped, since that is
the size the image has once loaded for training. Each file is read once, many files in a process
pool (insight.pool).

`plain_size` reads the size of a PNG, or of a JPEG without an EXIF block, straight from the first
4 KiB (the PNG IHDR chunk; the JPEG frame header, walking the marker segments up to the scan). Pillow's
lazy open costs ~20 us a file, this ~2 us (measured on the benchmark's 122,000 JPEGs), and at COCO
scale the headers are most of a YOLO scan. Everything else (other formats, a JPEG with EXIF, whose
orientation may swap the sides, a frame header further in, a size over Pillow's decompression-bomb
limit) goes to Pillow; tests check the two agree.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from insight.pool import chunked, on_workers, pooled_map
from insight.safe_input import kind_of
from insight.progress import Progress, no_progress

if TYPE_CHECKING:
    from concurrent.futures import Executor

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".dng", ".mpo",
                            ".pfm", ".gif", ".heic"})
_EXIF_ORIENTATION = 274  # the EXIF tag holding the orientation
_ROTATED = (6, 8)  # orientations that turn the image by 90 or 270 degrees
_SEQUENTIAL_BELOW = 2048  # fewer files than this are read in-process (~20 ms: a pool costs more)
_CHUNK = 256  # files per task given to a worker (few tasks: little pool overhead)
_CLUSTER_CHUNKS = 2  # chunks of _CHUNK files a task on a cluster: ~10-20 ms of work at least, a ms to schedule
FILE_NOT_FOUND = "file not found"


@dataclass
class HeaderSizes:
    """Widths and heights (NaN where a file could not be read) and the files that failed, with why."""

    width: np.ndarray
    height: np.ndarray
    failed: list[tuple[str, str]] = field(default_factory=list)


def is_image(name: str | os.PathLike) -> bool:
    return os.path.splitext(str(name))[1].lower() in IMAGE_SUFFIXES


def exif_size(img) -> tuple[int, int]:
    """(width, height) as Ultralytics' `exif_size` gives it: swapped for a JPEG rotated by EXIF."""
    size = img.size
    if img.format == "JPEG":
        try:
            exif = img.getexif()
            if exif and exif.get(_EXIF_ORIENTATION) in _ROTATED:
                size = (size[1], size[0])
        except Exception:  # a broken EXIF block leaves the stored size, as Ultralytics does
            pass
    return size


_HEAD = 4096  # bytes read first: a plain JPEG's headers up to the scan, or a PNG's IHDR, fit
_PNG = b"\x89PNG\r\n\x1a\n"
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_NO_LENGTH = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and RSTn carry no length


def plain_size(head: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, or of a JPEG with no EXIF block, from its first bytes; else None."""
    if head[:8] == _PNG and head[12:16] == b"IHDR" and len(head) >= 24:
        return _checked(*struct.unpack_from(">II", head, 16))
    if head[:2] != b"\xff\xd8":
        return None
    size, i, n = None, 2, len(head)
    while i + 4 <= n:
        if head[i] != 0xFF:
            return None
        marker = head[i + 1]
        if marker == 0xFF:  # a fill byte
            i += 1
            continue
        if marker in _NO_LENGTH:
            i += 2
            continue
        if marker == 0xDA:  # start of scan: every header segment has been seen
            return size
        if marker == 0xE1 and head[i + 4:i + 10] == b"Exif\x00\x00":
            return None  # the orientation may swap the sides: Pillow reads it
        if marker in _SOF and i + 9 <= n:
            height, width = struct.unpack_from(">HH", head, i + 5)
            size = _checked(width, height)
            if size is None:
                return None
        i += 2 + ((head[i + 2] << 8) | head[i + 3])
    return None  # the scan starts past the first bytes


def _checked(width: int, height: int) -> tuple[int, int] | None:
    """The size, unless it is empty or over Pillow's decompression-bomb limit (Pillow says why)."""
    limit = pillow_pixel_limit()
    if width <= 0 or height <= 0 or (limit and width * height > limit):
        return None
    return width, height


PILLOW_DEFAULT_LIMIT = int(1024 * 1024 * 1024 // 4 // 3)  # PIL.Image.MAX_IMAGE_PIXELS as Pillow ships it


def pillow_pixel_limit() -> int | None:
    """Pillow's decompression-bomb limit, without importing Pillow for it (a header read from the bytes
    needs no Pillow; importing it per image cost 5 us of every header): the default unless Pillow is
    loaded, since only code that imported Pillow can have changed it."""
    image = sys.modules.get("PIL.Image")
    return image.MAX_IMAGE_PIXELS if image is not None else PILLOW_DEFAULT_LIMIT


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


def header_size(path: str | os.PathLike, exif_rotation: bool = True) -> tuple[float, float, str]:
    """(width, height, '') or (NaN, NaN, reason) for a file whose header cannot be read. The open never
    waits (O_NONBLOCK: a FIFO) and the header is one bounded read; only a regular file goes on to Pillow
    (the loaders screen the files first, insight/bounds.py, so the common case costs no fstat). Without
    `exif_rotation`, the stored size (as torchvision's ImageFolder loads the picture)."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        return np.nan, np.nan, FILE_NOT_FOUND
    except OSError as exc:
        return np.nan, np.nan, f"cannot open ({exc.strerror or type(exc).__name__})"
    try:
        try:
            size = plain_size(os.read(fd, _HEAD))
        except OSError:
            size = None  # Pillow says why
        if size is not None:
            return float(size[0]), float(size[1]), ""
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            return np.nan, np.nan, f"{kind_of(mode)}, not a regular file: not read"
        with os.fdopen(os.dup(fd), "rb") as handle:
            return _pillow_size(handle, exif_rotation)
    finally:
        os.close(fd)


def _pillow_size(source, exif_rotation: bool) -> tuple[float, float, str]:
    """The size Pillow reads from an open file or a BytesIO."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # too_large() tells it from the size
            with Image.open(source) as img:
                w, h = exif_size(img) if exif_rotation else img.size
        return float(w), float(h), ""
    except UnidentifiedImageError:
        return np.nan, np.nan, "not an image Pillow can identify"
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        return np.nan, np.nan, str(exc).splitlines()[0] if str(exc) else type(exc).__name__


_BOMB = "could be decompression bomb DOS attack"  # in Pillow's DecompressionBombError message


def too_large(width: float, height: float, why: str) -> bool:
    """Whether a header_size result is past Pillow's decompression-bomb limit: a size over the limit
    (Pillow warns), or the error Pillow raises past twice the limit."""
    from PIL import Image

    limit = Image.MAX_IMAGE_PIXELS
    return _BOMB in why or bool(limit and not why and width * height > limit)


def read_sizes(paths: list[str], workers: int | None = None, progress: Progress = no_progress,
               executor: Executor | None = None, exif_rotation: bool = True,
               source: Callable[[str], str] | None = None) -> HeaderSizes:
    """Header sizes of `paths` (absolute or relative to the working directory), in order; in a
    process pool when there are many, on `executor` when one is given (insight.pool). `source` says
    where a file's bytes are (an object's URL for a file of a store's mirror: insight.storage)."""
    n = len(paths)
    width = np.full(n, np.nan)
    height = np.full(n, np.nan)
    failed: list[tuple[str, str]] = []
    sent = [source(p) for p in paths] if source else paths
    chunks = [(chunk, exif_rotation) for chunk in chunked(on_workers(sent, executor), _CHUNK)]
    results = pooled_map(_chunk_sizes, chunks, workers, sequential_below=_SEQUENTIAL_BELOW // _CHUNK + 1,
                         chunksize=1, executor=executor, cluster_chunksize=_CLUSTER_CHUNKS)
    start = 0
    for chunk in progress(results, total=len(chunks), desc=f"image sizes ({_CHUNK} a step)"):
        for i, (w, h, why) in enumerate(chunk, start):
            width[i], height[i] = w, h
            if why:
                failed.append((paths[i], why))
        start += len(chunk)
    return HeaderSizes(width, height, failed)


def _chunk_sizes(task: tuple[list[str], bool]) -> list[tuple[float, float, str]]:
    paths, exif_rotation = task
    return sizes_of(paths, exif_rotation)


def sizes_of(paths: list[str | None], exif_rotation: bool = True) -> list[tuple[float, float, str]]:
    """header_size of each path; objects in a store (URLs, insight.storage) are read by ranged
    requests, a batch at a time, longer only where a header runs past the first bytes."""
    from insight.storage import is_url

    urls = [i for i, p in enumerate(paths) if p is not None and "://" in p and is_url(p)]
    sizes = _object_sizes(paths, urls, exif_rotation) if urls else {}
    return [sizes[i] if i in sizes else header_size(p, exif_rotation) if p is not None else (np.nan, np.nan, "")
            for i, p in enumerate(paths)]


def _object_sizes(paths: list, rows: list[int], exif_rotation: bool) -> dict[int, tuple[float, float, str]]:
    """{row: header size} of the objects at paths[row], HEAD_STEPS bytes at a time (None: whole)."""
    from insight.storage import HEAD_STEPS, read_heads

    sizes: dict[int, tuple[float, float, str]] = {}
    pending = rows
    for step in HEAD_STEPS:
        if not pending:
            break
        more = []
        for row, head in zip(pending, read_heads([paths[r] for r in pending], step)):
            if isinstance(head, FileNotFoundError):
                sizes[row] = (np.nan, np.nan, FILE_NOT_FOUND)
            elif isinstance(head, OSError):
                sizes[row] = (np.nan, np.nan, head.strerror or str(head) or type(head).__name__)
            elif step is not None and len(head) >= step and not _complete(head, exif_rotation):
                more.append(row)  # the header may run past these bytes
            else:
                sizes[row] = size_of_bytes(head, exif_rotation)
        pending = more
    return sizes


def _complete(head: bytes, exif_rotation: bool) -> bool:
    try:
        return size_of_bytes(head, exif_rotation)[2] == ""
    except Exception:  # noqa: BLE001 - a parser that ran off the end of the bytes: fetch more
        return False


def size_of_bytes(data: bytes, exif_rotation: bool = True) -> tuple[float, float, str]:
    """header_size of a file whose bytes (all, or its first ones) are `data`."""
    size = plain_size(data[:_HEAD])
    if size is not None:
        return float(size[0]), float(size[1]), ""
    return _pillow_size(io.BytesIO(data), exif_rotation)


def list_images(folder: Path, recursive: bool = True) -> list[Path]:
    """Image files under `folder`, sorted; symlinked folders are followed, hidden entries skipped."""
    return [Path(p) for p in list_image_paths(folder, recursive)]


def list_image_paths(folder: Path | str, recursive: bool = True, symlinked: list[str] | None = None) -> list[str]:
    """As list_images, as str paths (cheaper when there are tens of thousands). Each folder's entries
    are visited in name order, a sub-folder where its name falls: that is pathlib's sort order. Given
    a `symlinked` list, symlinked sub-folders are not entered but added to it (a walk that recursion
    would have taken into them)."""
    found: list[str] = []
    stack = [iter([(str(folder), True, False)])]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        path, is_dir, is_link = entry
        if not is_dir:
            found.append(path)
        elif recursive or len(stack) == 1:
            if is_link and symlinked is not None and len(stack) > 1:
                symlinked.append(path)
                continue
            stack.append(iter(_sorted_entries(path)))
    return found


def _sorted_entries(folder: str) -> list[tuple[str, bool, bool]]:
    """(path, is a folder, is a symlink) of the folder's images and sub-folders, hidden ones left out,
    by name."""
    try:
        with os.scandir(folder) as entries:
            kept = [(e.name, e.is_dir(), e.is_symlink()) for e in entries if not e.name.startswith(".")]
    except OSError:
        return []
    kept.sort()
    head = folder + os.sep
    return [(head + name, is_dir, is_link) for name, is_dir, is_link in kept if is_dir or is_image(name)]
