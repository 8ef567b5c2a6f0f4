"""What the scenario rules read and return: `Judged` (the run's table and the total-loss profiles) and
`Verdict` (a rule's finding and its score: the share of what the rule needs that it reached, >= 1 fires),
with the small scoring helpers the rule modules share (curve_diverge.py, curve_flat.py, curve_overfit.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from insight.diagnose import curve_rules as R
from insight.diagnose.curve_trend import aligned
from insight.diagnose.epochs import EpochTable
from insight.formatting import fmt_compared_values
from insight.model.findings import Finding, Severity

BIG = 1e9  # the score of a condition met by any margin


@dataclass(frozen=True)
class Judged:
    """What the scenario rules read: the run's table and the total-loss profiles."""

    table: EpochTable
    train: R.Profile | None
    val: R.Profile | None
    context: object  # curves.CurveContext

    @property
    def axis(self) -> str:
        return self.table.x_axis

    @property
    def primary(self) -> R.Profile | None:
        return self.train or self.val

    @property
    def primary_split(self) -> str:
        return "train" if self.train else "val"

    @property
    def t(self) -> R.CurveThresholds:
        return self.context.thresholds

    def pair(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x, train, val) on one cadence (curve_trend.aligned)."""
        return aligned(self.train.x, self.train.y, self.val.x, self.val.y)


@dataclass(frozen=True)
class Verdict:
    scenario: str
    finding: Finding
    score: float  # >= 1: the rule fires

    @property
    def fired(self) -> bool:
        return self.score >= 1


def finding(code: str, severity: str, axis: str, epoch: float | None = None,
            compared: tuple[tuple[str, ...], ...] = (), **values) -> Finding:
    """A curve finding; `compared`: groups of its values the wording compares in one sentence, printed
    with the same decimals (Finding.shown)."""
    return Finding(code, Severity(severity), values={"x_axis": axis, **values}, epoch=epoch,
                   shown=fmt_compared_values(values, *compared))


def ratio(measure: float, threshold: float) -> float:
    """measure / threshold as a score (measure must reach the threshold)."""
    if threshold <= 0:
        return BIG if measure >= threshold else 0.0
    return max(0.0, measure / threshold)


def below(measure: float, threshold: float) -> float:
    """A score for a measure that must stay strictly below the threshold (at it: just short of 1)."""
    if measure >= threshold:
        return min(threshold / measure, 1 - 1e-9) if measure > 0 else 1 - 1e-9
    return BIG if measure <= 0 else threshold / measure

