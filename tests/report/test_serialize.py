"""insight.json: the keys DESIGN.md §5 promises, stable formatting, byte-identical reruns."""

from __future__ import annotations

import datetime as dt
import json
import math

from insight.formats import load_dataset
from insight.logs import load_run
from insight.analysis.build import build_insight
from insight.report.serialize import DATASET_KEYS, _float, to_json


def test_float_formatting_is_fixed():
    assert _float(0.1 + 0.2) == 0.3
    assert _float(123 / 297) == 0.414141
    assert _float(2.0) == 2 and isinstance(_float(2.0), int)
    assert _float(math.inf) is None and _float(math.nan) is None


def test_json_keys_follow_the_contract(pets_dir, pets_run):
    insight = build_insight(load_dataset(pets_dir), load_run(pets_run), today=dt.date(2026, 1, 1))
    doc = json.loads(to_json(insight))
    assert list(doc)[:2] == ["schema", "version"] and doc["schema"] == "insight/1"
    assert set(doc["dataset"]) >= {"path", "task", "format", "classes", "splits"}
    assert doc["dataset"]["splits"]["train"] == {"images": 237, "labels": 237}
    assert set(doc["representation"]) >= {"cutoff", "total", "classes"}
    assert set(doc["representation"]["classes"][0]) >= {"name", "count", "share", "tier", "to_add", "by_split"}
    assert set(doc["curves"]) >= {"format", "source", "scenario", "rule", "advice", "findings", "metrics"}
    for f in doc["curves"]["findings"]:
        assert set(f) >= {"code", "epoch", "message"} and f["message"]
    for m in doc["curves"]["metrics"]:
        assert set(m) >= {"name", "split", "best", "best_epoch", "last"}
    for h in doc["health"]:
        assert set(h) >= {"code", "severity", "count", "message", "examples"}
    assert "generated" not in doc and "table" not in doc["curves"]


def test_two_builds_give_identical_bytes(pets_dir, pets_run):
    a = to_json(build_insight(load_dataset(pets_dir), load_run(pets_run), today=dt.date(2026, 1, 1)))
    b = to_json(build_insight(load_dataset(pets_dir), load_run(pets_run), today=dt.date(2026, 1, 2)))
    assert a == b


def test_dataset_part_only(pets_dir):
    doc = json.loads(to_json(build_insight(load_dataset(pets_dir), None), DATASET_KEYS))
    assert "curves" not in doc and doc["representation"]["cutoff"] == 56
