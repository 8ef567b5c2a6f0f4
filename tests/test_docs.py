"""docs/ is the project's documentation: it is checked against the code it describes.

- docs/json.md's key tables are `insight schema --markdown` (the shipped schema), to the character;
- every curve threshold is in docs/curves.md's table with its current default;
- every finding code (templates/findings/*.txt, the advice texts aside) is named in docs/numbers.md or
  docs/curves.md;
- the code points at docs/, never at a design document outside the repository, and every docs/ page it
  names exists.
"""

from __future__ import annotations

import re
from pathlib import Path

from insight.schema import schema, schema_markdown

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
GENERATED = "<!-- generated: insight schema --markdown -->\n"


def test_json_md_holds_the_schema_key_tables():
    text = (DOCS / "json.md").read_text(encoding="utf-8")
    assert GENERATED in text, "docs/json.md lost its generated marker"
    assert text.split(GENERATED, 1)[1] == schema_markdown(), \
        "docs/json.md is out of date: regenerate its key tables with `insight schema --markdown`"


def test_every_schema_object_and_key_is_in_json_md():
    """A second look, independent of schema_markdown: each $defs object has a heading, each key a row."""
    text = (DOCS / "json.md").read_text(encoding="utf-8")
    doc = schema()
    for name, body in doc["$defs"].items():
        if body.get("type") == "object":
            assert f"### {name}\n" in text
            section = text.split(f"### {name}\n", 1)[1].split("\n### ", 1)[0]
            assert set(re.findall(r"^\| `([a-z_0-9]+)` \|", section, re.M)) == set(body["properties"]), name
    top = text.split("### insight.json (top level)\n", 1)[1].split("\n### ", 1)[0]
    assert set(re.findall(r"^\| `([a-z_0-9]+)` \|", top, re.M)) == set(doc["properties"])


def test_every_curve_threshold_is_in_curves_md_with_its_default():
    from dataclasses import fields

    from insight.diagnose.curve_thresholds import CurveThresholds

    rows = dict(re.findall(r"^\| `([a-z_0-9]+)` \| ([^|]+) \|", (DOCS / "curves.md").read_text(encoding="utf-8"),
                           re.M))
    missing = [f.name for f in fields(CurveThresholds) if f.name not in rows]
    assert not missing, f"add these thresholds to docs/curves.md: {missing}"
    wrong = {f.name: rows[f.name].strip() for f in fields(CurveThresholds) if rows[f.name].strip() != f"{f.default:g}"}
    assert not wrong, f"docs/curves.md gives other defaults than CurveThresholds: {wrong}"


def test_every_finding_code_is_documented():
    codes = {p.stem for p in (REPO / "templates" / "findings").glob("*.txt") if not p.stem.startswith("advice_")}
    named = set(re.findall(r"`([a-z_0-9]+)`", (DOCS / "numbers.md").read_text(encoding="utf-8")
                           + (DOCS / "curves.md").read_text(encoding="utf-8")))
    assert codes and not codes - named, f"document these finding codes in docs/: {sorted(codes - named)}"


def test_the_code_points_at_docs_that_exist():
    sources = [p for folder in ("insight", "templates", "tests", "bench") for p in (REPO / folder).rglob("*")
               if p.suffix in (".py", ".html", ".txt", ".md", ".css") and p != Path(__file__)]
    texts = {p: p.read_text(encoding="utf-8", errors="replace") for p in sources}
    assert not [p for p, t in texts.items() if "DESIGN.md" in t], "point at docs/ instead of DESIGN.md"
    named = {m for t in texts.values() for m in re.findall(r"docs/([a-z_]+\.md)", t)}
    assert named and all((DOCS / name).is_file() for name in named), named
