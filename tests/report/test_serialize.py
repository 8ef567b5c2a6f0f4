"""insight.json: the keys docs/json.md promises, stable formatting, byte-identical reruns, the report id."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math

from insight.config import Config
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
    assert list(doc)[:4] == ["schema", "insight_version", "generated_at", "report_id"]
    assert doc["schema"] == "insight/2"
    assert set(doc["dataset"]) >= {"path", "task", "format", "classes", "splits"}
    assert doc["dataset"]["splits"]["train"] == {"images": 237, "labels": 237}
    assert set(doc["representation"]) >= {"cutoff", "total", "classes"}
    assert set(doc["representation"]["classes"][0]) >= {"name", "count", "share_pct", "tier", "to_add", "by_split"}
    dog = next(c for c in doc["representation"]["classes"] if c["name"] == "dog")
    assert dog["share_pct"] == 41.4141  # by hand: 100 * 123 / 297 = 41.41414..., 6 significant digits
    assert set(doc["curves"]) >= {"format", "source", "scenario", "rule", "advice", "findings", "metrics"}
    for f in doc["curves"]["findings"]:
        assert set(f) >= {"code", "epoch", "message"} and f["message"]
    for m in doc["curves"]["metrics"]:
        assert set(m) >= {"name", "split", "best", "best_epoch", "last"}
    for h in doc["health"]:
        assert set(h) >= {"code", "severity", "count", "message", "examples"}
    assert "generated" not in doc and "table" not in doc["curves"]


NOON = dt.datetime(2026, 1, 1, 12, 0, 5, tzinfo=dt.timezone.utc)


def test_two_builds_at_one_time_give_identical_bytes(pets_dir, pets_run):
    a = to_json(build_insight(load_dataset(pets_dir), load_run(pets_run), now=NOON))
    b = to_json(build_insight(load_dataset(pets_dir), load_run(pets_run), now=NOON))
    assert a == b and json.loads(a)["generated_at"] == "2026-01-01T12:00:05Z"


def test_builds_a_day_apart_differ_only_in_generated_at(pets_dir, pets_run):
    a = json.loads(to_json(build_insight(load_dataset(pets_dir), load_run(pets_run), now=NOON)))
    b = json.loads(to_json(build_insight(load_dataset(pets_dir), load_run(pets_run),
                                         now=NOON + dt.timedelta(days=1, hours=3))))
    assert b["generated_at"] == "2026-01-02T15:00:05Z"
    assert {k: v for k, v in a.items() if k != "generated_at"} == {k: v for k, v in b.items() if k != "generated_at"}


def test_report_id_is_a_hash_of_the_rest(pets_dir):
    """The definition (docs/json.md), recomputed here with hashlib on the parsed document: SHA-256 of
    compact JSON with sorted keys, without generated_at and report_id; 16 hex digits."""
    doc = json.loads(to_json(build_insight(load_dataset(pets_dir), None, now=NOON)))
    rest = {k: v for k, v in doc.items() if k not in ("generated_at", "report_id")}
    text = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert doc["report_id"] == hashlib.sha256(text.encode()).hexdigest()[:16]
    other = json.loads(to_json(build_insight(load_dataset(pets_dir), None, Config(cutoff_factor=0.6), now=NOON)))
    assert other["report_id"] != doc["report_id"]  # another setting, other numbers: another id


def test_dataset_part_only(pets_dir):
    doc = json.loads(to_json(build_insight(load_dataset(pets_dir), None), DATASET_KEYS))
    assert "curves" not in doc and doc["representation"]["cutoff"] == 56
