"""Content and perceptual hashes of every image, each file read once, in a process pool.

    ROOT/<images.path>      every row of Dataset.images, wherever the loader found it

For each image: `sha256` of the file's bytes (hashlib; equal bytes mean an exact duplicate) and
`phash`, the 64-bit DCT perceptual hash (Zauner's pHash: 32x32 grey, 2-D DCT, low 8x8 frequencies
against their median), as 16 hex digits, bit for bit the hash of the `imagehash` package's
`phash` (a test checks it on real images), computed here with numpy alone. A file that cannot be read
gets neither hash; one that reads but does not decode keeps its sha256 and gets no phash; either
way its `error` column says why, and nothing is raised. Pillow's decompression-bomb limit stays on
(a bomb is recorded as undecodable).

JPEG files are decoded in Pillow's draft mode (DCT scaling straight to at least DRAFT_PX pixels a
side, grey): the pHash works on a 32x32 thumbnail, so decoding the full picture would only cost
time. The same rule applies to every file, so equal pictures still get equal hashes.

Thumbnails (THUMB_PX, JPEG, base64 data: URIs) are made in a second, small pass for the few files a
report shows as example pairs; the PDF renderer only accepts data: URIs.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, UnidentifiedImageError

from insight.bounds import MISSING, OK, OUTSIDE, Bounds, not_opened
from insight.config import Config
from insight.diagnose.duplicates import MISSING_FILE
from insight.errors import InsightError
from insight.images.strict import strict_decoding
from insight.model import Dataset
from insight.pool import pooled_map, worker_count
from insight.progress import Progress, no_progress
from insight.safe_input import MiB, open_regular, read_bytes
from insight.scheduler import ClusterError
from insight.storage import StorageError, is_url, read_whole

HASH_COLUMNS = ("image_id", "split", "path", "sha256", "phash", "error")
# JPEG draft decoding stops at >= this many pixels a side (pHash needs 32). Measured on 385 real and
# synthetic JPEGs: 1.6 ms an image instead of 4.9 for a full decode, hashes 0.35 bits from the
# full-decode ones on average (at most 4).
DRAFT_PX = 64
PHASH_SIDE = 32  # the picture is shrunk to this many pixels a side (imagehash: hash_size 8 x highfreq_factor 4)
PHASH_BITS_SIDE = 8  # the hash keeps the lowest 8 x 8 DCT frequencies: 64 bits
# A coefficient this small against the largest is rounding noise around an exact zero (a flat picture's
# frequencies): it counts as 0, as scipy's FFT-based DCT gives it. Measured on the 431 decodable real
# images of the test data: scipy gives 10,798 exact zeros (flat masks, solid pictures) and no non-zero
# coefficient under 2.8e-7 of the largest; the matrix product here is within 4e-16 of the largest.
ROUNDING_NOISE = 1e-9
IMAGE_LIMIT = 512 * MiB  # bytes read from one image file (a 100-megapixel TIFF: ~300 MB)
THUMB_PX = 96  # longest side of a report thumbnail
THUMB_QUALITY = 70  # JPEG quality of a thumbnail: ~2-4 kB each
POOL_MIN_FILES = 16  # fewer files than this are hashed in-process: starting workers costs more
CHUNK_MAX = 64  # files handed to a worker at a time (bounded, so results stream back steadily)
CLUSTER_CHUNK = 256  # files a task on a cluster: ~0.5-1 s of work against ~1 ms of scheduling
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def hash_file(path: str) -> tuple[str | None, str | None, str | None]:
    """(sha256 hex, phash hex, error) of one file; runs in a worker process. Only a regular file of at
    most IMAGE_LIMIT bytes is read (insight/safe_input.py)."""
    if path.startswith(NOT_READ):
        return None, None, path.partition(":")[2]
    try:
        data = read_whole(path) if is_url(path) else read_bytes(Path(path), IMAGE_LIMIT)
    except StorageError:
        raise  # the store kept refusing: the command stops, naming the object
    except InsightError as exc:
        if isinstance(exc.__cause__, FileNotFoundError):
            return None, None, MISSING_FILE
        return None, None, f"cannot read: {exc.reason}"
    except FileNotFoundError:
        return None, None, MISSING_FILE
    except OSError as exc:
        return None, None, f"cannot read: {exc.strerror or type(exc).__name__}"
    sha = hashlib.sha256(data).hexdigest()
    try:
        return sha, _phash(data), None
    except UnidentifiedImageError:
        return sha, None, "cannot decode: not an image format Pillow knows"
    except Exception as exc:  # noqa: BLE001 - any decoder failure on arbitrary bytes is "undecodable"
        detail = _ADDRESS.sub("", f"{type(exc).__name__}: {exc}")  # no memory addresses: stable output
        return sha, None, f"cannot decode: {detail}"[:200]


def _phash(data: bytes) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DecompressionBombWarning etc.: workers never print
        with strict_decoding(), Image.open(io.BytesIO(data)) as img:
            img.draft("L", (DRAFT_PX, DRAFT_PX))
            return phash(img)


def phash(img: Image.Image) -> str:
    """imagehash.phash(img) as 16 hex digits: the grey picture shrunk to 32x32 (Lanczos), its 2-D
    DCT-II (scipy.fftpack.dct's, unnormalised) kept to the lowest 8x8 frequencies, one bit per
    coefficient above their median, row by row, the first bit the highest."""
    small = img.convert("L").resize((PHASH_SIDE, PHASH_SIDE), Image.Resampling.LANCZOS)
    low = _DCT_LOW @ np.asarray(small, dtype=np.float64) @ _DCT_LOW.T
    low[np.abs(low) <= ROUNDING_NOISE * np.abs(low).max()] = 0.0
    return np.packbits(low > np.median(low)).tobytes().hex()


def _dct_rows(size: int, rows: int) -> np.ndarray:
    """The first `rows` rows of the unnormalised DCT-II matrix: 2 cos(pi k (2n + 1) / (2 size))."""
    k, n = np.arange(rows)[:, None], np.arange(size)[None, :]
    return 2.0 * np.cos(np.pi * k * (2 * n + 1) / (2 * size))


_DCT_LOW = _dct_rows(PHASH_SIDE, PHASH_BITS_SIDE)


def hash_images(ds: Dataset, config: Config = Config(), progress: Progress = no_progress) -> pd.DataFrame:
    """One row per image of `ds`: image_id, split, path, sha256, phash, error (HASH_COLUMNS). Images
    the loader did not open (outside the dataset, not regular files: its findings say so) are left out;
    any other file that leaves the dataset or is no regular file is not read, and its error says why."""
    images = ds.images.loc[:, ["image_id", "split", "path"]]
    images = images[~images["path"].isin(not_opened(ds.extras))].reset_index(drop=True)
    root = os.path.abspath(ds.root)  # a cluster's workers do not share this process's working folder
    files = _readable([os.path.join(root, str(p)) for p in images["path"]], Bounds.of(root, config.follow_outside))
    if config.remote is not None:  # a mirrored dataset: every byte of an image is read from the store
        files = [f if f.startswith(NOT_READ) else config.remote.source(f) for f in files]
    shas, phashes, errors = [], [], []
    for s, p, e in progress(_hash_all(files, config), total=len(files), desc="hashing images"):
        shas.append(s)
        phashes.append(p)
        errors.append(e)
    if config.executor is not None:
        _check_workers_read(files, errors, config)
    return images.assign(sha256=pd.Series(shas, dtype="object"), phash=pd.Series(phashes, dtype="object"),
                         error=pd.Series(errors, dtype="object"))


NOT_READ = "\0not read:"  # a file marked so is not read; what follows the colon is why


def _readable(files: list[str], bounds: Bounds) -> list[str]:
    """The files, those that may not be opened marked NOT_READ with the reason."""
    out = []
    for path in files:
        verdict = bounds.check(path)
        if verdict in (OK, MISSING):  # a missing file: the read says so
            out.append(path)
        elif verdict == OUTSIDE:
            out.append(NOT_READ + "not read: outside the dataset folder")
        else:
            out.append(NOT_READ + f"not read: {verdict}, not a regular file")
    return out


def _hash_all(files: list[str], config: Config) -> Iterator[tuple]:
    """hash_file over `files`, in order, streamed: in a process pool unless there is little to do, or
    on the cluster's executor."""
    chunk = max(1, min(CHUNK_MAX, len(files) // (worker_count(config.workers) * 8)))
    yield from pooled_map(hash_file, files, config.workers, sequential_below=POOL_MIN_FILES, chunksize=chunk,
                          executor=config.executor, cluster_chunksize=CLUSTER_CHUNK)


def _check_workers_read(files: list[str], errors: list[str | None], config: Config) -> None:
    """Files that no worker of the cluster could read, though this machine reads them, are not unreadable
    images: the workers do not see this machine's files. Stop with that, rather than report them."""
    unread = [(e or "").startswith("cannot read") or e == MISSING_FILE for e in errors]
    if files and all(unread) and os.path.isfile(files[0]):
        raise ClusterError(f"the cluster's workers cannot read the dataset's files (e.g. {files[0]}), which this "
                           "machine reads: they need them at the same paths (a shared file system)", config.scheduler)


def thumbnail_uri(path: str) -> str | None:
    """A small JPEG of the image (a file or an object's URL) as a data: URI, or None when it cannot be
    read or decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with _opened(path) as handle, Image.open(handle) as img:
                img.draft("RGB", (THUMB_PX * 2, THUMB_PX * 2))
                small = img.convert("RGB")
                small.thumbnail((THUMB_PX, THUMB_PX))
        out = io.BytesIO()
        small.save(out, format="JPEG", quality=THUMB_QUALITY)
    except Exception:  # noqa: BLE001 - a thumbnail is decoration; the pair is still listed without it
        return None
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


@contextmanager
def _opened(path: str):
    """A regular file of at most IMAGE_LIMIT bytes, or an object's bytes (insight.storage)."""
    if is_url(path):
        yield io.BytesIO(read_whole(path))
        return
    with open_regular(Path(path), IMAGE_LIMIT) as handle:
        yield handle


def thumbnails(root: str, paths: Iterable[str], source: Callable[[str], str] = str) -> dict[str, str]:
    """{relative path: data URI} for the given files (the report's example pairs only); `source` says
    where a file's bytes are read (insight.storage.Remote.source)."""
    uris = {p: thumbnail_uri(source(os.path.join(root, p))) for p in sorted(set(paths))}
    return {p: u for p, u in uris.items() if u}
