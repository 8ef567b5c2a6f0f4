"""Plain-text summaries for the terminal (`insight scan`, `insight curves` without --json)."""

from __future__ import annotations

from insight.model.insight import Insight
from insight.formatting import fmt_epoch, fmt_int, fmt_num, fmt_pct, plural

TIER_WORDS = {"well": "well represented", "mild": "mildly under-represented",
              "serious": "seriously under-represented"}


def dataset_text(insight: Insight) -> str:
    ds, rep = insight.dataset, insight.representation
    background = f" besides the background ({', '.join(ds.background)})" if ds.background else ""
    lines = [f"{ds.path}: {ds.task}, format {ds.format}, {plural(len(ds.represented), 'class', 'classes')}{background}"]
    lines += [f"  {name}: {fmt_int(s.images)} images, {fmt_int(s.labels)} labels" for name, s in ds.splits.items()]
    lines += [f"  note: {n}" for n in ds.notes]
    lines.append("")
    lines.append(f"Cutoff threshold: {fmt_int(rep.cutoff)} {rep.count_of} per class "
                 f"(total {fmt_int(rep.total)}, factor {rep.cutoff_factor:g})")
    width = max([len(c.name) for c in rep.classes] + [5])
    lines.append(f"  {'class':<{width}}  {'count':>8}  {'share':>8}  {'add':>6}  tier")
    for c in rep.classes:
        lines.append(f"  {c.name:<{width}}  {fmt_int(c.count):>8}  {fmt_pct(c.share):>8}  "
                     f"{fmt_int(c.to_add):>6}  {TIER_WORDS[c.tier]}")
    lines += ["", rep.verdict.message]
    lines += [f.message for f in rep.split_findings]
    if insight.health:
        lines += ["", "Data health:"]
        lines += [f"  [{f.severity.value}] {f.message}" for f in insight.health]
    lines += drift_lines(insight.split_drift)
    return "\n".join(lines) + "\n"


def drift_lines(drift) -> list[str]:
    """Split drift in a few lines: the finding, or that nothing differs, and how many had too few values."""
    if drift is None:
        return []
    judged = sum(t.verdict != "too few to judge" for t in drift.tests)
    lines = ["", f"{drift.reference.capitalize()} vs {drift.other} (split drift, {judged} comparisons judged, "
                 f"{drift.too_few} with too few values):"]
    if drift.finding is None:
        return lines + ["  no class or property differs"]
    return lines + [f"  [{drift.finding.severity.value}] {drift.finding.message}"]


def runs_text(runs) -> list[str]:
    """Several runs compared: one line per run, the verdict, then which run the detail below is."""
    if runs is None:
        return []
    width = max(len(r.name) for r in runs.runs)
    metric = runs.metric or "quality metric"
    lines = [f"{len(runs.runs)} runs compared (best val loss, best {metric}, curve findings):"]
    for r in runs.runs:
        scenario = f"Curve {r.scenario}" if r.scenario else "not judged"
        lines.append(f"  {r.name:<{width}}  {scenario:<10}  val loss best {fmt_num(r.best_val_loss)}, last "
                     f"{fmt_num(r.last_val_loss)}; {metric} best {fmt_num(r.best_metric)}, last "
                     f"{fmt_num(r.last_metric)}; {fmt_int(r.findings)} finding(s)")
    lines += [f"  note: {n}" for n in runs.notes]
    shown = runs.runs[runs.kept_index].name
    return lines + ["", runs.verdict, "", f"Below: {shown}" + (" (the run to keep)." if runs.keep else
                                                               " (the first of the tied runs)."), ""]


def curves_text(insight: Insight) -> str:
    c = insight.curves
    lines = runs_text(insight.runs) + [f"{c.source}: {c.format}, x axis {c.x_axis}"]
    lines += [f"  note: {n}" for n in c.notes]
    scenario = f"Curve {c.scenario}" if c.scenario else "No scenario"
    lines += ["", f"{scenario}: {c.rule}"]
    if c.advice:
        lines.append(f"Advice: {c.advice}")
    findings = c.further_findings  # the rule is printed once, above
    if findings:
        lines += ["", "Findings:"]
        lines += [f"  [{f.severity.value}] {f.message}" for f in findings]
    if c.metrics:
        lines += ["", "Metrics (best at epoch, last):"]
        for m in c.metrics:
            lines.append(f"  {m.split}/{c.shown_name(m.name)}: best {fmt_num(m.best)} at {fmt_epoch(m.best_epoch)}, "
                         f"last {fmt_num(m.last)}")
    return "\n".join(lines) + "\n"
