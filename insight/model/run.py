"""`Run`: one long metrics table (step, epoch, split, name, value, source), whatever the log format."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

METRIC_COLUMNS = ("step", "epoch", "split", "name", "value", "source")
RUN_SPLITS = ("train", "val")


def metrics_frame(rows: list[dict] | pd.DataFrame) -> pd.DataFrame:
    """Coerce rows into the metrics table with its dtypes; `value` keeps inf and NaN."""
    df = pd.DataFrame(rows, columns=list(METRIC_COLUMNS))
    df["step"] = df["step"].astype("int64")
    df["epoch"] = pd.to_numeric(df["epoch"], errors="coerce").astype("float64")
    df["value"] = pd.to_numeric(df["value"], errors="coerce").astype("float64")
    for c in ("split", "name", "source"):
        df[c] = df[c].astype(str)
    return df


@dataclass(frozen=True)
class Run:
    """What a log reader returns. `format` names the reader, `source` the file or folder read."""

    format: str
    source: str
    metrics: pd.DataFrame
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "notes", tuple(self.notes))
        m = self.metrics
        missing = [c for c in METRIC_COLUMNS if c not in m.columns]
        if missing:
            raise ValueError(f"metrics table lacks columns {missing}")
        if not np.issubdtype(m["step"].dtype, np.integer):
            raise ValueError(f"metrics.step must be integer, got {m['step'].dtype}")
        for c in ("epoch", "value"):
            if m[c].dtype != np.float64:
                raise ValueError(f"metrics.{c} must be float64, got {m[c].dtype}")
        bad = set(m["split"].unique()) - set(RUN_SPLITS)
        if bad:
            raise ValueError(f"metrics.split must be train or val, got {sorted(bad)}")

    def series(self, name: str, split: str) -> pd.DataFrame:
        m = self.metrics
        return m[(m["name"] == name) & (m["split"] == split)]

    @property
    def names(self) -> list[str]:
        return sorted(self.metrics["name"].unique())
