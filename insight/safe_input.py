"""Reading an input file so that the file cannot hang, exhaust or mislead the run.

Every reader opens its files through these primitives:
- `open_regular` opens only a regular file: a FIFO, a device (`/dev/zero`), a socket or a folder is
  refused before a byte is read (the open itself never waits for a FIFO's writer);
- `read_bytes` / `read_text` read at most `limit` bytes: a bigger file is refused in one line;
- `load_yaml` parses YAML (PyYAML's safe loader) after checking, on the parser's events, that its
  nesting is at most MAX_NESTING deep and that aliases (`*name`) do not expand the document beyond
  MAX_YAML_NODES values (the "billion laughs" alias bomb);
- `load_json` parses JSON (NaN and Infinity read as numbers) refusing nesting deeper than the
  parser can take, in one line instead of a RecursionError;
- `inside(root, path)` keeps a path that a file or a folder refers to inside `root`: no `..` out, no
  absolute path elsewhere, no symlink leading out.

Each refusal is the `error` class the caller passes (a LogError, a DatasetError, a UsageError), with a
message naming the file and what was expected.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import BinaryIO

from insight.errors import InsightError

MiB = 1 << 20
MAX_NESTING = 100  # levels of YAML mappings/sequences; a data.yaml or meta.yaml uses 2 or 3
MAX_YAML_NODES = 100_000  # values a YAML document may expand to through its aliases (a data.yaml: ~100)

KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
         (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def size_text(n: int) -> str:
    """1536 -> '1.5 KiB'."""
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def kind_of(mode: int) -> str:
    return next((name for test, name in KINDS if test(mode)), "not a regular file")


def open_regular(path: Path, limit: int, error: type[InsightError] = InsightError) -> BinaryIO:
    """`path` opened for reading when it is a regular file of at most `limit` bytes."""
    fd, _ = _open_regular_fd(path, limit, error)
    return os.fdopen(fd, "rb")


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


def _open_regular_fd(path: Path, limit: int, error: type[InsightError]) -> tuple[int, int]:
    """(file descriptor, size) of `path` opened for reading when it is a regular file of at most `limit`
    bytes; the caller closes the descriptor."""
    try:
        _check_regular(os.stat(path), path, limit, error)  # a FIFO is not even opened
        fd = os.open(path, _OPEN_FLAGS)  # non-blocking: a file swapped for a FIFO meanwhile cannot make it wait
    except OSError as exc:
        raise error(f"cannot open the file ({exc.strerror or exc})", path) from exc  # the cause says missing
    try:
        info = os.fstat(fd)
        _check_regular(info, path, limit, error)
        return fd, info.st_size
    except BaseException:
        os.close(fd)
        raise


def _check_regular(info: os.stat_result, path: Path, limit: int, error: type[InsightError]) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise error(f"is {kind_of(info.st_mode)}, not a regular file: not read", path)
    if info.st_size > limit:
        raise error(f"the file is {size_text(info.st_size)}, more than the {size_text(limit)} insight reads "
                    "from one such file: not read (is it the right file?)", path)


def read_bytes(path: Path, limit: int, error: type[InsightError] = InsightError) -> bytes:
    """The whole of a regular file of at most `limit` bytes (one that grows past it while read is refused)."""
    fd, size = _open_regular_fd(path, limit, error)
    try:
        data = _read_at_most(fd, size, limit + 1)
    except OSError as exc:
        raise error(f"cannot read the file ({exc.strerror or exc})", path) from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise error(f"the file grew past {size_text(limit)} while it was read: not read", path)
    return data


def _read_at_most(fd: int, size: int, most: int) -> bytes:
    """Up to `most` bytes of a file whose size was `size` when opened. The first read asks for the whole
    file and one byte more (one allocation of the file's size, not a 64 MiB buffer for a 3 kB file);
    reads go on until one returns nothing, since a network file system may return less than asked and a
    file may grow: after a short read the next asks for 4 KiB (it normally finds the end), after a full
    one for four times more, up to 64 MiB. System calls on the descriptor, without a buffered file
    object: for a small file the object cost as much as the reading."""
    parts, total, step = [], 0, max(size + 1, 1 << 12)
    while total < most:
        asked = min(step, most - total)
        chunk = os.read(fd, asked)
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
        step = min(step * 4, 64 << 20) if len(chunk) == asked else 1 << 12
    return parts[0] if len(parts) == 1 else b"".join(parts)


def read_text(path: Path, limit: int, error: type[InsightError] = InsightError) -> str:
    """A UTF-8 text file (a byte-order mark is dropped), or a one-line error naming it."""
    data = read_bytes(path, limit, error)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"not a text file (undecodable byte at offset {exc.start}; expected UTF-8)", path) from None


def head_bytes(path: Path, size: int) -> bytes:
    """Up to `size` bytes from the start of a regular file; b'' for anything else or an unreadable file
    (for format detection, which must never wait on a FIFO or read a device)."""
    try:
        with open_regular(path, 1 << 62) as handle:
            return handle.read(size)
    except (InsightError, OSError):
        return b""


def load_json(text: str | bytes, path: Path, error: type[InsightError] = InsightError, line: int | None = None,
              expected: str = "valid JSON"):
    """JSON text parsed; nesting the parser cannot take is a one-line error, as is invalid JSON
    ("not {expected} (...)"). `line`: the line of a JSON-lines file `text` is."""
    try:
        return json.loads(text)
    except RecursionError:
        raise error("JSON nested too deeply to read (arrays or objects inside each other thousands of "
                    "levels deep)", path, line) from None
    except json.JSONDecodeError as exc:
        where = line if line is not None else exc.lineno
        raise error(f"not {expected} ({exc.msg} at column {exc.colno})", path, where) from None


def load_yaml(text: str, path: Path, error: type[InsightError] = InsightError):
    """YAML text parsed with PyYAML's safe loader, once its nesting and alias expansion are checked."""
    import yaml  # here, not at the top: only the readers of YAML files need it (a COCO scan does not)

    try:
        _check_yaml_events(yaml.parse(text, Loader=yaml.SafeLoader), path, error)
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"not valid YAML ({problem})", path, mark.line + 1 if mark else None) from None


def _check_yaml_events(events, path: Path, error: type[InsightError]) -> None:
    """Count the values the document expands to, an alias counting as many as its anchor holds,
    without building it; refuse deep nesting and an expansion past MAX_YAML_NODES."""
    import yaml

    sizes: dict[str, int] = {}
    open_nodes: list[list] = [[0, None]]  # [values so far, anchor] per open collection
    for event in events:
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            open_nodes.append([1, event.anchor])
            if len(open_nodes) > MAX_NESTING + 1:
                raise error(f"YAML nested more than {MAX_NESTING} levels deep: not read", path,
                            event.start_mark.line + 1)
            continue
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            count, anchor = open_nodes.pop()
        elif isinstance(event, yaml.ScalarEvent):
            count, anchor = 1, event.anchor
        elif isinstance(event, yaml.AliasEvent):
            if any(event.anchor == open_anchor for _, open_anchor in open_nodes):
                raise error(f"YAML alias *{event.anchor} refers to a node that contains it: not read", path,
                            event.start_mark.line + 1)
            count, anchor = sizes.get(event.anchor, 1), None  # an undefined alias: PyYAML names it below
        else:
            continue
        if anchor is not None:
            sizes[anchor] = count
        open_nodes[-1][0] += count
        if open_nodes[-1][0] > MAX_YAML_NODES:
            raise error(f"YAML aliases expand this file to more than {MAX_YAML_NODES:,} values (an alias bomb?): "
                        "not read", path, event.start_mark.line + 1)


def inside(root: Path, path: Path) -> Path | None:
    """`path` resolved (symlinks followed), when it stays inside `root` (also resolved); None when it
    leads out of it."""
    base = Path(root).resolve()
    target = (base / path).resolve() if not Path(path).is_absolute() else Path(path).resolve()
    return target if target == base or target.is_relative_to(base) else None
