"""What every log reader shares: collecting values into the one long metrics table (reading the files:
reading.py).

`Rows` takes (step, epoch, raw name, value) as a reader parses, names them through `names.normalise`,
and `Rows.run()` returns the validated `Run` after five tidy-ups, in this order, each reported in a note:
  - values of the test split are left out (the curves compare train and val);
  - a name logged both per step and per epoch (Lightning `loss_step` / `loss_epoch`) keeps the epoch
    series, which holds the exact epoch means the diagnosis would otherwise estimate from samples;
  - several runs appended to one file (a series whose step or epoch counter goes back, in the order the
    reader read it: a trainer started again in the same folder) keep only the values of the last complete
    run (last_complete: at least MIN_RUN_POINTS points; shorter runs after it are aborted starts): one run
    is judged, never a mix of several (a resume whose counter carries on is one run: epochs.py notes it);
  - a 0..1 metric (accuracy, mAP, dice, ...) whose values exceed 1 was logged in percent: divided by 100;
  - a value repeated for the same step, split and name keeps the last one read; a reader whose format
    logs several values at one step on purpose (TensorBoard: a per-batch loss written at the epoch's
    step) says so with `Rows(several_per_step=True)` and marks each file it reads with `next_file()`:
    then every value of the newest file that logged the step is kept (the diagnosis averages them) and
    only older files' values for that step (a restart) are dropped.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from insight.errors import LogError
from insight.logs.names import is_fraction, normalise
from insight.model import Run
from insight.model.run import metrics_frame

PERCENT_MAX = 100.0  # a 0..1 metric whose largest value lies in (1, 100] was logged in percent


def to_float(value: object) -> float | None:
    """A number from a CSV cell or JSON value ('inf', 'nan' and numbers kept); None when not numeric."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            return None
    return None


class Rows:
    """Metric values as a reader finds them; `run()` turns them into a `Run`."""

    def __init__(self, several_per_step: bool = False, loss_namespaces: tuple[str, ...] = ()) -> None:
        self.rows: list[dict] = []
        self.loss_namespaces = loss_namespaces  # names.normalise: what is under these is a loss unless a metric
        self.non_numeric: Counter[str] = Counter()
        self.several_per_step = several_per_step
        self.file = 0  # which file the values come from (next_file), for several_per_step

    def next_file(self) -> None:
        """The values added from now on come from the next (newer) file."""
        self.file += 1

    def add(self, step: int, epoch: float | None, raw: str, value: object,
            default_split: str | None = None) -> bool:
        """Add one value; False when `raw` is the step/epoch axis or a timing column (not a metric)."""
        name = normalise(raw, default_split, self.loss_namespaces)
        if name is None:
            return False
        number = to_float(value)
        if number is None:
            if value is not None and not (isinstance(value, str) and not value.strip()):
                self.non_numeric[str(raw)] += 1
            return True
        epoch = to_float(epoch)
        epoch = None if epoch is None or math.isnan(epoch) else epoch
        self.rows.append({"step": int(step), "epoch": epoch, "split": name.split, "name": name.name,
                          "value": number, "source": str(raw), "granularity": name.granularity,
                          "file": self.file})
        return True

    def __len__(self) -> int:
        return len(self.rows)

    def run(self, fmt: str, source: Path, notes: list[str] | tuple[str, ...] = ()) -> Run:
        notes = list(notes)
        if self.non_numeric:
            keys = ", ".join(sorted(self.non_numeric)[:8])
            notes.append(f"{sum(self.non_numeric.values())} non-numeric value(s) not read (in {keys})")
        if not self.rows:
            raise LogError("holds no metric values (expected numbers under names such as loss, val_loss, "
                           "mAP50)", source)
        frame = pd.DataFrame(self.rows)
        frame = _drop_test(frame, notes)
        frame = _prefer_epoch_series(frame, notes)
        frame = _last_run(frame, notes)
        frame = _percent_to_fraction(frame, notes)
        frame = _newest_file_per_step(frame, notes) if self.several_per_step else _last_per_step(frame, notes)
        frame = frame.sort_values(["step", "split", "name"], kind="stable").reset_index(drop=True)
        return Run(fmt, str(source), metrics_frame(frame.drop(columns=["granularity", "file"])), tuple(notes))


MIN_RUN_POINTS = 5  # a run with fewer points than one Prechelt strip (the diagnosis's min_points) is an
#                    aborted start, not a run to judge


def last_complete(lengths: list[int]) -> int:
    """The run to judge among runs appended one after another (their lengths in points, oldest first): the
    last complete one, with at least MIN_RUN_POINTS points; shorter runs after it are aborted starts (a
    trainer started again and stopped). When none is complete, the last. Every reader that finds
    appended runs chooses by this rule (Rows.run for all of them, detectron2.py on its records)."""
    complete = [i for i, n in enumerate(lengths) if n >= MIN_RUN_POINTS]
    return complete[-1] if complete else len(lengths) - 1


def _last_run(frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Only the values of the last complete run (last_complete). A point whose step, or epoch, is lower than
    the point read before it in the same file, split and name, and logged before, starts a new run (in a
    series logged once per epoch, an epoch equal to the one before too). Runs are counted per file from
    the last one back, so every series of a file keeps the same run: a run's length is its points in the
    sparsest series that restarted (a validation loss logged once per epoch, not the per-step train
    loss). A series logged in fewer runs than the one chosen (only in an aborted start) is left out."""
    keep = pd.Series(True, index=frame.index)
    restarts: list[tuple[str, float, float]] = []
    aborted = 0
    for _, in_file in frame.groupby("file", sort=False):
        runs: list[list[pd.Index]] = []
        for _, group in in_file.groupby(["split", "name", "granularity"], sort=False, dropna=False):
            back = _goes_back(group["step"]) | _goes_back(group["epoch"], strictly=not _once_per_epoch(group))
            positions = np.flatnonzero(back.to_numpy())
            bounds = [0, *positions, len(group)]
            runs.append([group.index[a:b] for a, b in zip(bounds, bounds[1:])])
            if len(positions) > len(restarts):
                restarts = [_restart(group, i) for i in positions]
        most = max(len(r) for r in runs)
        if most == 1:
            continue
        restarted = [r for r in runs if len(r) > 1]  # a series logged once, or in one run only, measures no run
        lengths = [min(len(r[-most + k]) for r in restarted if len(r) >= most - k) for k in range(most)]
        chosen = last_complete(lengths)
        back_from_end = most - chosen
        aborted = max(aborted, most - 1 - chosen)
        for series_runs in runs:
            for k, segment in enumerate(series_runs):
                if k != len(series_runs) - back_from_end:
                    keep[segment] = False
    if restarts:
        dropped = int((~keep).sum())
        where = ", ".join(f"{axis} {a:g} back to {b:g}" if b < a else f"{axis} {a:g} to {axis} {b:g} again"
                          for axis, a, b in restarts[:5])
        more = f" and {len(restarts) - 5} more" if len(restarts) > 5 else ""
        which = ("the last complete run (at least " f"{MIN_RUN_POINTS} points) is judged; the {aborted} shorter "
                 "run(s) after it look like aborted starts" if aborted else "only the last run is judged")
        notes.append(f"the log holds {len(restarts) + 1} runs one after another (the counter goes from {where}"
                     f"{more}): {which}; the {dropped} value(s) logged in the other runs are left out")
    return frame[keep]


def _goes_back(axis: pd.Series, strictly: bool = True) -> pd.Series:
    """Points whose counter is below the one before (or equal, where one value per epoch is the rule) and
    repeats a value the series already logged: a run logging its steps again. A point merely read out of
    order (MLflow values ordered by a timestamp that is missing or skewed) logs a step not seen before."""
    values, before = axis.astype(float), axis.astype(float).shift(1)
    back = values < before if strictly else values <= before  # NaN (an epoch not given) never goes back
    return back & values.duplicated()


def _once_per_epoch(group: pd.DataFrame) -> bool:
    """A series logged once per epoch (most of its epochs hold one value): there an epoch read again right
    after itself is a new run (a run stopped in its first epoch and started again), not a second value."""
    counts = group["epoch"].dropna().value_counts()
    return len(counts) > 1 and float((counts == 1).mean()) > 0.5


def _restart(group: pd.DataFrame, i: int) -> tuple[str, float, float]:
    """(axis, value before, value after) where the counter went back at position i of the series."""
    epochs = group["epoch"].astype(float).to_numpy()
    if np.isfinite(epochs[i - 1]) and np.isfinite(epochs[i]) and epochs[i] <= epochs[i - 1]:
        return "epoch", float(epochs[i - 1]), float(epochs[i])
    steps = group["step"].to_numpy()
    return "step", float(steps[i - 1]), float(steps[i])


def _drop_test(frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    test = frame["split"] == "test"
    if test.any():
        sources = sorted(frame.loc[test, "source"].unique())
        notes.append(f"{int(test.sum())} test-set value(s) left out of the train/val curves "
                     f"({', '.join(sources[:6])})")
    return frame[~test]


def _prefer_epoch_series(frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    drop = pd.Series(False, index=frame.index)
    for (split, name), group in frame.groupby(["split", "name"], sort=True):
        kinds = set(group["granularity"].dropna())
        if {"step", "epoch"} <= kinds:
            steps = group["granularity"] == "step"
            drop[group.index[steps]] = True
            raw = sorted(group.loc[steps, "source"].unique())
            notes.append(f"{split} {name}: the per-step series ({', '.join(raw)}, {int(steps.sum()):,} values) "
                         f"was left out; the per-epoch series holds the same {name} averaged per epoch")
    return frame[~drop]


def _percent_to_fraction(frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    frame, scaled = frame.copy(), []
    for (split, name), group in frame.groupby(["split", "name"], sort=True):
        if not is_fraction(name):
            continue
        finite = group["value"][np.isfinite(group["value"])]
        if len(finite) and 1.0 < finite.max() <= PERCENT_MAX:
            frame.loc[group.index, "value"] = group["value"] / 100.0
            scaled.append(f"{split} {name} (largest {finite.max():.4g})")
    if scaled:
        notes.append(f"logged in percent, divided by 100 so they read 0..1: {', '.join(scaled)}")
    return frame


def _last_per_step(frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    repeated = frame.duplicated(["step", "split", "name"], keep="last")
    if repeated.any():
        notes.append(f"{int(repeated.sum())} value(s) logged twice for the same step, split and name: "
                     "the last one read was kept")
    return frame[~repeated]


def _newest_file_per_step(frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Every value of the newest file that logged a (step, split, name); older files' values there (a
    run restarted from a checkpoint logs those steps again) are dropped."""
    newest = frame.groupby(["step", "split", "name"])["file"].transform("max")
    older = frame["file"] < newest
    if older.any():
        notes.append(f"{int(older.sum())} value(s) logged twice for the same step, split and name: the newest "
                     "file's were kept")
    several = frame[~older].duplicated(["step", "split", "name"], keep=False)
    if several.any():
        counts = frame[~older][several].groupby(["split", "name"]).size()
        names = ", ".join(f"{split} {name}" for split, name in counts.index[:6])
        notes.append(f"several values logged at one step ({names}): all kept, and averaged per "
                     "step or epoch by the diagnosis")
    return frame[~older]


def ranges(values: list[int] | list[float], limit: int = 12) -> str:
    """1, 2, 3, 5, 7, 8 -> '1-3, 5, 7-8' (for notes that name epochs); long lists keep both ends."""
    numbers = sorted({int(v) for v in values})
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    words = [f"{a}" if a == b else f"{a}-{b}" for a, b in spans]
    if len(words) > limit:
        words = words[: limit - 2] + ["...", *words[-2:]]
    return ", ".join(words)


SAME_RTOL = 1e-6  # values within this relative difference are the same value written with fewer digits


def same_values(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Two metrics tables hold the same series (names, splits, steps and epochs) with the same values,
    within SAME_RTOL: one run written twice (Keras's history as both CSV and JSON, 16 and 10 digits)."""
    keys = ["split", "name", "step", "epoch"]
    if len(a) != len(b) or not len(a):
        return False
    a, b = (t.sort_values(keys, kind="stable").reset_index(drop=True) for t in (a, b))
    if not all(a[k].equals(b[k]) for k in keys):
        return False
    return bool(np.allclose(a["value"].to_numpy(float), b["value"].to_numpy(float), rtol=SAME_RTOL, atol=0,
                            equal_nan=True))
