"""How to read this report: the definitions behind the numbers, with this run's settings."""

from __future__ import annotations

from dataclasses import dataclass

from insight.config import DEFAULT_CUTOFF_FACTOR, DEFAULT_SERIOUS_FACTOR
from insight.model.insight import Insight
from insight.stats.classes import SPLIT_SHARE_MIN_COUNT


@dataclass(frozen=True)
class HowToReadContext:
    """Template: sections/how_to_read.html.

    cutoff_factor/serious_factor: the tier settings used (the defaults without a dataset).
    count_of: what a label count counts for this task. smoothing: how curves were smoothed.
    split_min_count: the validation labels (or as many expected) a class needs for its split share
    to be compared with its training share.
    """

    cutoff_factor: float
    serious_factor: float
    count_of: str
    smoothing: str
    split_min_count: int = SPLIT_SHARE_MIN_COUNT


def build_how_to_read(insight: Insight) -> HowToReadContext:
    rep = insight.representation
    curves = insight.curves
    return HowToReadContext(cutoff_factor=rep.cutoff_factor if rep else DEFAULT_CUTOFF_FACTOR,
                            serious_factor=rep.serious_factor if rep else DEFAULT_SERIOUS_FACTOR,
                            count_of=rep.count_of if rep else "labels",
                            smoothing=curves.smoothing if curves else "")
