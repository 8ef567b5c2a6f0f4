"""Bring a run's metrics table to one value per epoch (or per step) for each split and name.

- The x axis is the epoch when epochs are known for most rows (rows without one get the epoch of their
  step from the rows that have both); otherwise the step, and the diagnosis says so.
- Several values at one x (iteration-level train loss, a resumed run that logged an epoch twice) are
  averaged over their finite values; an x whose values are all NaN/inf keeps NaN/inf, and every
  non-finite raw value is counted.
- Validation that has not run yet (every loss of the split exactly 0 at the start) and values carried
  forward between validations (every loss of the split exactly equal to its previous value) are not
  measurements: those x are dropped for the whole split, and a note says how many.
- The loss of a split is `loss` when it is logged, otherwise the sum of its components (box/cls/dfl/
  obj/seg `*_loss`, Detectron2's `loss_*`, as insight/logs/names.py names them).
- A run resumed from a checkpoint whose epoch (or step) count carries on is one run and is judged as one;
  where it shows (the learning rate repeats the point before it in a schedule that moves at every point,
  and the training loss jumps up there) a note says so. Runs appended with a counter that starts again
  are cut to the last run when the log is read (logs/table.py).
- Names that are neither a loss, a quality metric nor the learning rate (counters, momentum) are left
  out, with one note naming them. A component that is
  0 throughout (the cls loss of a single-class YOLO run) is left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from insight.diagnose.curve_thresholds import CurveThresholds
from insight.formatting import plural
from insight.model.run import RUN_SPLITS, Run

from insight.logs.names import higher_is_better as _direction
from insight.logs.names import is_counter, is_loss, is_lr

TOTAL = "loss"  # canonical name of a split's total loss (logs/names.py maps total_loss etc. onto it)
# The numbers this reading depends on (epoch_known_share, max_step_points, min_epochs) are fields of
# CurveThresholds (curve_thresholds.py), with their reasons.


def is_component(name: str) -> bool:
    """A part of the total loss (box_loss, cls_loss, Detectron2's loss_* after naming, ...)."""
    return is_loss(name) and name != TOTAL


def higher_is_better(name: str) -> bool | None:
    """True for accuracy/mAP/..., False for losses and errors, None when the name says no direction
    (learning rate, momentum, counters, unknown names): those get no best value."""
    if is_loss(name):
        return False
    return None if is_lr(name) else _direction(name)


@dataclass(frozen=True)
class Curve:
    """One split's values of one name, one per x; `y` may hold NaN/inf (kept: they are diagnosed)."""

    split: str
    name: str
    x: np.ndarray
    y: np.ndarray
    nonfinite_raw: int = 0  # raw values that were NaN/inf, before averaging per x

    def __len__(self) -> int:
        return int(self.x.size)

    @property
    def finite(self) -> np.ndarray:
        return np.isfinite(self.y)

    def clean(self) -> "Curve":
        """The finite points only."""
        keep = self.finite
        return Curve(self.split, self.name, self.x[keep], self.y[keep], self.nonfinite_raw)


@dataclass(frozen=True)
class EpochTable:
    x_axis: str  # "epoch" or "step"
    curves: dict[tuple[str, str], Curve]  # (split, name) -> curve, every name of the run
    totals: dict[str, Curve]  # split -> total loss (logged or summed)
    components: dict[str, tuple[str, ...]]  # split -> loss components (not all zero)
    summed: dict[str, tuple[str, ...]] = field(default_factory=dict)  # split -> components summed
    zero_components: tuple[str, ...] = ()  # "split/name" of components that are 0 throughout
    notes: tuple[str, ...] = ()

    def get(self, split: str, name: str) -> Curve | None:
        return self.curves.get((split, name))


def per_epoch(run: Run, t: CurveThresholds = CurveThresholds()) -> EpochTable:
    notes: list[str] = []
    m = _after_training(_without_counters(run.metrics, notes), notes)
    x_axis, xs = _x_values(m, notes, t)
    frame = m.assign(x=xs).dropna(subset=["x"])
    curves = _aggregate(frame)
    for split in RUN_SPLITS:
        curves = _drop_unmeasured(curves, split, notes)
    zero = tuple(f"{s}/{n}" for (s, n), c in curves.items()
                 if is_component(n) and len(c) and np.all(c.y == 0))
    if zero:
        why = ("a single-class run logs no classification loss" if all("cls" in z for z in zero)
               else "that part of the loss never had anything to measure")
        notes.append(f"{', '.join(zero)} {'is' if len(zero) == 1 else 'are'} 0 throughout ({why}): left out of "
                     "the losses")
    totals, components, summed = {}, {}, {}
    for split in RUN_SPLITS:
        comps = tuple(n for (s, n) in sorted(curves) if s == split and is_component(n)
                      and f"{s}/{n}" not in zero)
        components[split] = comps
        total = _total(curves, split, comps)
        if total is not None:
            totals[split] = total
            if (split, TOTAL) not in curves:
                summed[split] = comps
                curves[(split, TOTAL)] = total
                notes.append(f"{split} loss is the sum of {', '.join(comps)} (no total logged)")
    notes += _resumes(curves, totals.get("train"), x_axis)
    return EpochTable(x_axis, curves, totals, components, summed, zero, tuple(notes))


def _resumes(curves: dict, train: Curve | None, x_axis: str) -> list[str]:
    """One note per point where a resumed run shows: every learning-rate curve repeats its previous value
    exactly while it changed at the point before and changes again at the point after (a schedule that
    moves every point, paused once: the scheduler restored from the checkpoint), and the training loss
    rises there (the optimiser state warming up again)."""
    lrs = [c for (s, n), c in curves.items() if s == "train" and is_lr(n) and len(c) >= 4]
    if not lrs or train is None:
        return []
    frame = pd.concat([pd.Series(c.y, index=c.x) for c in lrs], axis=1, join="inner").sort_index()
    v = frame.to_numpy()
    step = np.all(np.diff(v, axis=0) != 0, axis=1)  # every group's lr moved between consecutive points
    loss = pd.Series(train.y, index=train.x)
    notes = []
    for i in range(2, len(frame) - 1):
        x, before = float(frame.index[i]), float(frame.index[i - 1])
        paused = np.all(v[i] == v[i - 1]) and step[i - 2] and step[i]
        if paused and x in loss.index and before in loss.index and loss[x] > loss[before]:
            notes.append(f"resumed at {x_axis} {x:g}: the learning rate repeats {x_axis} {before:g}'s and the "
                         f"training loss jumps from {loss[before]:.4g} to {loss[x]:.4g}; the {x_axis} count "
                         "carries on, so the curves are judged as one run")
    return notes


def _without_counters(m: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """The losses, quality metrics and learning rates; the other names (counts such as num_fg_samples,
    optimiser settings such as momentum) are listed once in a note and not charted."""
    names = m["name"].unique()
    counters = sorted(n for n in names if is_counter(n))
    if not counters:
        return m
    more = f" and {len(counters) - 8} more" if len(counters) > 8 else ""
    notes.append(f"not charted (neither a loss, a quality metric nor the learning rate): "
                 f"{', '.join(counters[:8])}{more}")
    return m[~m["name"].isin(counters)]


def _after_training(m: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Validation values logged at an epoch after the last epoch with a training value are an evaluation
    run after training (Lightning's trainer.validate() after fit logs at epoch max_epochs), not a point of
    the training curve: left out, with a note."""
    train, val = m[m["split"] == "train"], m[m["split"] == "val"]
    if train["epoch"].isna().all() or val["epoch"].isna().all():
        return m
    last = float(train["epoch"].max())
    after = (m["split"] == "val") & (m["epoch"] > last)
    if not after.any():
        return m
    losses = m[after & m["name"].map(is_loss).astype(bool)]
    shown = ", ".join(f"{r.source} {r.value:.4g}" for r in losses.head(3).itertuples()) or "no loss"
    notes.append(f"{int(after.sum())} validation value(s) logged after training ended (epoch "
                 f"{float(m.loc[after, 'epoch'].min()):g}, after the last training epoch {last:g}: an evaluation "
                 f"run after training, {shown}) are left out of the curves")
    return m[~after]


def _x_values(m: pd.DataFrame, notes: list[str], t: CurveThresholds) -> tuple[str, pd.Series]:
    epoch = m["epoch"]
    losses = m[[is_loss(n) for n in m["name"]]] if len(m) else m
    epochs, steps_logged = losses["epoch"].nunique(), losses["step"].nunique()
    if len(m) and epoch.notna().mean() >= t.epoch_known_share:
        if not epochs < t.min_epochs <= steps_logged:
            return "epoch", _epochs(m, notes)
        notes.append(f"the log holds {plural(epochs, 'epoch')} but {plural(steps_logged, 'logged step')} of the loss: "
                     "the curves are read per step")
    else:
        notes.append("the log has no epochs: the curves are read per step")
    steps = m["step"].astype(float)
    bins = t.max_step_points
    if steps.nunique() > bins:
        edges = np.linspace(steps.min(), steps.max(), bins + 1)
        centre = (edges[:-1] + edges[1:]) / 2
        idx = np.clip(np.searchsorted(edges, steps, side="right") - 1, 0, bins - 1)
        steps = pd.Series(np.round(centre[idx]), index=m.index)
        notes.append(f"steps were averaged into {bins} equal bins")
    return "step", steps


def _epochs(m: pd.DataFrame, notes: list[str]) -> pd.Series:
    epoch = m["epoch"]
    missing = epoch.isna()
    if missing.any():
        known = m.loc[~missing].groupby("step")["epoch"].min().sort_index()
        epoch = epoch.copy()
        epoch[missing] = np.interp(m.loc[missing, "step"], known.index, known.to_numpy())
        notes.append(f"{int(missing.sum())} rows without an epoch were placed by their step")
    if not np.all(np.mod(epoch, 1) == 0):
        epoch = np.floor(epoch)
        notes.append("fractional epochs were grouped into whole epochs")
    return epoch.astype(float)


def _aggregate(frame: pd.DataFrame) -> dict[tuple[str, str], Curve]:
    v = frame["value"]
    finite = np.isfinite(v)
    work = frame.assign(fv=v.where(finite), bad=~finite, pinf=v == np.inf, ninf=v == -np.inf)
    g = work.groupby(["split", "name", "x"], sort=True)
    agg = g.agg(fv=("fv", "mean"), bad=("bad", "sum"), pinf=("pinf", "any"), ninf=("ninf", "any"))
    y = agg["fv"].to_numpy().copy()
    empty = np.isnan(y)
    y[empty & agg["pinf"].to_numpy()] = np.inf
    y[empty & ~agg["pinf"].to_numpy() & agg["ninf"].to_numpy()] = -np.inf
    agg = agg.assign(y=y)
    curves = {}
    for (split, name), part in agg.groupby(level=["split", "name"], sort=False):
        x = part.index.get_level_values("x").to_numpy(dtype=float)
        curves[(split, name)] = Curve(split, name, x, part["y"].to_numpy(), int(part["bad"].sum()))
    return curves


def _drop_unmeasured(curves: dict, split: str, notes: list[str]) -> dict:
    """Drop the x where the split's losses were not measured: all 0 before the first validation, or
    all exactly equal to their previous value (carried forward between validations)."""
    losses = [c for (s, n), c in curves.items() if s == split and is_loss(n) and len(c)
              and not np.all(c.y == 0) and np.unique(c.y[c.finite]).size >= 3]
    if not losses:
        return curves
    frame = pd.concat([pd.Series(c.y, index=c.x, name=c.name) for c in losses], axis=1).sort_index()
    values = frame.to_numpy()
    leading = np.cumprod(np.all(values == 0, axis=1)).astype(bool)
    present = ~np.isnan(values)
    previous = frame.ffill().shift(1).to_numpy()
    same = (values == previous) & np.isfinite(values)
    repeat = np.all(same | ~present, axis=1) & present.any(axis=1)
    repeat[0] = False
    drop = set(frame.index[leading | repeat])
    if not drop:
        return curves
    n_lead, n_rep = int(leading.sum()), int((repeat & ~leading).sum())
    if n_lead:
        notes.append(f"{split} losses are 0 for the first {n_lead} points (not measured yet): left out")
    if n_rep:
        notes.append(f"{split} values repeated unchanged at {n_rep} points (carried forward between "
                     "evaluations): left out")
    out = dict(curves)
    for (s, n), c in curves.items():
        if s == split:
            keep = ~np.isin(c.x, list(drop))
            out[(s, n)] = Curve(s, n, c.x[keep], c.y[keep], c.nonfinite_raw)
    return out


def _total(curves: dict, split: str, comps: tuple[str, ...]) -> Curve | None:
    c = curves.get((split, TOTAL))
    if c is not None and len(c):
        return c
    parts = [curves[(split, n)] for n in comps if len(curves[(split, n)])]
    if not parts:
        return None
    frame = pd.concat([pd.Series(c.y, index=c.x) for c in parts], axis=1, join="inner").sort_index()
    if frame.empty:
        return None
    y = frame.to_numpy().sum(axis=1)
    return Curve(split, TOTAL, frame.index.to_numpy(dtype=float), y, sum(c.nonfinite_raw for c in parts))
