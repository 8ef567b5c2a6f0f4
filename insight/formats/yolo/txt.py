"""Parse many YOLO label files at once: `cls cx cy w h` lines, values normalised to 0..1.

All files are joined into one buffer and parsed in bulk with numpy (no Python loop per line):
token boundaries come from a byte scan, numbers from `np.fromstring` (or, when some token is not a
number, from pandas' coercing parser, so the bad line can be named). Lines with more than five values
are polygons (YOLO-seg) or keypoints (YOLO-pose); with `keypoints=True` the first five values of such
a line are its box, otherwise the line is set aside and counted (`polygon_file`, `polygon_line`
locate each such line, so a segmentation reader can take the same files and read those lines).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_BOX = 5
_WHITESPACE = np.zeros(256, dtype=bool)
_WHITESPACE[[9, 10, 11, 12, 13, 32]] = True  # what bytes.split() splits on


@dataclass
class ParsedLabels:
    """Box lines (one entry per line, in file order) and the lines that could not be used."""

    file: np.ndarray  # index of the file each box came from
    line: np.ndarray  # 1-based line number in that file
    values: np.ndarray  # (n, 5): cls, cx, cy, w, h
    polygon_file: np.ndarray  # lines with more than five values, left for segmentation
    polygon_line: np.ndarray
    bad_file: np.ndarray  # lines that are not five numbers
    bad_line: np.ndarray
    bad_reason: np.ndarray  # object array of short reasons


def parse(contents: list[bytes], keypoints: bool = False) -> ParsedLabels:
    data = b"\n".join(contents) + b"\n"
    newline_counts = np.fromiter((c.count(b"\n") + 1 for c in contents), dtype=np.int64,
                                 count=len(contents))
    file_first_line = np.concatenate([[0], np.cumsum(newline_counts)[:-1]])
    buf = np.frombuffer(data, dtype=np.uint8)
    blank = _WHITESPACE[buf]
    starts = np.flatnonzero(~blank[1:] & blank[:-1]) + 1
    if len(buf) and not blank[0]:
        starts = np.concatenate([[0], starts])
    newlines = np.flatnonzero(buf == 10)
    token_line = np.searchsorted(newlines, starts)  # global line of each token
    per_line = np.bincount(token_line, minlength=len(newlines))
    numbers, not_number = _numbers(data, len(starts))
    first_token = np.concatenate([[0], np.cumsum(per_line)[:-1]])

    wide = per_line > _BOX
    box_lines = per_line == _BOX
    if keypoints:
        box_lines |= wide
        wide = np.zeros_like(wide)
    cols = first_token[box_lines, None] + np.arange(_BOX)
    values = numbers[cols] if len(cols) else np.empty((0, _BOX))
    bad_token = not_number[cols].any(axis=1) if len(cols) else np.zeros(0, bool)
    reason = np.full(len(values), "", dtype=object)
    reason[bad_token] = "not a number"
    finite = np.isfinite(values).all(axis=1)
    reason[(reason == "") & ~finite] = "NaN or inf value"
    box_idx = np.flatnonzero(box_lines)
    good = reason == ""

    short = np.flatnonzero((per_line > 0) & (per_line < _BOX))
    bad_lines = np.concatenate([box_idx[~good], short])
    bad_reason = np.concatenate([reason[~good], [f"{n} values" for n in per_line[short]]]).astype(object)
    order = np.argsort(bad_lines, kind="stable")

    def locate(lines):
        f = np.searchsorted(file_first_line, lines, side="right") - 1
        return f, lines - file_first_line[f] + 1

    f, ln = locate(box_idx[good])
    pf, pl = locate(np.flatnonzero(wide))
    bf, bl = locate(bad_lines[order])
    return ParsedLabels(f, ln, values[good], pf, pl, bf, bl, bad_reason[order])


def merge(parts: list[ParsedLabels], files: list[int]) -> ParsedLabels:
    """One ParsedLabels from parts parsed apart; `files[i]` is how many files part i holds."""
    if not parts:
        return parse([])
    offsets = np.concatenate([[0], np.cumsum(files)[:-1]]).astype(np.int64)
    def cat(name, shift=False):
        arrays = [getattr(p, name) + (o if shift else 0) for p, o in zip(parts, offsets)]
        return np.concatenate(arrays) if arrays else getattr(parts[0], name)
    return ParsedLabels(cat("file", True), cat("line"), np.concatenate([p.values for p in parts]).reshape(-1, _BOX),
                        cat("polygon_file", True), cat("polygon_line"), cat("bad_file", True), cat("bad_line"),
                        np.concatenate([p.bad_reason for p in parts]).astype(object))


def _numbers(data: bytes, n_tokens: int) -> tuple[np.ndarray, np.ndarray]:
    """Every token as a float, and which tokens are not numbers at all."""
    try:
        values = np.fromstring(data, dtype=np.float64, sep=" ")
        if len(values) == n_tokens:
            return values, np.zeros(n_tokens, dtype=bool)
    except ValueError:
        pass
    import pandas as pd  # only for files with a bad token; pool workers start without pandas

    tokens = pd.Series(data.split()).str.decode("latin-1")  # one entry per whitespace-split token
    values = pd.to_numeric(tokens, errors="coerce").to_numpy(dtype=np.float64)
    literal = tokens.str.lower().str.lstrip("+-").isin(["nan", "inf", "infinity"]).to_numpy()
    return values, np.isnan(values) & ~literal
