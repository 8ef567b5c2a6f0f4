"""Ultralytics `results.csv` (YOLOv5, YOLOv8/10/11/12; detect, segment, classify, pose).

    runs/<task>/<name>/
        results.csv      epoch, [time,] train/<loss>..., metrics/<metric>[(B)|(M)]..., val/<loss>..., lr/pg0|x/lr0...
        args.yaml | opt.yaml, events.out.tfevents.* (the same values, read by the TensorBoard reader)

YOLOv5 and YOLOv10 pad header and values with spaces and count epochs from 0 (v5) or 1 (v10);
v8+ adds a `time` column and (B)ox/(M)ask suffixes; classify runs log train/loss, val/loss and
metrics/accuracy_top1/top5; YOLOv10 logs both heads (box_om = one-to-many, box_oo = one-to-one).
Every column under train/ or val/ that is not a quality metric or a learning rate is a loss component,
whether or not its name says "loss" (YOLOv10's box_om, cls_oo, dfl_om; a future head's part).
Columns are recognised by name (insight.logs.names), never by position. `inf`/`nan` stay values.

Epochs where validation did not run are left out of the val values, with a note: Ultralytics writes
exactly 0 for every val loss and metric when it skipped validation (YOLOv10's first epochs), and repeats
the last computed values unchanged between validations when it validates only every N epochs.
`epoch` is the log's own numbering; `step` is the row index.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from insight.config import Config
from insight.errors import LogError
from insight.formatting import plural
from insight.detection import SURE, Detection
from insight.logs.names import normalise
from insight.logs.reading import axis, csv_header, read_csv, walk
from insight.logs.table import Rows, ranges, to_float
from insight.model import Run

NAME = "ultralytics-csv"
PREFIXES = ("train/", "val/", "metrics/")
LOSS_NAMESPACES = ("train", "val")  # every column under these that is not a metric is a loss component


def candidates(folder: Path) -> list[Path]:
    return walk(Path(folder), lambda p: p.suffix.lower() == ".csv" and detect(p).confidence > 0)


def detect(path: Path) -> Detection:
    path = Path(path)
    if not path.is_file():
        return Detection.no("not a file")
    header = [c.lower() for c in csv_header(path)]
    if "step" in header:
        return Detection.no("a step column (Ultralytics logs one row per epoch, without a step column)")
    if "epoch" in header and any(c.startswith(PREFIXES) for c in header):
        return Detection(SURE, "CSV header with epoch and train/, val/ or metrics/ columns (Ultralytics)")
    return Detection.no("no epoch column with train/, val/ or metrics/ columns in the first line")


def read(path: Path, config: Config = Config()) -> Run:
    path = Path(path)
    frame, csv_notes = read_csv(path)
    columns = {c: normalise(c, None, LOSS_NAMESPACES) for c in frame.columns}
    if "epoch" not in [c.lower() for c in frame.columns]:
        raise LogError("no epoch column in the header (expected Ultralytics results.csv: epoch, "
                       "train/box_loss, metrics/mAP50(B), val/box_loss, ...)", path, 1)
    if not any(n is not None and n.known for n in columns.values()):
        raise LogError("header has no recognised column (expected train/..., val/..., metrics/...)", path, 1)
    epoch_col = next(c for c in frame.columns if c.lower() == "epoch")
    epochs = _epochs(frame[epoch_col], path)
    val_cols = [c for c, n in columns.items() if n is not None and n.split == "val"]
    values = frame[val_cols].apply(lambda col: col.map(to_float)).astype(float)
    skipped, notes = _validation_skipped(values, epochs)
    rows = Rows(loss_namespaces=LOSS_NAMESPACES)
    for i in range(len(frame)):
        for j, column in enumerate(frame.columns):
            if not (skipped[i] and column in val_cols):
                rows.add(i, epochs[i], column, frame.iat[i, j])
    return rows.run(NAME, path, csv_notes + notes)


def _epochs(column: pd.Series, path: Path) -> list[float]:
    return [axis(cell, "epoch", path, int(line)) for line, cell in column.items()]


def _validation_skipped(values: pd.DataFrame, epochs: list[float]) -> tuple[np.ndarray, list[str]]:
    """Rows whose val values were not computed: all exactly 0, or all equal to the row before."""
    n = len(values)
    if values.shape[1] == 0 or n == 0:
        return np.zeros(n, dtype=bool), []
    data = values.to_numpy()
    zero = (data == 0).all(axis=1)
    same = np.zeros(n, dtype=bool)
    if n > 1:
        prev, cur = data[:-1], data[1:]
        equal = (prev == cur) | (np.isnan(prev) & np.isnan(cur))
        same[1:] = equal.all(axis=1)
    stale = same & ~zero
    notes = []
    if zero.any():
        which = [epochs[i] for i in np.flatnonzero(zero)]
        notes.append(f"validation did not run in {'epoch' if len(which) == 1 else 'epochs'} {ranges(which)}: every "
                     "val loss and metric is exactly 0 "
                     "there, so those val values were left out")
    if stale.any():
        ran = [epochs[i] for i in np.flatnonzero(~zero & ~stale)]
        notes.append(f"val values repeat the epoch before unchanged in {plural(int(stale.sum()), 'epoch')} (validation "
                     f"ran only every few epochs): only the {plural(len(ran), 'epoch')} where it ran keep val values "
                     f"({ranges(ran)})")
    return zero | stale, notes
