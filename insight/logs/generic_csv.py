"""Keras CSVLogger logs, pandas history dumps, plain metric CSVs, and Keras history.json.

    training.log | *.csv     epoch,accuracy,loss,lr,val_accuracy,val_loss          (Keras CSVLogger, 0-based)
    history.csv              ,loss,accuracy,val_loss,val_accuracy                  (pd.DataFrame(history).to_csv():
                             0,2.17,0.40,2.87,0.26                                  the unnamed index is the epoch)
    metrics.csv              Epoch,Train Loss,Val Loss,Val mAP                     (plain: columns say split and metric)
    history.json             {"loss": {"0": 2.17, ...}, "val_loss": {...}}         (column-oriented, or lists)

Keras names validation metrics `val_<name>` and leaves training metrics unprefixed, so when any column
says val, the unprefixed ones are train. Without an epoch column (or pandas index) rows are steps.
"""

from __future__ import annotations

import re
from pathlib import Path

from insight.config import Config
from insight.errors import LogError
from insight.detection import LIKELY, UNSURE, Detection
from insight.logs.names import normalise
from insight.logs.reading import axis, csv_header, first_line, read_csv, read_text, walk
from insight.logs.table import Rows
from insight.model import Run
from insight.safe_input import load_json

NAME = "generic-csv"
EPOCH_COLUMNS = ("epoch", "epochs")
STEP_COLUMNS = ("step", "steps", "global_step", "iteration", "iter")
INDEX_COLUMNS = ("", "unnamed: 0", "index")  # what pandas writes for (and reads back from) its index
HISTORY_HEAD = re.compile(r'^\s*\{\s*"[^"]+"\s*:\s*[\[{]')


def candidates(folder: Path) -> list[Path]:
    def fits(p: Path) -> bool:
        return p.suffix.lower() in (".csv", ".log", ".json") and detect(p).confidence > 0

    return walk(Path(folder), fits)


def detect(path: Path) -> Detection:
    path = Path(path)
    if not path.is_file():
        return Detection.no("not a file")
    if path.suffix.lower() == ".json":
        return _detect_history(path)
    header = csv_header(path)
    if len(header) < 2:
        return Detection.no("first line is not a CSV header")
    known = [c for c in header if _known(c)]
    if not known:
        return Detection.no("CSV header has no recognised metric column (such as loss, val_loss, accuracy)")
    axis = any(c.lower() in EPOCH_COLUMNS + STEP_COLUMNS for c in header) or header[0].lower() in INDEX_COLUMNS
    if axis:
        return Detection(LIKELY, f"CSV with an epoch/step column and metric columns ({', '.join(known[:4])})")
    return Detection(UNSURE, f"CSV with metric columns ({', '.join(known[:4])}) but no epoch column")


def _detect_history(path: Path) -> Detection:
    head = first_line(path)
    if HISTORY_HEAD.match(head) and re.search(r'"(?:val_)?loss"', head):
        return Detection(LIKELY, "JSON object of metric columns with a loss (Keras history)")
    return Detection.no("not a JSON object of metric columns with a loss (Keras history)")


def _known(column: str) -> bool:
    name = normalise(column)
    return name is not None and name.known


def read(path: Path, config: Config = Config()) -> Run:
    path = Path(path)
    if path.suffix.lower() == ".json":
        return _read_history(path)
    frame, csv_notes = read_csv(path)
    columns = list(frame.columns)
    if not any(_known(c) for c in columns):
        raise LogError("header has no recognised metric column (expected e.g. epoch, loss, val_loss, "
                       "accuracy, train_loss)", path, 1)
    lower = [c.lower() for c in columns]
    notes = list(csv_notes)
    epoch_col = next((c for c, low in zip(columns, lower) if low in EPOCH_COLUMNS), None)
    step_col = next((c for c, low in zip(columns, lower) if low in STEP_COLUMNS), None)
    if epoch_col is None and lower[0] in INDEX_COLUMNS:
        epoch_col = columns[0]
        notes.append("the unnamed first column (a pandas index) was read as the 0-based epoch")
    if epoch_col is None and step_col is None:
        notes.append("no epoch or step column: each row was read as one step")
    default = _default_split(columns)
    rows = Rows()
    for i in range(len(frame)):
        line = int(frame.index[i])
        epoch = None if epoch_col is None else _number(frame[epoch_col].iat[i], path, line, epoch_col or "index")
        step = None if step_col is None else _number(frame[step_col].iat[i], path, line, step_col)
        step = int(step) if step is not None else i
        for j, column in enumerate(columns):
            if column not in (epoch_col, step_col):
                rows.add(step, epoch, column, frame.iat[i, j], default)
    return rows.run(NAME, path, notes)


def _default_split(columns: list[str]) -> str | None:
    """Keras: when any column names its split as val, the columns without a split word are train."""
    names = [normalise(c) for c in columns]
    return "train" if any(n is not None and n.split == "val" for n in names) else None


def _number(cell: str, path: Path, line: int, column: str) -> float | None:
    if cell is None or str(cell).strip() == "":
        return None
    return axis(cell, column, path, line)


def _read_history(path: Path) -> Run:
    """Keras `history.history` saved as JSON: {name: [v0, v1, ...]} or {name: {"0": v0, ...}}."""
    data = load_json(read_text(path), path, LogError)
    if not isinstance(data, dict) or not data:
        raise LogError("expected a JSON object of metric columns (Keras history)", path)
    default = _default_split(list(data))
    rows = Rows()
    for key, column in data.items():
        if isinstance(column, list):
            column = dict(enumerate(column))
        if not isinstance(column, dict):
            raise LogError(f"{key!r} is not a list or an object of values per epoch", path)
        for index, value in column.items():
            epoch = axis(index, f"{key!r} epoch index", path, None)
            rows.add(int(epoch), epoch, key, value, default)
    return rows.run(NAME, path, ["the history's index was read as the 0-based epoch"])
