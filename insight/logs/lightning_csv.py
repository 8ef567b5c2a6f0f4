"""PyTorch Lightning `CSVLogger` output.

    lightning_logs/
        version_<n>/
            metrics.csv      epoch,step,train_loss,val_loss,val_accuracy,...   (one row per log call;
            hparams.yaml                                                        cells of other calls blank)

Train rows (every `log_every_n_steps`) and epoch-end validation rows are interleaved, each filling only
its own columns; blank cells are not values. `self.log(..., on_step=True, on_epoch=True)` writes both
`<name>_step` and `<name>_epoch`: both map to one name, and the epoch series is kept (see table.py).
Iteration-level values stay at their step, with the row's epoch.
"""

from __future__ import annotations

from pathlib import Path

from insight.config import Config
from insight.errors import LogError
from insight.detection import LIKELY, SURE, Detection
from insight.logs.names import normalise
from insight.logs.reading import axis, csv_header, read_csv, walk
from insight.logs.table import Rows
from insight.model import Run

NAME = "lightning-csv"


def candidates(folder: Path) -> list[Path]:
    return walk(Path(folder), lambda p: p.suffix.lower() == ".csv" and detect(p).confidence > 0)


def detect(path: Path) -> Detection:
    path = Path(path)
    if not path.is_file():
        return Detection.no("not a file")
    header = [c.lower() for c in csv_header(path)]
    if "step" not in header:
        return Detection.no("no step column in the CSV header")
    if "epoch" in header or path.name == "metrics.csv":
        return Detection(SURE, "CSV with step and epoch columns (Lightning CSVLogger)")
    return Detection(LIKELY, "CSV with a step column")


def read(path: Path, config: Config = Config()) -> Run:
    path = Path(path)
    frame, csv_notes = read_csv(path)
    columns = list(frame.columns)
    lower = [c.lower() for c in columns]
    if "step" not in lower:
        raise LogError("no step column in the header (expected Lightning metrics.csv: epoch, step, ...)", path, 1)
    if not any((n := normalise(c)) is not None and n.known for c in columns):
        raise LogError("header has no recognised metric column (expected e.g. train_loss, val_loss)", path, 1)
    step_col = columns[lower.index("step")]
    epoch_col = columns[lower.index("epoch")] if "epoch" in lower else None
    rows = Rows()
    for i in range(len(frame)):
        line = int(frame.index[i])
        step = axis(frame[step_col].iat[i], "step", path, line)
        epoch_cell = frame[epoch_col].iat[i] if epoch_col else ""
        epoch = axis(epoch_cell, "epoch", path, line) if epoch_cell.strip() else None
        for j, column in enumerate(columns):
            if column not in (step_col, epoch_col):
                rows.add(int(step), epoch, column, frame.iat[i, j])
    return rows.run(NAME, path, csv_notes)
