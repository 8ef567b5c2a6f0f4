"""Dataset + Run + Config -> Insight: every statistic and diagnosis computed once, findings worded.

This is the one place that decides which statistics a task gets; the JSON, HTML and PDF then only
format what the Insight holds. The stages can be called one by one: `represent` first (the class
counts, which the report command hands to its renderer to start drawing), then `build_insight` with
that representation for the rest.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import replace

from insight import __version__
from insight.analysis.messages import message_for, worded
from insight.config import Config
from insight.model import Dataset, Finding, Run
from insight.model.insight import CurveDiagnosis, DatasetSummary, Insight, Representation, SplitSize
from insight.report_date import iso_utc, report_date, report_time


def build_insight(dataset: Dataset | None, run: Run | list[Run] | None, config: Config = Config(),
                  curves_error: str | None = None, today: _dt.date | None = None,
                  representation: Representation | None = None, now: _dt.datetime | None = None,
                  run_notes: tuple[str, ...] = ()) -> Insight:
    """`representation`: what `represent(dataset, config)` returned, when the caller made it already.
    `now`: the time of generation (default: report_date.report_time); `today`: the report's date
    (default: report_date.report_date). `run` may be a list of runs: with several, each is diagnosed,
    they are compared (`runs`) and `curves` is the diagnosis of the run to keep (of the first tied run on
    a tie); `run_notes` say what was left out of the comparison."""
    parts: dict = {}
    if dataset is not None:
        parts.update(dataset_parts(dataset, config, representation))
    several = list(run) if isinstance(run, (list, tuple)) else ([run] if run is not None else [])
    if len(several) > 1:
        parts.update(compare(several, parts, config, run_notes))
    elif several:
        parts["curves"] = word_curves(diagnose(several[0], parts, config), leakage=_leaks(parts))
    return Insight(insight_version=__version__, curves_error=curves_error,
                   generated_at=iso_utc(now or report_time()),
                   generated=(today or report_date()).isoformat(), **parts)


def represent(ds: Dataset, config: Config = Config()) -> Representation:
    """The class representation (label counts, cutoff, tiers, labels to add), findings worded."""
    from insight.stats.classes import representation

    rep = representation(ds, config)
    return replace(rep, verdict=worded(rep.verdict), split_findings=tuple(map(worded, rep.split_findings)))


def dataset_parts(ds: Dataset, config: Config, rep: Representation | None = None) -> dict:
    parts = {"dataset": summarize(ds), "representation": rep or represent(ds, config), "health": health(ds)}
    drift = split_drift(ds, config)
    if drift is not None:
        parts["split_drift"] = drift
    if ds.task == "detection":
        from insight.stats.boxes import box_stats

        parts["boxes"] = box_stats(ds)
    elif ds.task == "segmentation":
        from insight.stats.masks import mask_stats

        parts["masks"] = mask_stats(ds)
    elif ds.task == "multilabel":
        from insight.stats.multilabel import multilabel_stats

        parts["multilabel"] = multilabel_stats(ds)
    return parts


def split_drift(ds: Dataset, config: Config):
    """Train vs val per class and property (stats.drift), its finding worded; None without both splits."""
    from insight.stats.drift import split_drift as compare_splits

    drift = compare_splits(ds, config.drift_threshold)
    if drift is None or drift.finding is None:
        return drift
    return replace(drift, finding=worded(drift.finding))


def summarize(ds: Dataset) -> DatasetSummary:
    from insight.stats.classes import label_counts_by_split

    images = ds.images["split"].value_counts()
    labels = label_counts_by_split(ds)
    splits = {s: SplitSize(images=int(images.get(s, 0)), labels=labels[s]) for s in ds.splits}
    return DatasetSummary(path=ds.root, task=ds.task, format=ds.format, classes=ds.classes,
                          splits=splits, notes=ds.notes, background=ds.background)


def health(ds: Dataset) -> tuple[Finding, ...]:
    """What the loader found while reading, then the checks on the tables; errors first."""
    try:
        from insight.diagnose.health import check_dataset
    except ModuleNotFoundError:  # pragma: no cover - the table checks ship with detection support
        checks: list[Finding] = []
    else:
        checks = check_dataset(ds)
    findings = list(ds.health) + list(checks)
    findings.sort(key=lambda f: f.severity.rank)
    return tuple(worded(f) for f in findings)


def diagnose(run: Run, parts: dict, config: Config = Config()) -> CurveDiagnosis:
    from insight.diagnose.curve_rules import CurveThresholds
    from insight.diagnose.curves import CurveContext, diagnose_run

    rep = parts.get("representation")
    under = _imbalanced(rep.classes) if rep else ()
    leakage = _leaks(parts)
    thresholds = CurveThresholds().override(dict(config.curve_thresholds))
    return diagnose_run(run, CurveContext(has_leakage=leakage, underrepresented=under, thresholds=thresholds,
                                          classes_known=rep is not None))


def _imbalanced(classes) -> tuple[str, ...]:
    """The classes under the cutoff that have labels, fewest first: those the model trains on too rarely.
    A declared class with no label is not trained on at all; the summary names those on their own."""
    under = sorted((c for c in classes if c.tier != "well" and c.count > 0), key=lambda c: c.count)
    return tuple(c.name for c in under)


def _leaks(parts: dict) -> bool:
    from insight.diagnose.duplicates import LEAKAGE_CODES

    return any(f.code in LEAKAGE_CODES for f in parts.get("health", ()))


def compare(runs: list[Run], parts: dict, config: Config, notes: tuple[str, ...] = ()) -> dict:
    """Several runs: each diagnosed, then compared (diagnose.runs); `curves` is the one to keep."""
    from insight.diagnose.runs import compare_runs

    diagnoses = [word_curves(diagnose(r, parts, config), leakage=_leaks(parts)) for r in runs]
    comparison = compare_runs([r.source for r in runs], diagnoses, config.tie_tolerance, notes)
    kept = diagnoses[comparison.kept_index]
    why = "the run to keep" if comparison.keep else "the first of the tied runs"
    note = (f"{comparison.runs[comparison.kept_index].name} is {why} of the {len(runs)} runs compared; "
            "the comparison is in insight.json `runs` and the report's section \"Runs compared\".")
    return {"runs": comparison, "curves": replace(kept, notes=(note,) + tuple(kept.notes))}


def word_curves(curves: CurveDiagnosis, leakage: bool = False) -> CurveDiagnosis:
    """The rule and the advice worded; `leakage`: held-out images copy training images (the advice of a
    run that looks fine then says the validation loss cannot be trusted)."""
    rule = message_for(curves.rule_finding) if curves.rule_finding else ""
    values = dict(curves.rule_finding.values) if curves.rule_finding else {}
    failed = curves.failed_by if curves.scenario else None  # without a scenario, the error's words say it
    code = "advice_failed" if failed is not None else f"advice_{curves.scenario}"
    if failed is not None:
        values.update(scenario=curves.scenario, error=failed.code)
    values["leakage"] = leakage
    values["still_improving"] = any(f.code == "not_converged" for f in curves.findings)
    advice = message_for(Finding(code, "info", values=values)) if curves.scenario else ""
    return replace(curves, rule=rule, advice=advice, findings=tuple(map(worded, curves.findings)))
