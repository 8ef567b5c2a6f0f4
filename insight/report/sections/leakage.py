"""Duplicates and leakage: what the duplicate check compared, and each kind of copy it found with
example pairs shown side by side as thumbnails (data: URIs carried by the findings; no file is read).

The findings come from insight.diagnose.duplicates via insight.images.leakage and sit in
`Insight.health`; this section picks them out by code.
"""

from __future__ import annotations

from dataclasses import dataclass

from insight.model.findings import Finding, Severity
from insight.model.insight import Insight
from insight.report.sections.common import SEVERITY_LABELS

# The kinds of copy, in the order the section shows them, with their headings.
PAIR_CODES = {
    "leakage_exact": "Identical files in training and held-out splits",
    "leakage_near": "Near copies of training images in held-out splits",
    "duplicate_within_split": "Identical files within one split",
}
SUMMARY_CODES = ("duplicates_checked", "duplicates_skipped")


@dataclass(frozen=True)
class PairView:
    """One example pair. `train`/`copy`: relative paths (train file first; for copies within a
    split, the first file of the group), with their splits. `distance`: bits between the perceptual
    hashes (near copies only, else None). `train_thumb`/`copy_thumb`: data:image/jpeg URIs, or None
    when the picture could not be decoded or thumbnails were left out."""

    train: str
    train_split: str
    copy: str
    copy_split: str
    distance: int | None
    train_thumb: str | None
    copy_thumb: str | None


@dataclass(frozen=True)
class CopyKind:
    """One kind of copy found. `count`: images concerned; `message`: the finding's wording (it
    states the consequence); `more`: how many further images are not shown as pairs.
    `first_heading`: the heading of the pairs' first column; `shows_distance`: whether the pairs
    carry a distance in bits (near copies)."""

    code: str
    title: str
    first_heading: str
    shows_distance: bool
    severity: str
    severity_label: str
    count: int
    message: str
    pairs: tuple[PairView, ...]
    more: int


@dataclass(frozen=True)
class LeakageContext:
    """Template: sections/leakage.html. None when the Insight holds no duplicate-check finding
    (no dataset, or the check was not run).

    ran: False when the check was skipped. across: True when training images were compared with a
    held-out split (only then can leakage be ruled out). summary: what was compared and the totals
    (or why it was skipped), worded. kinds: the copies found, leakage first. (Images the check could
    not read are a finding of the data-health table above, said there once.)"""

    ran: bool
    across: bool
    summary: str
    kinds: tuple[CopyKind, ...]


def build_leakage(insight: Insight) -> LeakageContext | None:
    by_code = {f.code: f for f in insight.health}
    summary = next((by_code[c] for c in SUMMARY_CODES if c in by_code), None)
    if summary is None:
        return None
    kinds = tuple(_kind(by_code[c], title) for c, title in PAIR_CODES.items() if c in by_code)
    ran = summary.code == "duplicates_checked"
    return LeakageContext(ran=ran, across=ran and bool(summary.values.get("held_out")),
                          summary=summary.message or summary.code, kinds=kinds)


def _kind(finding: Finding, title: str) -> CopyKind:
    thumbs = finding.media
    pairs = tuple(PairView(train=p["a"], train_split=p["split_a"], copy=p["b"], copy_split=p["split_b"],
                           distance=p.get("distance"), train_thumb=thumbs.get(p["a"]),
                           copy_thumb=thumbs.get(p["b"]))
                  for p in finding.values.get("pairs", ()))
    severity = Severity(finding.severity).value
    within = finding.code == "duplicate_within_split"
    return CopyKind(code=finding.code, title=title, first_heading="First file" if within else "Training image",
                    shows_distance=finding.code == "leakage_near", severity=severity,
                    severity_label=SEVERITY_LABELS[severity],
                    count=finding.count, message=finding.message or finding.code, pairs=pairs,
                    more=max(0, finding.count - len(pairs)))
