"""The JSON Schema of insight.json (draft 2020-12), shipped as insight/insight.schema.json.

`insight schema` prints it. The schema is the one description of insight.json's keys and units;
docs/json.md is checked against it (tests/test_schema.py), and every insight.json the tests write is
validated against it (tests/conftest.py). Adding a key: add it to the schema's top-level
`properties` (or the `$defs` entry it belongs to) with a description that says its unit, then to
docs/json.md.
"""

from __future__ import annotations

import json
from importlib.resources import files

SCHEMA_FILE = "insight.schema.json"


def schema_text() -> str:
    """The schema as shipped (UTF-8 JSON text)."""
    return files("insight").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def schema() -> dict:
    return json.loads(schema_text())


def schema_markdown(doc: dict | None = None) -> str:
    """The schema as markdown tables, one per object (the top level, then each $defs entry): key,
    type, required, description. docs/json.md holds this text (tests/test_docs.py checks it)."""
    doc = doc or schema()
    parts = [_table("insight.json (top level)", doc)]
    parts += [_table(name, body) for name, body in doc["$defs"].items() if body.get("type") == "object"]
    return "\n".join(parts)


def _table(name: str, obj: dict) -> str:
    lines = [f"### {name}", ""]
    if obj.get("description") and name != "insight.json (top level)":
        lines += [obj["description"], ""]
    lines += ["| key | type | required | meaning |", "|---|---|---|---|"]
    required = set(obj.get("required", ()))
    for key, prop in obj["properties"].items():
        lines.append(f"| `{key}` | {_type(prop)} | {'yes' if key in required else 'no'} | "
                     f"{_cell(prop.get('description', ''))} |")
    return "\n".join(lines) + "\n"


def _type(prop: dict) -> str:
    """A short type: string, number, integer, [X], {KEY: X}, one of "a", "b", X or null."""
    if "$ref" in prop:
        return f"[{prop['$ref'].rsplit('/', 1)[1]}](#{prop['$ref'].rsplit('/', 1)[1].replace('_', '-')})"
    if "const" in prop:
        return f'"{prop["const"]}"'
    if "enum" in prop:
        return " \\| ".join("null" if v is None else f'"{v}"' for v in prop["enum"])
    if "anyOf" in prop:
        return " or ".join(_type(p) for p in prop["anyOf"])
    kind = prop.get("type")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array":
        return f"[{_type(prop.get('items', {}))}]"
    if kind == "object" and isinstance(prop.get("additionalProperties"), dict):
        return f"{{KEY: {_type(prop['additionalProperties'])}}}"
    return kind or "any"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
