"""--summary FILE: a short markdown page for a CI job summary (GitHub Actions' $GITHUB_STEP_SUMMARY,
a merge-request comment): the --fail-on verdict, the class-representation verdict, the curve scenario
with its rule and advice, the top findings, and the settings that differ from the defaults.

Built from the insight.json dict and the gate's outcome per level (insight.gate.outcomes). Every text
that comes from the data (class names, file names, messages) is escaped, so that it reads as written and
cannot open a table cell, a link, HTML or a formula.
"""

from __future__ import annotations

import re

TOP_FINDINGS = 10  # findings listed; the rest are counted
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
SEVERITY_WORDS = {"error": "error", "warning": "warning", "info": "note"}
# Characters with a meaning anywhere in CommonMark or GitHub markdown inline text: escapes, code,
# emphasis, links and images (with [ ] escaped, parentheses are plain text), table cells,
# strikethrough, math. < > & become entities, so no HTML or entity can start.
_MARKUP = re.compile(r"([\\`*_\[\]|~$])")
# ... and at the start of a line: a heading, a list item or a rule (# - +), a numbered list item (1. 1)).
_LINE_START = re.compile(r"^(?:([-+#])|(\d{1,9})([.)])(?= |$))")


def md(text: object) -> str:
    """`text` as markdown inline text that shows exactly `text`, on one line."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKUP.sub(r"\\\1", text)
    return _LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", text)


def summary_markdown(doc: dict, outcomes: list[tuple[str, str | None]], command: str) -> str:
    parts = [_verdict(outcomes, command), _dataset(doc), _curves(doc), _findings(doc), _settings(doc)]
    return "\n\n".join(p for p in parts if p) + "\n"


def _verdict(outcomes: list[tuple[str, str | None]], command: str) -> str:
    fired = [(level, reason) for level, reason in outcomes if reason]
    if not outcomes:
        head = f"## insight {command}: done (no --fail-on levels were set)"
    elif fired:
        head = f"## insight {command}: failed, {len(fired)} of {len(outcomes)} --fail-on levels fired"
    else:
        head = f"## insight {command}: passed, none of {len(outcomes)} --fail-on levels fired"
    rows = [[md(level), md(reason) if reason else "passed"] for level, reason in outcomes]
    return head + ("\n\n" + _table(["--fail-on level", "result"], rows) if rows else "")


def _dataset(doc: dict) -> str:
    dataset, rep = doc.get("dataset"), doc.get("representation")
    if not dataset:
        return ""
    splits = ", ".join(f"{md(name)} {s['images']} images" for name, s in (dataset.get("splits") or {}).items())
    lines = ["### Dataset",
             f"{md(dataset['path'])}: {md(dataset['task'])}, {md(dataset['format'])}, "
             f"{len(dataset.get('classes') or ())} classes ({splits})"]
    if rep:
        lines.append(f"**Class representation:** {md(rep['verdict']['message'])}")
    return "\n\n".join(lines)


def _curves(doc: dict) -> str:
    curves = doc.get("curves")
    if not curves:
        error = doc.get("curves_error")
        return f"### Training curves\n\n{md(error)}" if error else ""
    scenario = f"Curve {curves['scenario']}" if curves.get("scenario") else "No scenario"
    lines = ["### Training curves", f"{md(curves['source'])} ({md(curves['format'])})",
             f"**{md(scenario)}** (judged on {md(curves['judged_on'])}): {md(curves.get('rule') or '')}"]
    if curves.get("advice"):
        lines.append(f"**Advice:** {md(curves['advice'])}")
    return "\n\n".join(lines)


def top_findings(doc: dict) -> list[dict]:
    """Every finding of the dataset and the curves, worst severity first, each in the order the
    report lists it."""
    rep, curves = doc.get("representation") or {}, doc.get("curves") or {}
    found = [*(doc.get("health") or ()), *(rep.get("split_findings") or ()), *(curves.get("findings") or ())]
    return sorted(found, key=lambda f: SEVERITY_ORDER.get(f.get("severity"), len(SEVERITY_ORDER)))


def _findings(doc: dict) -> str:
    found = top_findings(doc)
    if not found:
        return ""
    rows = [[SEVERITY_WORDS.get(f.get("severity"), md(f.get("severity"))), md(f.get("code")), str(f.get("count")),
             md(f.get("message") or "")] for f in found[:TOP_FINDINGS]]
    text = "### Top findings\n\n" + _table(["severity", "finding", "count", "what it says"], rows)
    if len(found) > TOP_FINDINGS:
        text += f"\n\nand {len(found) - TOP_FINDINGS} more in the report"
    return text


def _settings(doc: dict) -> str:
    settings = doc.get("settings") or ()
    if not settings:
        return ""
    rows = [[md(s["name"]), md(_value(s["value"])), md(s["source"])] for s in settings]
    return "### Settings changed from the defaults\n\n" + _table(["setting", "value", "from"], rows)


def _value(value: object) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
