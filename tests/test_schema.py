"""The JSON Schema of insight.json: shipped, printed by `insight schema`, a valid draft 2020-12 schema,
strict about keys it does not describe, and the bins' numeric ranges as the labels say (by hand)."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest

from insight.cli import main
from insight.schema import schema
from tests.conftest import schema_errors


def test_insight_schema_prints_the_shipped_schema(capsys):
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == schema()
    jsonschema.Draft202012Validator.check_schema(printed)
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert printed["properties"]["schema"] == {**printed["properties"]["schema"], "const": "insight/2"}


def test_insight_schema_markdown(capsys):
    assert main(["schema", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### insight.json (top level)\n") and "| `share_pct` | number | yes |" in out


@pytest.fixture(scope="module")
def pets_doc(pets_dir, pets_run):
    from insight.analysis import build_insight
    from insight.formats import load_dataset
    from insight.logs import load_run
    from insight.report.serialize import insight_dict

    return insight_dict(build_insight(load_dataset(pets_dir), load_run(pets_run)))


def test_a_real_document_validates(pets_doc):
    assert schema_errors(json.loads(json.dumps(pets_doc))) == []


@pytest.mark.parametrize("where", [(), ("dataset",), ("representation",), ("representation", "classes", 0),
                                   ("curves",), ("curves", "metrics", 0),
                                   ("representation", "verdict")])
def test_an_undocumented_key_fails(pets_doc, where):
    doc = copy.deepcopy(json.loads(json.dumps(pets_doc)))
    target = doc
    for step in where:
        target = target[step]
    target["undocumented"] = 1
    assert any("undocumented" in e for e in schema_errors(doc))


@pytest.mark.parametrize("change, message", [
    (lambda d: d["representation"]["classes"][0].update(share_pct=120), "120 is greater than the maximum of 100"),
    (lambda d: d.update(generated_at="2026-11-22 12:20"), "does not match"),
    (lambda d: d.update(report_id="XYZ"), "does not match"),
    (lambda d: d["curves"].update(scenario="E"), "is not one of"),
    (lambda d: d.update(schema="insight/1"), "was expected"),
])
def test_wrong_values_fail(pets_doc, change, message):
    doc = copy.deepcopy(json.loads(json.dumps(pets_doc)))
    change(doc)
    assert any(message in e for e in schema_errors(doc)), schema_errors(doc)


def test_bin_ranges_are_the_labels_as_numbers():
    """By hand from the labels: DeepQ's area bins [0, 0.16) ... [40.96, 100]; aspect ratio <0.25 ... >=4;
    boxes per image 0 1 2 3 4 5-9 >=10; mask area 0, (0,5), [5,10) ... [95,100]."""
    from insight.stats.boxes import AREA_RANGES, ASPECT_RANGES, PER_IMAGE_RANGES
    from insight.stats.masks import AREA_RANGES as MASK_RANGES

    def ranges(bins):
        return [(b.lo, b.hi, b.closed) for b in bins]

    assert ranges(AREA_RANGES) == [(0, 0.16, "left"), (0.16, 1.44, "left"), (1.44, 2.56, "left"),
                                   (2.56, 10.24, "left"), (10.24, 40.96, "left"), (40.96, 100, "both")]
    assert ranges(ASPECT_RANGES)[0] == (None, 0.25, "neither") and ranges(ASPECT_RANGES)[-1] == (4.0, None, "left")
    assert ranges(ASPECT_RANGES)[4] == (0.8, 1.25, "left") and len(ASPECT_RANGES) == 9
    assert ranges(PER_IMAGE_RANGES)[4:] == [(4, 4, "both"), (5, 9, "both"), (10, None, "left")]
    assert ranges(MASK_RANGES)[:3] == [(0, 0, "both"), (0, 5, "neither"), (5, 10, "left")]
    assert ranges(MASK_RANGES)[-1] == (95, 100, "both") and len(MASK_RANGES) == 21
