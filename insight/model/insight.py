"""`Insight`: everything the report says, computed once. insight.json, HTML and PDF all come from it.

Field names are the keys of insight.json (DESIGN.md §5). A field whose metadata says
`json=False` feeds the charts and tables but stays out of the JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from insight.config import Setting
from insight.model.findings import Finding

SCHEMA = "insight/1"


def chart_only(default=None, factory=None):
    """A field that the report draws from but insight.json leaves out."""
    if factory is not None:
        return field(default_factory=factory, metadata={"json": False})
    return field(default=default, metadata={"json": False})


@dataclass(frozen=True)
class Histogram:
    bins: tuple[str, ...]
    counts: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.bins) != len(self.counts):
            raise ValueError("a histogram needs one count per bin")


@dataclass(frozen=True)
class SplitSize:
    images: int
    labels: int


@dataclass(frozen=True)
class DatasetSummary:
    path: str
    task: str
    format: str
    classes: tuple[str, ...]
    splits: dict[str, SplitSize]
    notes: tuple[str, ...] = ()
    background: tuple[str, ...] = ()  # declared classes that are background: no class to represent


@dataclass(frozen=True)
class ClassCount:
    name: str
    count: int
    share: float  # of all labels, 0..1
    tier: str  # well | mild | serious
    to_add: int
    by_split: dict[str, int]


@dataclass(frozen=True)
class Representation:
    cutoff: int
    total: int
    cutoff_factor: float
    serious_factor: float
    count_of: str  # what a label count counts: "images", "boxes", "images with the class", ...
    classes: tuple[ClassCount, ...]
    verdict: Finding
    split_findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class MetricSummary:
    name: str
    split: str
    best: float | None
    best_epoch: float | None
    last: float | None
    higher_is_better: bool = True


@dataclass(frozen=True)
class CurveDiagnosis:
    format: str
    source: str
    scenario: str | None  # A | B | C | D | None when there is not enough to judge
    # What the scenario was judged on: "train+val", or "train" when the log holds no validation loss
    # (overfitting cannot be seen then, and the report never calls such a run fine).
    judged_on: str = "train+val"
    findings: tuple[Finding, ...] = ()  # further findings, most important first
    metrics: tuple[MetricSummary, ...] = ()  # one per charted loss and quality metric; best is raw
    # The rule that decided the scenario, as data (code + numbers). Its wording comes from
    # templates/findings/<code>.txt and the advice from templates/findings/advice_<scenario>.txt;
    # analysis/build.py fills `rule` and `advice` from them.
    rule_finding: Finding | None = chart_only()
    rule: str = ""
    advice: str = ""
    x_axis: str = "epoch"  # "epoch", or "step" when the log has no epochs
    smoothing: str = ""
    notes: tuple[str, ...] = ()
    losses: tuple[str, ...] = ()  # loss names charted, total first
    table: pd.DataFrame | None = chart_only()  # per-x values: x, split, name, value, smoothed

    @property
    def further_findings(self) -> tuple[Finding, ...]:
        """The findings besides the one that decided the scenario (that one is shown as the rule)."""
        rule_code = self.rule_finding.code if self.rule_finding else None
        return tuple(f for f in self.findings if f.code != rule_code)


@dataclass(frozen=True)
class Insight:
    version: str
    dataset: DatasetSummary | None = None
    representation: Representation | None = None
    boxes: dict[str, Any] | None = None  # split -> stats.boxes.BoxStats
    masks: dict[str, Any] | None = None  # split -> class -> stats.masks.MaskClassStats
    multilabel: dict[str, Any] | None = None  # split -> stats.multilabel.MultiLabelStats
    health: tuple[Finding, ...] = ()
    curves: CurveDiagnosis | None = None
    curves_error: str | None = None  # why the curves part could not be produced
    changes: Any = None  # diagnose.changes.Changes against --baseline, or None
    settings: tuple[Setting, ...] = ()  # the settings that differ from their defaults, and from where
    schema: str = SCHEMA
    generated: str = chart_only("")  # date on the cover; left out of the JSON so reruns are identical
    extras: dict[str, Any] = chart_only(factory=dict)
