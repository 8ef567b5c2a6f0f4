"""How often the curve diagnosis names the scenario a person read off the plot: `make accuracy`.

A measurement, not a test: it prints the hit rate on the labelled corpus (fixtures/curve_corpus/labels.csv,
paths relative to that folder) and on the real runs of ../shared/realdata whose curves its PROVENANCE
describes (fixtures/curve_corpus/realdata_labels.csv, paths relative to ../shared/realdata), for all
logs, for the `clear` labels only and per framework, then one line per miss with the expected scenario
and insight's answer (the rule that decided it). A log that cannot be read counts as a miss.

    python bench/accuracy.py [--corpus DIR] [--realdata DIR]
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "fixtures" / "curve_corpus"
REALDATA = REPO.parent / "shared" / "realdata"
COLUMNS = ("id", "path", "framework", "expected", "confidence", "reason", "repo", "commit", "licence")


@dataclass(frozen=True)
class Result:
    set_name: str
    id: str
    framework: str
    expected: str
    confidence: str
    got: str  # the scenario letter, "none" (not enough to judge) or "error"
    rule: str  # the deciding rule's code, or the error

    @property
    def hit(self) -> bool:
        return self.got == self.expected


def read_labels(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for number, row in enumerate(rows, start=2):
        missing = [c for c in COLUMNS if c not in row]
        if missing or row["expected"] not in ("A", "B", "C", "D"):
            raise SystemExit(f"{path}:{number}: expected columns {', '.join(COLUMNS)} and expected in A-D")
    return rows


def judge(set_name: str, root: Path, row: dict) -> Result:
    from insight.diagnose.curves import diagnose_run
    from insight.errors import InsightError
    from insight.logs import load_run

    try:
        d = diagnose_run(load_run(root / row["path"]))
        got, rule = d.scenario or "none", d.rule_finding.code if d.rule_finding else ""
    except InsightError as exc:
        got, rule = "error", str(exc)
    return Result(set_name, row["id"], row["framework"], row["expected"], row["confidence"], got, rule)


def rate(results: list[Result]) -> str:
    hits = sum(r.hit for r in results)
    return f"{hits}/{len(results)} ({100 * hits / len(results):.0f} %)" if results else "no logs"


def report(name: str, results: list[Result]) -> list[str]:
    lines = [f"{name}: {rate(results)} right; clear labels only: {rate([r for r in results if r.confidence == 'clear'])}"]
    by_framework = defaultdict(list)
    for r in results:
        by_framework[r.framework].append(r)
    lines += [f"  {fw}: {rate(rs)}" for fw, rs in sorted(by_framework.items())]
    return lines


def misses(results: list[Result]) -> list[str]:
    return [f"  miss {r.set_name}/{r.id} [{r.framework}, {r.confidence}]: expected {r.expected}, insight said "
            f"{r.got} ({r.rule})" for r in results if not r.hit]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder holding labels.csv")
    parser.add_argument("--realdata", type=Path, default=REALDATA, help="the shared realdata folder")
    args = parser.parse_args(argv)
    sets = [("corpus", args.corpus / "labels.csv", args.corpus),
            ("realdata", CORPUS / "realdata_labels.csv", args.realdata)]
    every: list[Result] = []
    for name, labels, root in sets:
        if not labels.is_file() or not root.is_dir():
            print(f"{name}: skipped ({labels if not labels.is_file() else root} not found)")
            continue
        results = [judge(name, root, row) for row in read_labels(labels)]
        every += results
        print("\n".join(report(name, results)))
    if every:
        print("\n".join(report("all", every)))
        print("\n".join(misses(every)) or "  no misses")
    return 0


if __name__ == "__main__":
    sys.exit(main())
