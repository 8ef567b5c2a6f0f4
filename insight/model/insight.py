"""`Insight`: everything the report says, computed once. insight.json, HTML and PDF all come from it.

Field names are the keys of insight.json (docs/json.md; the JSON Schema is insight/insight.schema.json).
A field whose metadata says `json=False` feeds the charts and tables but stays out of the JSON.
Units: a key ending in `_pct` is a percentage (0 to 100); counts are whole numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from insight import __version__
from insight.config import Setting
from insight.model.findings import Finding, Severity

SCHEMA = "insight/2"
CLOSED = ("left", "right", "both", "neither")


def chart_only(default=None, factory=None):
    """A field that the report draws from but insight.json leaves out."""
    if factory is not None:
        return field(default_factory=factory, metadata={"json": False})
    return field(default=default, metadata={"json": False})


@dataclass(frozen=True)
class Bin:
    """One histogram bin: its label as the report prints it and its range as numbers. `lo`/`hi` None:
    unbounded on that side. `closed` names the finite ends that belong to the bin, as pandas.Interval
    does: "left" is lo <= x < hi, "both" lo <= x <= hi (lo == hi: exactly that value)."""

    label: str
    lo: float | None
    hi: float | None
    closed: str = "left"

    def __post_init__(self) -> None:
        if self.closed not in CLOSED:
            raise ValueError(f"closed must be one of {CLOSED}, got {self.closed!r}")


def bins(labels: tuple[str, ...], ranges: tuple[tuple[float | None, float | None, str], ...]) -> tuple[Bin, ...]:
    """Bins from their labels and (lo, hi, closed) ranges, one each."""
    if len(labels) != len(ranges):
        raise ValueError("one range per bin label")
    return tuple(Bin(label, lo, hi, closed) for label, (lo, hi, closed) in zip(labels, ranges))


@dataclass(frozen=True)
class Histogram:
    bins: tuple[Bin, ...]
    counts: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.bins) != len(self.counts):
            raise ValueError("a histogram needs one count per bin")
        if not all(isinstance(b, Bin) for b in self.bins):
            raise ValueError("histogram bins are Bin objects (label and numeric range)")

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(b.label for b in self.bins)


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

    @property
    def represented(self) -> tuple[str, ...]:
        """The declared classes to represent: every class but the background, in declared order (as
        Dataset.represented)."""
        return tuple(c for c in self.classes if c not in self.background)


@dataclass(frozen=True)
class ClassCount:
    name: str
    count: int
    share_pct: float  # of all labels, in per cent (0..100)
    tier: str  # well | mild | serious
    to_add: int
    by_split: dict[str, int]

    @property
    def share(self) -> float:
        """The share as a fraction (0..1), as the report's percent filter takes it."""
        return self.share_pct / 100


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
    # The total loss's name as the log spells it, when that is not `loss` ({"loss": "total_loss"} for
    # Detectron2): the report names the series by it; the tables and insight.json keep `loss`.
    logged_names: dict[str, str] = chart_only(factory=dict)

    def shown_name(self, name: str) -> str:
        """A series' name as the report prints it: as logged (logged_names), else the canonical name."""
        return self.logged_names.get(name, name)

    @property
    def further_findings(self) -> tuple[Finding, ...]:
        """The findings besides the one that decided the scenario (that one is shown as the rule)."""
        rule_code = self.rule_finding.code if self.rule_finding else None
        return tuple(f for f in self.findings if f.code != rule_code)

    @property
    def failed_by(self) -> Finding | None:
        """An error-level finding about the run (a run that learned nothing, say), unless the scenario is
        B, which says as much itself: the finding that decided (when it is an error, there is no
        scenario), else the first such further finding. Whatever the losses read as, the run failed:
        neither a scenario's title nor its advice applies."""
        if self.scenario == "B":
            return None
        if self.rule_finding is not None and self.rule_finding.severity == Severity.ERROR:
            return self.rule_finding
        return next((f for f in self.further_findings if f.severity == Severity.ERROR), None)


@dataclass(frozen=True)
class Insight:
    insight_version: str = __version__
    dataset: DatasetSummary | None = None
    representation: Representation | None = None
    boxes: dict[str, Any] | None = None  # split -> stats.boxes.BoxStats
    masks: dict[str, Any] | None = None  # split -> class -> stats.masks.MaskClassStats
    multilabel: dict[str, Any] | None = None  # split -> stats.multilabel.MultiLabelStats
    health: tuple[Finding, ...] = ()
    split_drift: Any = None  # stats.drift.SplitDrift: train vs val per class and property, or None
    curves: CurveDiagnosis | None = None
    curves_error: str | None = None  # why the curves part could not be produced
    runs: Any = None  # diagnose.runs.RunsComparison when several runs were given; `curves` is the kept one
    history: Any = None  # diagnose.history.History from --history DIR, or None
    changes: Any = None  # diagnose.changes.Changes against --baseline, or None
    settings: tuple[Setting, ...] = ()  # the settings that differ from their defaults, and from where
    schema: str = SCHEMA
    # when the report was made, UTC, to the second (report_date.report_time: SOURCE_DATE_EPOCH when set)
    generated_at: str = ""  # insight.json's `report_id` is added when the JSON is made (report/serialize.py)
    generated: str = chart_only("")  # the date on the cover
    extras: dict[str, Any] = chart_only(factory=dict)
    # the keys its JSON holds: `scan` and `curves` print their part; None: all (insight.json)
    json_keys: tuple[str, ...] | None = chart_only()

    def to_json(self) -> str:
        """The JSON the command that made it writes: insight.json for a report, `scan --json` or
        `curves --json` for those."""
        from insight.report.serialize import to_json

        return to_json(self, self.json_keys)

    def save(self, out) -> list:
        """Write report.pdf, report.html and insight.json (the whole report) into the folder `out`, as
        `insight report --out OUT` does: all or nothing. Returns the paths written."""
        from dataclasses import replace

        from insight.commands import render_and_write
        from insight.report.write import prepare_out

        return render_and_write(replace(self, json_keys=None), prepare_out(out))

    def _repr_html_(self) -> str:
        """A notebook shows the report (report.html's page) in a frame of its own, so its styles stay
        inside it."""
        from html import escape

        from insight.report.html import render_html

        page = render_html(self)
        return (f'<iframe srcdoc="{escape(page, quote=True)}" title="insight report" '
                'style="width: 100%; height: 900px; border: 1px solid #ccc"></iframe>')

    @property
    def version(self) -> str:
        return self.insight_version
