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
