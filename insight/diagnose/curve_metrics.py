"""Findings on the quality metrics (accuracy, mAP, dice, ...) besides metric_regressed.

- metric_near_zero: a validation metric bounded to 0..1 whose best is below metric_near_zero: the model
  learned next to nothing, whatever the losses say (a loss can fall while mAP50-95 stays at 0.01).
- metric_spike_best: the best of a validation metric is a one-point spike, standing above both its
  neighbours by metric_spike_share of the metric's whole range or more: that epoch's checkpoint is a
  lucky draw, not a level the model held. The best reported stays the raw one; the finding says what
  the metric held around it.
- degenerate_run (an error): every validation quality metric is exactly 0 at every point and some loss
  components are exactly 0 throughout (a detector whose box and dfl losses are 0 never matched a target:
  the labels did not reach the trainer), so only the other components move. The losses may fall, but the
  run learned nothing: it gets no scenario (curves.diagnose_run: the finding decides, as "cannot judge",
  and says what the losses alone read as); this replaces metric_near_zero.
Precision and recall at one confidence threshold are left to mAP when the split logs one (as in
metric_regressed).
"""

from __future__ import annotations

import numpy as np

from insight.diagnose import curve_rules as R
from insight.diagnose.curve_findings import _judged_metric
from insight.diagnose.epochs import EpochTable, higher_is_better
from insight.formatting import fmt_compared_values
from insight.logs.names import is_fraction
from insight.model.findings import Finding, Severity


def metric_findings(table: EpochTable, t: R.CurveThresholds) -> list[Finding]:
    near_zero, spikes = [], []
    for (split, name), c in sorted(table.curves.items()):
        if split != "val" or not _judged_metric(table, split, name):
            continue
        ok = c.finite
        x, y = c.x[ok], c.y[ok]
        if y.size < t.min_points:
            continue
        i = int(np.argmax(y))
        if is_fraction(name) and y[i] < t.metric_near_zero:
            near_zero.append({"name": name, "best": float(y[i]), "best_x": float(x[i]), "last": float(y[-1])})
        spike = _spike(x, y, i, t)
        if spike is not None:
            spikes.append(Finding("metric_spike_best", Severity.WARNING, epoch=float(x[i]),
                                  values={"x_axis": table.x_axis, "split": split, "name": name, **spike},
                                  shown=fmt_compared_values(spike, ("best", "before", "after", "next_best"))))
    out = []
    if near_zero and degenerate_run(table, t) is None:
        out.append(Finding("metric_near_zero", Severity.WARNING, epoch=near_zero[0]["best_x"],
                           values={"x_axis": table.x_axis, "metrics": near_zero,
                                   "threshold": t.metric_near_zero},
                           shown={"metrics": [fmt_compared_values(m, ("best", "last")) for m in near_zero]}))
    return out + spikes


def _spike(x: np.ndarray, y: np.ndarray, i: int, t: R.CurveThresholds) -> dict | None:
    """The numbers of a one-point spike at the best (index i), None when the best is not one. A best at
    either end has one neighbour only and is not judged."""
    if i == 0 or i == y.size - 1:
        return None
    span = float(y[i] - np.min(y))
    neighbours = float(max(y[i - 1], y[i + 1]))
    if span <= 0 or y[i] - neighbours < t.metric_spike_share * span:
        return None
    rest = np.delete(y, i)
    j = int(np.argmax(rest))
    return {"best": float(y[i]), "best_x": float(x[i]), "before": float(y[i - 1]), "after": float(y[i + 1]),
            "next_best": float(rest[j]), "next_best_x": float(np.delete(x, i)[j]),
            "share_pct": 100 * t.metric_spike_share, "rise_pct": 100 * (y[i] - neighbours) / span}


def degenerate_run(table: EpochTable, t: R.CurveThresholds) -> Finding | None:
    """All validation quality metrics exactly 0 throughout, with loss components exactly 0 throughout."""
    metrics = {name: c for (split, name), c in table.curves.items()
               if split == "val" and higher_is_better(name) and int(c.finite.sum()) >= t.min_points}
    if not metrics or not table.zero_components or any(np.any(c.y[c.finite] != 0) for c in metrics.values()):
        return None
    moving = sorted({f"{s}/{n}" for s, comps in table.components.items() for n in comps})
    first = min(float(c.x[0]) for c in metrics.values())
    return Finding("degenerate_run", Severity.ERROR, epoch=first,
                   values={"x_axis": table.x_axis, "metrics": sorted(metrics), "zero": list(table.zero_components),
                           "moving": moving, "points": max(len(c) for c in metrics.values())})
