"""Datasets and training logs in object storage: `s3://`, `gs://`, and any other URL fsspec reads.

    insight report s3://bucket/datasets/pets --run gs://bucket/runs/exp1

A dataset URL is read through a local mirror, so every reader works on it unchanged:

    CACHE/mirrors/<scheme>/<bucket/prefix>/...    the dataset's objects, laid out as in the store:
      annotation and label files (anything not an image)   fetched whole, in concurrent batches
      image files                                           empty placeholders (nothing fetched)
    CACHE/manifests/<sha256 of the URL>.json      size and ETag of each object as mirrored

The mirror is kept between runs: an object whose size and ETag are unchanged is not fetched again,
and a file whose object is gone is removed. The per-image stages read the objects themselves, on the
workers that run them (insight.pool: this machine's processes or a cluster's): `Remote.source` maps a
mirror file to its URL. An image's header is read by ranged requests of its first HEAD_BYTES, a batch
of objects at a time (`read_heads`), longer only where the header runs past (HEAD_STEPS), so sizes are
the ones the whole files give, and only for the images whose size the annotations do not say. Hashing
for the duplicate check, the report's thumbnails and mask decoding read whole objects (`read_whole`).

Credentials are each store's usual ones (AWS_* variables and ~/.aws for s3fs, Google's application
default credentials for gcsfs): nothing is passed on the command line, printed or written into a
report; a URL shown is stripped of any user:password part. A store that throttles (HTTP 503 or 429)
is asked again after a back-off (BACKOFF_S, doubling, RETRIES times); then the command stops with one
line naming the object. CACHE is $INSIGHT_CACHE_DIR, else $XDG_CACHE_HOME/insight, else
~/.cache/insight.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from insight.errors import DatasetError, InsightError, LogError, MissingExtraError
from insight.progress import Progress, no_progress

T = TypeVar("T")

_URL = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")
EXTRAS = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs"}  # scheme -> insight-cv's extra for it
HEAD_BYTES = 4096  # an image's first bytes read for its header: a PNG's IHDR, a plain JPEG's headers
HEAD_STEPS = (HEAD_BYTES, 128 * 1024, None)  # read again with more when a header runs past (None: whole)
WHOLE_BATCH_BYTES = 64 * 1024 * 1024  # whole files fetched in one concurrent batch, at most this many bytes
BATCH = 256  # objects asked for in one concurrent batch
RETRIES = 5  # a throttled request is asked again this many times
BACKOFF_S = 0.5  # before the first retry; doubles each time (0.5 + 1 + 2 + 4 + 8 = 15.5 s in all)
THROTTLED = {503: "slow down", 429: "too many requests"}


class StorageError(InsightError):
    """An object store could not be read: throttled past the retries, access denied, no such object."""


def is_url(text: str | os.PathLike) -> bool:
    """Whether a DATASET or --run argument names an object store (scheme://...), not a local path."""
    match = _URL.match(os.fspath(text)) if isinstance(text, (str, os.PathLike)) else None
    return bool(match) and match.group(1).lower() != "file"


def file_url_path(text: str | os.PathLike) -> str | None:
    """The local path a `file://` URL names (file:///abs/path or file://localhost/abs/path, percent-
    decoding applied), read exactly as that path would be; None when `text` is no file:// URL. A file://
    URL that names no local path (another host, a relative path, a query or fragment) raises ValueError
    with one line naming it."""
    text = os.fspath(text) if isinstance(text, os.PathLike) else text
    match = _URL.match(text) if isinstance(text, str) else None
    if not match or match.group(1).lower() != "file":
        return None
    from urllib.parse import unquote_to_bytes, urlsplit

    parts = urlsplit(text)
    expected = "expected file:///absolute/path or file://localhost/absolute/path"
    if parts.netloc.lower() not in ("", "localhost"):
        raise ValueError(f"{text}: a file:// URL on host {parts.netloc!r}, not this machine; {expected}")
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise ValueError(f"{text}: a file:// URL with a query or fragment ('?' or '#'); {expected} "
                         "(a '?' or '#' in a name is written %3F or %23)")
    path = os.fsdecode(unquote_to_bytes(parts.path))  # the bytes named, as the file system decodes a name
    if not path.startswith("/"):
        raise ValueError(f"{text}: a file:// URL without a path; {expected}")
    return path


def shown(url: str) -> str:
    """The URL as it may be printed: without a user:password@ part."""
    return re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@]*@", r"\1", url)


@dataclass(frozen=True)
class Remote:
    """A local mirror of `url`: `local` is its folder (absolute)."""

    url: str
    local: str

    def source(self, path: str) -> str:
        """Where a file's every byte is read: its object's URL for a file of the mirror, else the path."""
        absolute = os.path.abspath(path)
        if absolute != self.local and not absolute.startswith(self.local + os.sep):
            return path
        rel = os.path.relpath(absolute, self.local).replace(os.sep, "/")
        return self.url.rstrip("/") + "/" + rel

    def shown(self, text: str) -> str:
        """`text` with the mirror's folder named by its URL."""
        return text.replace(self.local, shown(self.url).rstrip("/"))


def cache_dir() -> Path:
    if os.environ.get("INSIGHT_CACHE_DIR"):
        return Path(os.environ["INSIGHT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "insight"


# ---------------------------------------------------------------- reading one object

def read_whole(path: str) -> bytes:
    """Every byte of a local file or of an object (a URL), a throttled request asked again. A missing
    or forbidden object raises OSError (FileNotFoundError, PermissionError), as a file would; a store
    that cannot be reached, StorageError naming the object."""
    if not is_url(path):
        with open(path, "rb") as f:
            return f.read()
    fs, key = filesystem(path)
    try:
        return retrying(path, fs.cat_file, key)
    except (OSError, InsightError):
        raise
    except Exception as exc:  # noqa: BLE001 - a connection or protocol error: one line naming the object
        raise StorageError(f"the store could not be read: {_cause(exc)}", shown(path)) from None


def filesystem(url: str):
    """(fsspec filesystem, path inside it) for a URL; the store's credentials from its usual places."""
    scheme = _URL.match(url).group(1).lower()
    try:
        from fsspec.core import url_to_fs

        return url_to_fs(url)
    except ImportError:
        extra = EXTRAS.get(scheme)
        if extra:
            raise MissingExtraError(f"a dataset or log in {scheme}:// storage", extra) from None
        raise StorageError(f"reading {scheme}:// needs fsspec and its {scheme} implementation "
                           "(see fsspec's list of known implementations)", shown(url)) from None
    except ValueError as exc:
        raise StorageError(f"not a URL fsspec can read: {_cause(exc)}", shown(url)) from None


def retrying(what: str, call: Callable[..., T], *args, **kwargs) -> T:
    """call(*args, **kwargs), asked again after a back-off while the store answers 503 or 429; then a
    StorageError naming `what`. Other errors are the caller's to name."""
    for attempt in range(RETRIES + 1):
        try:
            return call(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - only a throttling answer is retried, the rest raised again
            status = throttling_status(exc)
            if status is None:
                raise
            if attempt == RETRIES:
                raise StorageError(f"the store kept answering HTTP {status} ({THROTTLED[status]}) to "
                                   f"{RETRIES + 1} requests over {_waited()} s; try again later",
                                   shown(what)) from None
            time.sleep(BACKOFF_S * 2 ** attempt)
    raise AssertionError("unreachable")


def _waited() -> str:
    return f"{sum(BACKOFF_S * 2 ** i for i in range(RETRIES)):g}"


def throttling_status(exc: BaseException) -> int | None:
    """503 or 429 when `exc` (or what caused it) is a store's throttling answer."""
    status = http_status(exc)
    if status in THROTTLED:
        return status
    return 503 if _says(exc, "SlowDown", "Please reduce your request rate") else None


def http_status(exc: BaseException) -> int | None:
    """The HTTP status a store answered with, found on `exc` or what caused it: botocore's ClientError
    (its response's HTTPStatusCode), aiohttp's ClientResponseError (`status`), gcsfs's HttpError
    (`code`)."""
    for link in _chain(exc):
        response = getattr(link, "response", None)
        codes = [getattr(link, "status", None), getattr(link, "code", None)]
        if isinstance(response, dict):
            codes.append(response.get("ResponseMetadata", {}).get("HTTPStatusCode"))
        for code in codes:
            if isinstance(code, int) and 100 <= code < 600:
                return code
    return None


def _says(exc: BaseException, *words: str) -> bool:
    return any(word in str(link) for link in _chain(exc) for word in words)


def _chain(exc: BaseException | None):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _empty_range(exc: BaseException) -> bool:
    """A ranged request on an empty object (HTTP 416): the object has no first bytes to give."""
    return http_status(exc) == 416 or _says(exc, "InvalidRange", "range is not satisfiable")


def _cause(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _failure(exc: BaseException, url: str, error: type[InsightError]) -> InsightError:
    """A one-line error for a request the store refused (throttling aside)."""
    if isinstance(exc, InsightError):
        return exc
    if isinstance(exc, FileNotFoundError):
        return error("no such object in the store", shown(url))
    if isinstance(exc, PermissionError):
        return error("the store denied access (check its credentials: the usual environment variables "
                     "and config files of the store)", shown(url))
    return error(f"the store could not be read: {_cause(exc)}", shown(url))


# ---------------------------------------------------------------- the mirror

def mirror_dataset(url: str, progress: Progress = no_progress) -> Remote:
    """The dataset folder at `url` as a local mirror (see the module's notes); refused in one line when
    there is no object under it, or it is one object."""
    return _mirror(url, progress, DatasetError, heads=True)[0]


def mirror_run(url: str, progress: Progress = no_progress) -> tuple[Remote, Path]:
    """A training log file or folder at `url`, fetched whole into the mirror; the local path to read."""
    return _mirror(url, progress, LogError, heads=False)


def _mirror(url: str, progress: Progress, error: type[InsightError], heads: bool) -> tuple[Remote, Path]:
    fs, root = filesystem(url)
    root = root.rstrip("/")
    listing = _listing(fs, root, url, error, files_allowed=not heads)
    manifest_path = cache_dir() / "manifests" / (hashlib.sha256(fs.unstrip_protocol(root).encode()).hexdigest()
                                                 + ".json")
    target_name = ""
    if set(listing) == {""}:  # the URL is one object (a log file): mirrored in its folder, under its name
        target_name = root.rsplit("/", 1)[-1]
        root, listing = root.rsplit("/", 1)[0], {target_name: listing[""]}
    local = (cache_dir() / "mirrors" / fs.unstrip_protocol(root).replace("://", "/", 1)).resolve()
    kept = _read_manifest(manifest_path)
    if not target_name:
        _remove_stale(local, kept, listing)
    wanted = {rel: info for rel, info in listing.items()
              if kept.get(rel, {}).get("stamp") != info["stamp"] or not (local / rel).is_file()}
    fetched = _fetch(fs, root, local, wanted, url, error, progress, heads)
    _write_manifest(manifest_path, {rel: kept[rel] for rel in listing if rel in kept and rel not in wanted} | fetched)
    local.mkdir(parents=True, exist_ok=True)
    return Remote(url=fs.unstrip_protocol(root), local=str(local)), local / target_name if target_name else local


def _listing(fs, root: str, url: str, error: type[InsightError], files_allowed: bool) -> dict[str, dict]:
    """{path under root: {size, stamp}} of every object under `root` ("" for root itself, a file)."""
    try:
        found = retrying(url, fs.find, root, detail=True)
    except Exception as exc:  # noqa: BLE001 - turned into one line naming the URL
        raise _failure(exc, url, error) from None
    listing = {}
    for path, info in found.items():
        if info.get("type", "file") != "file":
            continue
        path = path.rstrip("/")
        if path != root and not path.startswith(root + "/"):
            continue  # a neighbour sharing the prefix (bucket/ds-old beside bucket/ds)
        listing[path[len(root):].lstrip("/")] = {"size": int(info.get("size") or 0), "stamp": _stamp(info)}
    if not listing:
        what = "no such dataset folder (no object under it)" if error is DatasetError else \
            "no such training log file or folder (no object under it)"
        raise error(what, shown(url))
    if set(listing) == {""} and not files_allowed:
        raise error("expected a dataset folder, got a file", shown(url))
    bad = [rel for rel in listing if rel and (rel.startswith("/") or ".." in rel.split("/"))]
    if bad:
        raise error(f"an object name that would leave the mirror's folder: {bad[0]!r}", shown(url))
    return listing


def _stamp(info: dict) -> str:
    """What changes when an object does: its size with its ETag (or generation, or modification time)."""
    for key in ("ETag", "etag", "generation", "md5Hash", "LastModified", "mtime", "updated", "created"):
        if info.get(key):
            return f"{info.get('size')}:{info[key]}"
    return str(info.get("size"))


def _fetch(fs, root: str, local: Path, wanted: dict[str, dict], url: str, error, progress: Progress,
           heads: bool) -> dict[str, dict]:
    """Fetch `wanted` into the mirror, images as empty placeholders (`heads`); {rel: manifest entry}."""
    from insight.formats.shared.image_headers import is_image

    images = [rel for rel in wanted if heads and is_image(rel)]
    for rel in images:
        _write(local / rel, b"")
    placed = set(images)
    whole = [rel for rel in wanted if rel not in placed]
    for batch in progress(_batches(whole, wanted), total=None, desc="annotation files fetched"):
        _fetch_whole(fs, root, local, batch, url, error)
    return {rel: {"stamp": wanted[rel]["stamp"], "image": rel in placed} for rel in wanted}


def read_heads(urls: list[str], size: int | None) -> list[bytes | OSError]:
    """The first `size` bytes (None: all) of each object, asked for in concurrent batches; an object
    that cannot be read gives its OSError (FileNotFoundError, PermissionError) in its place. Runs on
    the workers that read image headers (insight.formats.shared.image_headers)."""
    if not urls:
        return []
    fs, _ = filesystem(urls[0])
    keys = [fs._strip_protocol(u) for u in urls]
    out: list[bytes | OSError] = []
    for start in range(0, len(keys), BATCH):
        batch = keys[start:start + BATCH]
        try:
            if size is None:
                got = retrying(urls[start], fs.cat, batch, on_error="return")
                got = [got[k] for k in batch] if isinstance(got, dict) else [got]
            else:
                got = retrying(urls[start], fs.cat_ranges, batch, [0] * len(batch), [size] * len(batch),
                               on_error="return")
        except (OSError, InsightError):
            raise
        except Exception as exc:  # noqa: BLE001
            raise StorageError(f"the store could not be read: {_cause(exc)}", shown(urls[start])) from None
        out += [_one_again(fs, key, data, size) for key, data in zip(batch, got)]
    return out


def _one_again(fs, key: str, data, size: int | None):
    """One object of a batch: its bytes; asked for again on its own when it was throttled."""
    if not isinstance(data, BaseException):
        return data
    if size is not None and _empty_range(data):
        return b""
    if isinstance(data, OSError) and throttling_status(data) is None:
        return data
    url = fs.unstrip_protocol(key)
    if throttling_status(data) is None:
        raise StorageError(f"the store could not be read: {_cause(data)}", shown(url))
    try:
        return retrying(url, fs.cat_file, key, *(() if size is None else (0, size)))
    except OSError as exc:
        return exc


def _batches(rels: list[str], listing: dict[str, dict]):
    """`rels` in batches of at most BATCH objects and WHOLE_BATCH_BYTES bytes."""
    batch, size = [], 0
    for rel in rels:
        if batch and (len(batch) >= BATCH or size + listing[rel]["size"] > WHOLE_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(rel)
        size += listing[rel]["size"]
    if batch:
        yield batch


def _fetch_whole(fs, root: str, local: Path, rels: list[str], url: str, error) -> None:
    paths = [f"{root}/{rel}" for rel in rels]
    try:
        got = retrying(url, fs.cat, paths, on_error="return")
    except Exception as exc:  # noqa: BLE001
        raise _failure(exc, url, error) from None
    for rel, path in zip(rels, paths):
        data = got.get(path) if isinstance(got, dict) else got
        data = _one_again(fs, path, data, None)
        if isinstance(data, BaseException):
            raise _failure(data, fs.unstrip_protocol(path), error)
        _write(local / rel, data)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.part")
    temp.write_bytes(data)
    os.replace(temp, path)


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _write_manifest(path: Path, entries: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".part")
    temp.write_text(json.dumps(entries, sort_keys=True))
    os.replace(temp, path)


def _remove_stale(local: Path, kept: dict[str, Any], listing: dict[str, dict]) -> None:
    """Files of an earlier mirror whose objects are gone."""
    for rel in set(kept) - set(listing):
        try:
            (local / rel).unlink()
        except OSError:
            pass
