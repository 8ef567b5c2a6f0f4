"""What every log reader shares when it opens a file: the walk that finds logs in a folder, safe reads
(insight/safe_input.py), the last line a writer had not finished, and the step/epoch axis values.

A cut last line. A log copied or read while the trainer writes it can end in the middle of a line:
Lightning's `8,89,0.` would read as a loss of 0. Every writer these readers know ends each line with a
line end, so a last line without one is read only when it is provably whole (a JSON object that
parses); otherwise it is left out and a note says so (TensorBoard's reader does the same for a cut
record, insight/logs/tensorboard.py).

Symlinks. The folder `--run` names bounds the walk: a file reached through a symlink that leads out
of it is not opened, and `links_out` lists them for a note.
"""

from __future__ import annotations

import io
import math
import os
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from insight.errors import InsightError, LogError
from insight.logs.table import to_float
from insight.safe_input import MiB, head_bytes, inside, load_json, read_text as safe_read_text

SKIP_DIRS = {".venv", "venv", "node_modules", "__pycache__", "site-packages", ".git"}
LOG_LIMIT = 256 * MiB  # a text log (a Lightning per-step CSV of a million steps is ~100 MiB)
HEAD_LIMIT = 65536  # bytes read to recognise a format
AXIS_LIMIT = 2.0 ** 63  # a step or epoch must fit the metrics table's 64-bit integers


def walk(folder: Path, match: Callable[[Path], bool], dirs: bool = False) -> list[Path]:
    """Files (or folders, with dirs=True) under `folder` for which `match` holds; hidden folders,
    virtual environments and caches are not entered, and a symlink leading out of `folder` is left out."""
    found = []
    for root, subdirs, files in os.walk(folder):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith(".") and d not in SKIP_DIRS)
        here = Path(root)
        names = subdirs if dirs else [f for f in sorted(files) if not f.startswith(".")]
        found.extend(here / n for n in names if not _leads_out(folder, here / n) and match(here / n))
    return found


def _leads_out(folder: Path, path: Path) -> bool:
    """`path`, found by os.walk (which enters no symlinked folder), is a symlink leading out of `folder`."""
    return path.is_symlink() and inside(folder, path) is None


def links_out(folder: Path, limit: int = 5) -> list[str]:
    """Up to `limit` paths (relative to `folder`) of symlinks under it that lead out of it."""
    found = []
    for root, subdirs, files in os.walk(folder):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith(".") and d not in SKIP_DIRS)
        for name in sorted(subdirs + files):
            path = Path(root) / name
            if _leads_out(folder, path):
                found.append(str(path.relative_to(folder)))
                if len(found) >= limit:
                    return found
    return found


def read_text(path: Path) -> str:
    """A whole text log (a regular file of at most LOG_LIMIT bytes), or a one-line LogError naming it."""
    return safe_read_text(Path(path), LOG_LIMIT, LogError)


def first_line(path: Path, limit: int = HEAD_LIMIT) -> str:
    """The first line of a text file (at most `limit` bytes), '' when unreadable, binary or not a
    regular file."""
    head = head_bytes(Path(path), limit)
    if b"\0" in head:
        return ""
    return head.split(b"\n", 1)[0].decode("utf-8", errors="replace").lstrip("\ufeff").strip()


def whole_lines(path: Path, text: str, keep: Callable[[str], bool] = lambda line: False) -> tuple[str, list[str]]:
    """`text` without a last line that has no line end, unless `keep(line)` proves it whole or it is
    the only line; a note when one was left out."""
    if not text or text.endswith(("\n", "\r")):
        return text, []
    start = text.rfind("\n") + 1
    last = text[start:]
    if start == 0 or not last.strip() or keep(last):
        return text, []
    number = text.count("\n") + 1
    return text[:start], [cut_line_note(path, number, last)]


def cut_line_note(path: Path, number: int, line: str) -> str:
    return (f"{Path(path).name}: the last line (line {number}) has no line end, so the file was cut or is "
            f"still being written: that line was not read ({line.strip()[:40]!r})")


def axis(value: object, what: str, path: Path, line: int | None) -> float:
    """A step, epoch or iteration as a finite number, or a one-line LogError naming file:line."""
    number = to_float(value)
    if number is None:
        raise LogError(f"{what} {value!r} is not a number", path, line)
    if not math.isfinite(number) or abs(number) >= AXIS_LIMIT:
        raise LogError(f"{what} {value!r} is not a finite number (steps, epochs and iterations count training "
                       "progress)", path, line)
    return number


def read_csv(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """A CSV log as text cells (header names stripped, padding removed; the index holds each row's
    line number; blank lines dropped) and notes about it, or a one-line LogError. A column name the
    header repeats is read once (its first column), with a note; a cut last line is left out, with a note."""
    import csv

    text, notes = whole_lines(path, read_text(path))
    if not text.strip():
        raise LogError("empty file (expected a CSV header line and rows)", path)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True,
                            quoting=csv.QUOTE_MINIMAL, header=None, skip_blank_lines=False)
    except pd.errors.ParserError as exc:
        found = re.search(r"line (\d+)", str(exc))
        raise LogError(f"not a well-formed CSV ({_first_sentence(exc)})", path,
                       int(found.group(1)) if found else None) from None
    except (ValueError, pd.errors.EmptyDataError) as exc:
        raise LogError(f"not a CSV log ({_first_sentence(exc)})", path) from None
    frame = frame.fillna("")
    frame.index = frame.index + 1  # line numbers
    frame = frame[(frame != "").any(axis=1)]
    header = [str(c).strip() for c in frame.iloc[0]]
    frame = frame.iloc[1:]
    frame.columns = range(len(header))
    first = {}
    for i, name in enumerate(header):
        first.setdefault(name, i)
    repeated = sorted({n for i, n in enumerate(header) if first[n] != i})
    if repeated:
        counts = ", ".join(f"{n!r} x{header.count(n)}" for n in repeated)
        notes.append(f"the header has duplicate column names ({counts}): only the first column of each was read")
    frame = frame[sorted(first.values())]
    frame.columns = [header[i] for i in frame.columns]
    return frame.apply(lambda col: col.str.strip()), notes


def _first_sentence(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def csv_header(path: Path) -> list[str]:
    """The column names of a CSV file's first line ([] when it is not CSV-like)."""
    import csv

    line = first_line(path)
    if "," not in line:
        return []
    try:
        return [c.strip() for c in next(csv.reader([line]))]
    except (csv.Error, StopIteration):
        return []


def json_lines(path: Path) -> tuple[list[tuple[int, dict]], list[str]]:
    """(line number, object) for each non-blank line of a JSON-lines file, and notes (a cut last line);
    a line that is not a JSON object is a one-line LogError naming file:line. NaN and Infinity tokens
    are read as numbers."""
    text, notes = whole_lines(path, read_text(path), keep=_is_json_object)
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        record = load_json(line, path, LogError, number, expected="a JSON object")
        if not isinstance(record, dict):
            raise LogError(f"expected a JSON object per line, got {type(record).__name__}", path, number)
        records.append((number, record))
    return records, notes


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(load_json(line, Path()), dict)
    except InsightError:
        return False


def first_record(path: Path) -> dict | None:
    """The first line of a file parsed as a JSON object, None when it is not one."""
    line = first_line(path)
    if not line.startswith("{"):
        return None
    try:
        record = load_json(line, Path(path))
    except InsightError:
        return None
    return record if isinstance(record, dict) else None
