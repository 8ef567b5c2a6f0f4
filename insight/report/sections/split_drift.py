"""Validation vs training (split drift): the class and property comparisons that differ, worst first,
each with its effect size and adjusted p-value; on screen the two histograms of the worst side by side and
every comparison in a table, in print the worst few (the printed report stays within its page budget)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from insight.charts.boxes import histograms_chart
from insight.report.sections.common import SEVERITY_LABELS, Chart, chart
from insight.stats.drift import PROPERTIES, TOO_FEW, DriftTest, SplitDrift

PRINTED_ROWS = 5  # differing comparisons listed in the printed report; report.html lists all
CHART_PANELS = 6  # the worst differing comparisons drawn (two a row)
ALL_CLASSES = "all classes"
# Each tested property as the section's summary line names it; image width and height are one ("image size").
PROPERTY_WORDS = {"box_area": "box area", "aspect_ratio": "box shape", "boxes_per_image": "boxes per image",
                  "mask_area": "mask area", "image_width": "image size", "image_height": "image size"}


@dataclass(frozen=True)
class DriftRow:
    """One comparison: the class ("all classes" for every box, or every image), the property in words,
    the effect size and its measure (KS D or JS distance), the BH-adjusted p-value (None when too few),
    how many values each split has and the effective n, the verdict and severity (None unless it differs)."""

    subject: str
    property: str
    measure: str
    effect: float
    q_value: float | None
    n_reference: int
    n_other: int
    n_effective: float
    verdict: str
    severity: str | None
    severity_label: str


@dataclass(frozen=True)
class SplitDriftContext:
    """Template: sections/split_drift.html.

    reference/other: the split names compared (train, val). threshold: the effect size of a warning,
    note_from/error_from those of a note and an error (half and twice the threshold); alpha: the false discovery rate; min_effective_n: the
    guard. differing: the comparisons that differ, worst first; printed: the first PRINTED_ROWS of those at
    warning or error (the printed report lists no notes: page 1 names them), printed_more: how many
    differing comparisons the printed table leaves out. properties: the properties actually compared, in
    words, each once (the distinct properties of the tests: a classification dataset has image size only);
    per_class: some comparison is of one class (else every one is over all classes or all images); binned:
    some comparison is of binned counts (boxes per image: the chi-square test), else every one is a KS test. judged: comparisons with enough values; same: judged
    and not differing; too_few: those without a verdict. chart: the worst differing comparisons' histograms
    (None when nothing differs). others: every comparison that does not differ (report.html only).
    """

    reference: str
    other: str
    threshold: float
    note_from: float
    error_from: float
    alpha: float
    min_effective_n: int
    method: str
    properties: tuple[str, ...]
    per_class: bool
    binned: bool
    differing: tuple[DriftRow, ...]
    printed: tuple[DriftRow, ...]
    printed_more: int
    judged: int
    same: int
    too_few: int
    chart: Chart | None
    others: tuple[DriftRow, ...]


def subject(test: DriftTest) -> str:
    return test.class_name if test.class_name is not None else ALL_CLASSES


def compared_properties(drift: SplitDrift) -> tuple[str, ...]:
    """The properties the tests compared, in words, each once, in the order of stats.drift.PROPERTIES."""
    tested = {t.property for t in drift.tests}
    return tuple(dict.fromkeys(PROPERTY_WORDS[p] for p in PROPERTIES if p in tested))


def _row(test: DriftTest) -> DriftRow:
    return DriftRow(subject(test), PROPERTIES[test.property][0], test.effect_measure, test.effect, test.q_value,
                    test.n_reference, test.n_other, test.n_effective, test.verdict, test.severity,
                    SEVERITY_LABELS.get(test.severity or "", ""))


def _serious(rows: tuple[DriftRow, ...]) -> tuple[DriftRow, ...]:
    return tuple(r for r in rows if r.severity in ("warning", "error"))


def build_split_drift(split_drift: SplitDrift | None) -> SplitDriftContext | None:
    if split_drift is None:
        return None
    differing = tuple(_row(t) for t in split_drift.differing)
    judged = sum(t.verdict != TOO_FEW for t in split_drift.tests)
    return SplitDriftContext(
        reference=split_drift.reference, other=split_drift.other, threshold=split_drift.threshold,
        note_from=split_drift.threshold / 2, error_from=split_drift.threshold * 2,
        alpha=split_drift.alpha, min_effective_n=split_drift.min_effective_n, method=split_drift.p_value_method,
        properties=compared_properties(split_drift),
        per_class=any(t.class_name is not None for t in split_drift.tests),
        binned=any(PROPERTIES[t.property][1] == "chi2" for t in split_drift.tests),
        differing=differing, printed=_serious(differing)[:PRINTED_ROWS],
        printed_more=len(differing) - len(_serious(differing)[:PRINTED_ROWS]),
        judged=judged, same=judged - len(differing), too_few=split_drift.too_few,
        chart=drift_chart(split_drift), others=tuple(_row(t) for t in split_drift.tests if t.verdict != "differs"))


def drift_chart(drift: SplitDrift) -> Chart | None:
    worst = drift.differing[:CHART_PANELS]
    if not worst:
        return None
    splits = [drift.reference, drift.other]
    panels = [(f"{subject(t)}\n{PROPERTIES[t.property][0].split(' (')[0]} ({t.effect_measure} {t.effect:.2f})",
               "% of the split's values", _panel_table(t, splits)) for t in worst]
    svg = histograms_chart(panels, splits, key="split-drift")
    return chart("split-drift", svg, f"The {len(worst)} comparisons that differ most: for each, the share of "
                                     f"{drift.reference}'s and {drift.other}'s values in each bin, side by side.")


def _panel_table(test: DriftTest, splits: list[str]) -> pd.DataFrame:
    rows = []
    for split, hist in zip(splits, (test.reference, test.other)):
        total = sum(hist.counts) or 1
        rows += [{"bin": b, "split": split, "share": c / total, "count": c} for b, c in zip(hist.labels, hist.counts)]
    return pd.DataFrame(rows)
