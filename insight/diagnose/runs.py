"""Which run to keep: several runs' curve diagnoses compared on three criteria, in this order:

1. the lower best validation loss (the total loss, `loss` of split val),
2. the higher best quality metric (the first of QUALITY_ORDER every run logs on val, else the first
   higher-is-better val metric every run logs),
3. fewer curve findings at warning or error severity.

The val loss is compared only between runs that sum the same loss components (YOLOv10's two heads
make a loss twice YOLOv8's on the same data); otherwise the criterion is passed over, with the reason.
Each criterion keeps the runs within the tie tolerance of the best one (relative: |a - b| <= tol *
max(|a|, |b|), --tie-tolerance, 0.5 % by default; our choice); the first criterion that leaves one run
decides, with the reason in words. A criterion some run cannot be judged on (no val loss logged, no
common metric) is passed over, and the verdict says so. Runs still level after all three are a tie, said
as such. Pure: the diagnoses in, a RunsComparison out.
"""

from __future__ import annotations

from dataclasses import dataclass

from insight.config import DEFAULT_TIE_TOLERANCE
from insight.formatting import fmt_compared
from insight.model.insight import CurveDiagnosis, chart_only

QUALITY_ORDER = ("mAP50_95", "mAP50", "accuracy", "dice", "iou", "f1", "precision", "recall")
COUNTED = ("error", "warning")  # curve findings that count against a run


@dataclass(frozen=True)
class RunSummary:
    """One run: a short name (distinct among the runs), the log read, its scenario, best and last val
    loss and quality metric (None when not logged), and its curve findings at warning or error."""

    name: str
    source: str
    format: str
    scenario: str | None
    judged_on: str
    best_val_loss: float | None
    best_val_loss_at: float | None
    last_val_loss: float | None
    best_metric: float | None
    best_metric_at: float | None
    last_metric: float | None
    findings: int
    x_axis: str = "epoch"


@dataclass(frozen=True)
class Step:
    """One criterion as applied: what it compares, each remaining run's value, and the runs within
    the tolerance of the best (`kept`); `skipped` says why it was passed over, else ''."""

    criterion: str
    values: dict[str, float | None]
    kept: tuple[str, ...]
    skipped: str = ""


@dataclass(frozen=True)
class RunsComparison:
    """insight.json `runs`: every run's summary (in the order given), the quality metric compared
    (None when the runs share none), the tie tolerance, the run to keep (None on a tie), the runs tied,
    the verdict in words, and the criteria as applied. `diagnoses` (report only) holds each run's
    curve diagnosis, for the charts."""

    runs: tuple[RunSummary, ...]
    metric: str | None
    tie_tolerance: float
    keep: str | None
    tied: tuple[str, ...]
    verdict: str
    steps: tuple[Step, ...]
    notes: tuple[str, ...] = ()
    diagnoses: tuple[CurveDiagnosis, ...] = chart_only(())

    @property
    def unranked(self) -> bool:
        """No run logged a value to rank by (validation loss, quality metric): a tie that says nothing."""
        return unranked(self.keep, self.steps)

    @property
    def kept_index(self) -> int:
        """The position of the run to keep, or of the first tied run."""
        name = self.keep or (self.tied[0] if self.tied else self.runs[0].name)
        return [r.name for r in self.runs].index(name)


def run_names(sources: list[str]) -> list[str]:
    """The shortest path endings that tell the runs apart (n_10.csv; train3/results.csv); a run read twice
    gets #2, #3."""
    parts = [str(s).replace("\\", "/").rstrip("/").split("/") for s in sources]
    for depth in range(1, max(len(p) for p in parts) + 1):
        names = ["/".join(p[-max(depth, _least_depth(p)):]) for p in parts]
        if len(set(names)) == len(names):
            return names
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return out


TRAINER_FILE_NAMES = frozenset({"results.csv", "metrics.csv", "metrics.json", "history.csv", "history.json"})


def _least_depth(parts: list[str]) -> int:
    """A log file every run of its trainer names alike (Lightning's metrics.csv) is named with its folder:
    'version_0/metrics.csv', not 'metrics.csv' beside a TensorBoard run called 'version_1'."""
    return 2 if len(parts) > 1 and parts[-1].lower() in TRAINER_FILE_NAMES else 1


def quality_metric(diagnoses: list[CurveDiagnosis]) -> str | None:
    common = set.intersection(*({m.name for m in d.metrics if m.split == "val" and m.higher_is_better}
                                for d in diagnoses)) if diagnoses else set()
    first = [name for name in QUALITY_ORDER if name in common]
    if first:
        return first[0]
    ordered = [m.name for m in diagnoses[0].metrics if m.name in common] if diagnoses else []
    return ordered[0] if ordered else None


def summarize(name: str, diagnosis: CurveDiagnosis, metric: str | None) -> RunSummary:
    loss = _metric(diagnosis, "loss", "val")
    quality = _metric(diagnosis, metric, "val") if metric else None
    findings = sum(f.severity.value in COUNTED for f in diagnosis.findings)
    return RunSummary(name, diagnosis.source, diagnosis.format, diagnosis.scenario, diagnosis.judged_on,
                      loss.best if loss else None, loss.best_epoch if loss else None, loss.last if loss else None,
                      quality.best if quality else None, quality.best_epoch if quality else None,
                      quality.last if quality else None, findings, diagnosis.x_axis)


def _metric(diagnosis: CurveDiagnosis, name: str, split: str):
    return next((m for m in diagnosis.metrics if m.name == name and m.split == split), None)


def close(a: float, b: float, tolerance: float) -> bool:
    """a and b tie: they differ by at most `tolerance` of the larger in size."""
    return abs(a - b) <= tolerance * max(abs(a), abs(b))


def compare_runs(sources: list[str], diagnoses: list[CurveDiagnosis],
                 tolerance: float = DEFAULT_TIE_TOLERANCE, notes: tuple[str, ...] = ()) -> RunsComparison:
    names = run_names(sources)
    metric = quality_metric(diagnoses)
    runs = tuple(summarize(n, d, metric) for n, d in zip(names, diagnoses))
    criteria = (("best val loss", "lower", lambda r: r.best_val_loss),
                (f"best {metric}" if metric else "best quality metric", "higher", lambda r: r.best_metric),
                ("curve findings (warnings and errors)", "fewer", lambda r: r.findings))
    left, steps = list(runs), []
    parts = {n: tuple(d.losses) for n, d in zip(names, diagnoses)}
    for criterion, better, value in criteria:
        step = _apply(criterion, better, value, left, tolerance)
        if criterion == "best val loss" and not step.skipped and len({parts[r.name] for r in left}) > 1:
            step = Step(criterion, step.values, tuple(step.values), "the runs' losses sum different components: "
                        + "; ".join(f"{r.name}: {', '.join(parts[r.name]) or 'loss'}" for r in left))
        steps.append(step)
        if not step.skipped:
            left = [r for r in left if r.name in step.kept]
        if len(left) == 1:
            break
    keep = left[0].name if len(left) == 1 else None
    tied = tuple(r.name for r in left) if keep is None else ()
    return RunsComparison(runs, metric, tolerance, keep, tied, verdict_text(runs, steps, keep, tied, tolerance),
                          tuple(steps), notes, tuple(diagnoses))


def _apply(criterion: str, better: str, value, runs: list[RunSummary], tolerance: float) -> Step:
    values = {r.name: value(r) for r in runs}
    missing = [n for n, v in values.items() if v is None]
    if missing:
        who = "any of the runs" if len(missing) == len(values) else ", ".join(missing)
        return Step(criterion, values, tuple(values), f"not logged by {who}")
    best = (min if better in ("lower", "fewer") else max)(values.values())
    if better == "fewer":
        kept = tuple(n for n, v in values.items() if v == best)
    else:
        kept = tuple(n for n, v in values.items() if close(v, best, tolerance))
    return Step(criterion, values, kept)


def unranked(keep: str | None, steps) -> bool:
    """No run kept, and no value to rank by was compared: the validation loss and the quality metric
    were both passed over (the count of curve findings alone does not rank runs' training)."""
    return keep is None and all(s.skipped for s in steps if not s.criterion.startswith("curve"))


def verdict_text(runs, steps: list[Step], keep: str | None, tied: tuple[str, ...], tolerance: float) -> str:
    """The verdict in plain words: the run to keep (or the tie) and, criterion by criterion, why."""
    clauses = [_clause(s, tolerance) for s in steps]
    if unranked(keep, steps):
        return f"{' and '.join(tied)} cannot be ranked, as none logs a value to rank by: " + "; ".join(clauses) + "."
    if keep is None:
        return f"{' and '.join(tied)} tie: " + "; ".join(clauses) + "."
    return f"Keep {keep}: " + "; ".join(clauses + _disagreement(runs, keep, tolerance)) + "."


def _clause(step: Step, tolerance: float) -> str:
    if step.skipped:
        return f"{step.criterion} not compared ({step.skipped})"
    if len(step.kept) > 1:
        if step.criterion.startswith("curve"):
            return f"as many {step.criterion} ({fmt_compared([step.values[step.kept[0]]])[0]} each)"
        shown = ", ".join(f"{n} {v}" for n, v in zip(step.kept, fmt_compared(step.values[n] for n in step.kept)))
        return f"{step.criterion} ties within {tolerance * 100:g} % ({shown})"
    winner = step.kept[0]
    others = {n: v for n, v in step.values.items() if n != winner}
    lower = step.criterion.startswith(("best val", "curve"))
    runner = (min if lower else max)(others, key=others.get)
    word = "fewer" if step.criterion.startswith("curve") else ("lower" if lower else "higher")
    mine, theirs = fmt_compared([step.values[winner], others[runner]])
    return f"{word} {step.criterion} ({mine} against {theirs} for {runner})"


def _disagreement(runs, keep: str, tolerance: float) -> list[str]:
    """When the val loss decided but another run has the clearly higher quality metric, say so."""
    scored = [r for r in runs if r.best_metric is not None]
    if len(scored) < len(runs) or not scored:
        return []
    top = max(scored, key=lambda r: r.best_metric)
    mine = next(r for r in runs if r.name == keep)
    if top.name == keep or close(top.best_metric, mine.best_metric, tolerance):
        return []
    higher, lower = fmt_compared([top.best_metric, mine.best_metric])
    return [f"note that {top.name} has the higher best quality metric ({higher} against {lower})"]
