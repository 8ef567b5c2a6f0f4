"""Write report.html, report.pdf and insight.json atomically (house rule 11).

Everything is rendered in memory first. Then, holding the folder's lock:
1. temporary files left by a run that was killed are removed (only ours: `.NAME.*.tmp`);
2. every file is written to a unique temporary name in the output folder and flushed to disk;
3. only when all of them are on disk are they renamed over the old ones, in the order given (the
   caller puts insight.json last, so a new insight.json always comes with its new report).
A crash or a kill before step 3 leaves the last good report untouched; the set is only mixed if the
process dies between two of the renames, a window of microseconds.

The lock is `OUT/.insight.lock`, held with flock(2) by the writing job; a second job on the same
folder waits for the first to finish writing, so the files of two jobs never mix. The lock file
stays in the folder on purpose: deleting it after use would let a job that is waiting on the old
file and a job that creates a new one both hold "the" lock. It is empty and hidden.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from insight.errors import UsageError

LOCK_NAME = ".insight.lock"
TMP_SUFFIX = ".tmp"


@contextmanager
def output_lock(out: Path):
    """Hold an exclusive lock on OUT/.insight.lock; a second job waits rather than mixing files."""
    try:
        handle = open(out / LOCK_NAME, "a+")
    except OSError as exc:
        raise UsageError(f"cannot write into the output folder ({exc.strerror})", out) from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prepare_out(out: Path) -> Path:
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError("--out must be a folder, got a file", out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the output folder ({exc.strerror})", out) from None
    return out


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temp_prefix(name: str) -> str:
    return f".{name}."


def write_temp(path: Path, data: bytes) -> Path:
    """`data` in a new temporary file beside `path`, flushed to disk; its name is returned."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_temp_prefix(path.name), suffix=TMP_SUFFIX)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; a report is as readable as any new file
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def remove_stale_temps(out: Path, names) -> list[Path]:
    """Temporary files of `names` that a killed run left behind. Call it only under the lock: every
    live writer holds the lock for as long as its temporary files exist. Only in `out`: the lock does
    not guard the folder of a file named elsewhere (--junit), where another job may be writing."""
    stale = [p for name in names if (out / name).parent == out
             for p in out.glob(f"{_temp_prefix(Path(name).name)}*{TMP_SUFFIX}")]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def _fsync_dir(out: Path) -> None:
    fd = os.open(out, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_outputs(out: Path, files: dict[str | Path, bytes], remove: tuple[str, ...] = ()) -> list[Path]:
    """Write {name: bytes} into `out` under the folder's lock: all temporary files first, then the
    renames in the order of `files`. A name may be an absolute path elsewhere (--junit FILE): it joins
    the same set, its temporary file beside it. The files named in `remove` (report.pdf with --no-pdf)
    are deleted from `out` after the renames, under the same lock. An OSError (disk full, read-only
    folder) is one line."""
    out = prepare_out(out)
    with output_lock(out):
        remove_stale_temps(out, files)
        temps: dict[str, Path] = {}
        renamed = 0
        try:
            for name, data in files.items():
                temps[name] = write_temp(out / name, data)
            for name in files:
                os.replace(temps[name], out / name)
                renamed += 1
            for name in remove:
                (out / name).unlink(missing_ok=True)
            for folder in dict.fromkeys((out / name).parent for name in files):
                _fsync_dir(folder)
        except OSError as exc:
            kept = "; the previous report was left in place" if renamed == 0 else ""
            raise UsageError(f"cannot write the report ({exc.strerror or exc}){kept}", out) from None
        finally:
            for tmp in temps.values():
                tmp.unlink(missing_ok=True)
    return [out / name for name in files]
