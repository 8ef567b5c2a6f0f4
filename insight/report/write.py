"""Write report.html, report.pdf and insight.json atomically (house rule 11).

Everything is rendered in memory first. Each file is then written to a unique temporary name in the
output folder, flushed to disk and renamed over the old one, so a crash or a kill leaves the last good
report in place. A lock file keeps two jobs writing into one folder from mixing their files.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from insight.errors import UsageError

LOCK_NAME = ".insight.lock"


@contextmanager
def output_lock(out: Path):
    """Hold an exclusive lock on OUT/.insight.lock; a second job waits rather than mixing files."""
    with open(out / LOCK_NAME, "a+") as handle:
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


def write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; a report is as readable as any new file
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_outputs(out: Path, files: dict[str, bytes]) -> list[Path]:
    """Write {name: bytes} into `out` atomically, under the folder's lock."""
    out = prepare_out(out)
    written = []
    with output_lock(out):
        for name, data in files.items():
            write_atomic(out / name, data)
            written.append(out / name)
    return written
