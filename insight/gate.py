"""--fail-on: which findings make the command exit 1 (after every output is written).

Levels, comma-separated: `serious` / `mild` (a class in that tier or worse), `error` / `warning`
(a data-health finding, or a finding about the training curves of any run read, at that severity or
worse: the rule that decided the scenario and the further findings), `leakage` (duplicates across
splits), `drift` (a class's box sizes, shapes, counts, mask areas or image sizes differ between train
and val at warning severity or worse: insight.stats.drift),
`scenario:B,C,D` (the curve diagnosis is one of these, of any run when several are compared; the
letters after `scenario:` run on until the next word), `unjudged` (the curves could not be judged on a validation loss: the log holds
none, or too little of one, so overfitting went unseen).
"""

from __future__ import annotations

from dataclasses import dataclass

from insight.diagnose.duplicates import LEAKAGE_CODES
from insight.errors import UsageError
from insight.model.dataset import order_splits
from insight.model.findings import Finding
from insight.model.insight import CurveDiagnosis, Insight

WORDS = ("serious", "mild", "error", "warning", "leakage", "drift")
RUN_WORDS = ("unjudged",)  # levels that look at the training curves
# Levels that look at the data-health findings and the curves' findings: either is enough to fire.
SEVERITY_WORDS = {"error": ("error",), "warning": ("error", "warning")}
SCENARIOS = ("A", "B", "C", "D")


@dataclass(frozen=True)
class Gate:
    words: frozenset[str] = frozenset()
    scenarios: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.words or self.scenarios)


def parse_fail_on(text: str | None) -> Gate:
    """The levels of `--fail-on TEXT`; None (no --fail-on) is no gate. A given but empty list (an unset
    variable, a stray comma) is a usage error: a gate that silently never fires is worse than none."""
    if text is None:
        return Gate()
    tokens = [t.strip() for t in text.split(",") if t.strip()]
    if not tokens:
        levels = ", ".join(WORDS + RUN_WORDS)
        raise UsageError(f"--fail-on {text!r} names no level; expected one or more of {levels} or scenario:B,C,D, "
                         "comma-separated (is a variable in the script unset?)")
    words, scenarios, in_scenario = set(), set(), False
    for token in tokens:
        if token.lower().startswith("scenario:"):
            token, in_scenario = token.split(":", 1)[1].strip(), True
            if not token:
                raise UsageError("--fail-on: 'scenario:' needs curve letters, e.g. scenario:B,C,D")
            if token.upper() not in SCENARIOS:
                raise UsageError(f"--fail-on: unknown scenario {token!r}; the scenarios are A, B, C and D")
        if in_scenario and token.upper() in SCENARIOS:
            scenarios.add(token.upper())
            continue
        in_scenario = False
        if token.lower() not in WORDS + RUN_WORDS:
            raise UsageError(f"--fail-on: unknown level {token!r}; expected "
                             f"{', '.join(WORDS + RUN_WORDS)} or scenario:B,C,D")
        words.add(token.lower())
    return Gate(frozenset(words), frozenset(scenarios))


def unreachable(gate: Gate, dataset: bool, duplicates: bool, run: bool) -> list[str]:
    """The levels of `gate` that could never fire because the command does not compute what they
    look at (a nightly gate that silently passes is worse than one that refuses to start)."""
    missing = [w for w in WORDS if w in gate.words and not _computed(w, dataset, duplicates, run)]
    if gate.scenarios and not run:
        missing.append("scenario:" + ",".join(sorted(gate.scenarios)))
    missing += [w for w in RUN_WORDS if w in gate.words and not run]
    return missing


def _computed(word: str, dataset: bool, duplicates: bool, run: bool) -> bool:
    """Whether the command computes what the level `word` (of WORDS) looks at."""
    if word in SEVERITY_WORDS:
        return dataset or run
    return dataset and (word != "leakage" or duplicates)


def refuse_unreachable(gate: Gate, hints: dict[str, str], dataset: bool, duplicates: bool, run: bool) -> None:
    """UsageError naming the first level that cannot fire, with the command's hint for it (keyed by
    level word, or "scenario")."""
    missing = unreachable(gate, dataset, duplicates, run)
    if missing:
        level = missing[0]
        hint = hints.get("scenario" if level in RUN_WORDS else level.split(":")[0], "")
        raise UsageError(f"--fail-on {level} can never fire here{': ' + hint if hint else ''}")


def fired(insight: Insight, gate: Gate) -> list[str]:
    """One short reason per level that fired, in the order the levels are listed above."""
    return [reason for _, reason in outcomes(insight, gate) if reason]


def levels(gate: Gate) -> list[str]:
    """The levels of `gate` as a user names them, in the order the levels are listed above."""
    names = [w for w in WORDS if w in gate.words]
    if gate.scenarios:
        names.append("scenario:" + ",".join(sorted(gate.scenarios)))
    return names + [w for w in RUN_WORDS if w in gate.words]


def outcomes(insight: Insight, gate: Gate) -> list[tuple[str, str | None]]:
    """Each level of `gate` with the short reason it fired, or None where it did not."""
    checks = {"serious": _tier_reason, "mild": _tier_reason, "error": _severity_reason,
              "warning": _severity_reason, "leakage": _leakage_reason, "drift": _drift_reason,
              "unjudged": _unjudged_reason}
    return [(level, _scenario_reason(insight, gate) if level.startswith("scenario:")
             else checks[level](insight, level)) for level in levels(gate)]


def _scenario_reason(insight: Insight, gate: Gate) -> str | None:
    """With several runs compared, any run whose curves read as a gated scenario fires, named."""
    if insight.runs is not None:
        hit = [f"{r.name} is Curve {r.scenario}" for r in insight.runs.runs if r.scenario in gate.scenarios]
        return f"scenario: {'; '.join(hit)}" if hit else None
    curves = insight.curves
    hit = curves is not None and curves.scenario in gate.scenarios
    return f"scenario: the training curves are Curve {curves.scenario}" if hit else None


def _tier_reason(insight: Insight, word: str) -> str | None:
    hit_tiers, words = {"serious": (("serious",), "seriously under-represented"),
                        "mild": (("serious", "mild"), "under-represented")}[word]
    rep = insight.representation
    hit = [c.name for c in rep.classes if c.tier in hit_tiers] if rep else []
    return f"{word}: {len(hit)} class(es) {words} ({', '.join(hit[:5])})" if hit else None


def _severity_reason(insight: Insight, word: str) -> str | None:
    """The data-health findings and the curve findings (of every run read) at the level's severities."""
    severities = SEVERITY_WORDS[word]
    health = [f.code for f in insight.health if f.severity.value in severities]
    curves = [(name, [f.code for f in curve_findings(d) if f.severity.value in severities])
              for name, d in _diagnoses(insight)]
    curves = [(name, codes) for name, codes in curves if codes]
    parts = []
    if health:
        parts.append(f"{_counted(len(health), 'data-health finding')} ({', '.join(health[:5])})")
    if curves:
        named = "; ".join(f"{name}: {', '.join(codes[:5])}" if name else ", ".join(codes[:5])
                          for name, codes in curves)
        parts.append(f"{_counted(sum(len(codes) for _, codes in curves), 'curve finding')} ({named})")
    return f"{word}: {'; '.join(parts)}" if parts else None


def curve_findings(curves: CurveDiagnosis) -> tuple[Finding, ...]:
    """Every finding about one run: the one that decided the scenario (rule_finding; when no scenario was
    decided it is among `findings` too, and counted once), then the further findings."""
    rule = (curves.rule_finding,) if curves.rule_finding is not None else ()
    return rule + curves.further_findings


def _diagnoses(insight: Insight) -> list[tuple[str | None, CurveDiagnosis]]:
    """The curve diagnoses the levels look at, each with its run's name: every run when several were
    compared (named), else the one run read (unnamed); none without a run."""
    runs = insight.runs
    if runs is not None and runs.diagnoses:
        return [(r.name, d) for r, d in zip(runs.runs, runs.diagnoses)]
    return [(None, insight.curves)] if insight.curves is not None else []


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _leakage_reason(insight: Insight, _word: str) -> str | None:
    hit = [f for f in insight.health if f.code in LEAKAGE_CODES]
    if not hit:
        return None
    splits = order_splits({s for f in hit for s in f.values.get("by_split", {})}) or ["held-out"]
    return f"leakage: {sum(f.count for f in hit)} image(s) in {'/'.join(splits)} are copies of training images"


def _drift_reason(insight: Insight, _word: str) -> str | None:
    drift = insight.split_drift
    hit = [t for t in drift.differing if t.severity in ("warning", "error")] if drift else []
    if not hit:
        return None
    worst = hit[0]
    return (f"drift: {len(hit)} class/property comparison(s) differ between {drift.reference} and {drift.other} "
            f"(worst: {worst.class_name or 'all classes'} {worst.property}, {worst.effect_measure} {worst.effect:.2f})")


def _unjudged_reason(insight: Insight, _word: str) -> str | None:
    why = unjudged(insight.curves) if insight.curves else None
    return f"unjudged: {why}" if why else None


def unjudged(curves) -> str | None:
    """Why the scenario was not decided with a validation loss in view, None when it was."""
    if "val" not in curves.judged_on.split("+"):
        return "the log holds no validation loss, so the curves were judged on the training loss only " \
               "(overfitting cannot be seen)"
    if curves.scenario is None:
        if curves.rule_finding is not None and curves.rule_finding.code == "degenerate_run":
            return "the run learned nothing (every validation quality metric is 0 throughout), so its curves " \
                   "cannot be judged"
        return "the curves are too short to judge"
    return None
