"""--history DIR (insight/diagnose/history.py, insight/history_files.py): trends night by night from
insight.json documents written by hand here, with the changes worked out by hand; unreadable and foreign
files in the folder become notes; end to end through the report command."""

from __future__ import annotations

import json

import pytest

from insight.cli import main
from insight.diagnose.history import THIS_REPORT, trends
from insight.history_files import read_history
from insight.model.insight import SCHEMA
from insight.report.sections.answer import trend_line


def _doc(counts: dict[str, tuple[int, int]], tiers: dict[str, str], health=(), scenario="A") -> dict:
    """An insight.json of two splits; counts: class -> (train, val)."""
    total = sum(a + b for a, b in counts.values())
    classes = [{"name": n, "count": a + b, "share_pct": 100 * (a + b) / total, "tier": tiers[n], "to_add": 0,
                "by_split": {"train": a, "val": b}} for n, (a, b) in counts.items()]
    return {"schema": SCHEMA, "version": "0",
            "dataset": {"path": "d", "task": "detection", "format": "yolo", "classes": list(counts),
                        "splits": {"train": {"images": 1, "labels": sum(a for a, _ in counts.values())},
                                   "val": {"images": 1, "labels": sum(b for _, b in counts.values())}}},
            "representation": {"cutoff": 1, "total": total, "classes": classes},
            "health": [{"code": c, "severity": s, "count": n, "message": ""} for c, s, n in health],
            "curves": {"scenario": scenario} if scenario else None}


def test_trends_by_hand():
    night1 = _doc({"car": (10, 2), "bus": (3, 1)}, {"car": "well", "bus": "mild"})
    night2 = _doc({"car": (10, 2), "bus": (3, 1)}, {"car": "well", "bus": "mild"})  # the same: no change
    night3 = _doc({"car": (10, 2), "bus": (8, 2)}, {"car": "well", "bus": "well"},
                  health=(("image_missing", "error", 2),), scenario="C")
    history = trends("h", [("n1", "h/n1.json", night1), ("n2", "h/n2.json", night2)], night3)
    labels = [n.label for n in history.nights]
    assert labels == ["n1", "n2", THIS_REPORT]
    assert [n.changed for n in history.nights] == [False, False, True]
    last = history.nights[-1]
    # bus: 4 -> 10 labels, mild -> well; total 16 -> 22, so car's share falls from 12/16 = 75 % to
    # 12/22 = 54.5 % (a move of 1 point or more); a new error finding; scenario A -> C, named as
    # everywhere else in the report ("Curve C"; it read "curves A → C")
    assert last.changes == ("labels 16 → 22", "tiers: bus mild → well", "count or share moved: car",
                            "new finding image_missing (2)", "Curve A → Curve C")
    assert (last.labels, last.labels_by_split, last.tiers) == (22, {"train": 18, "val": 4},
                                                              {"well": 2, "mild": 0, "serious": 0})
    assert (last.errors, last.warnings, last.classes["bus"]) == (1, 0, {"train": 8, "val": 2})
    assert history.changed_nights == 1
    # page 1's line says what changed since the night before
    assert trend_line(history) == ("since n2: labels 16 → 22; tiers: bus mild → well; count or share moved: car; "
                                   "new finding image_missing (2); Curve A → Curve C.")
    assert trend_line(trends("h", [("n1", "", night1)], night2)) is None  # nothing changed: no line
    # a night without a curve diagnosis, as the 'since last report' section says it
    no_log = _doc({"car": (10, 2), "bus": (3, 1)}, {"car": "well", "bus": "mild"}, scenario=None)
    assert trends("h", [("n1", "", night1)], no_log).nights[-1].changes == ("Curve A → no diagnosis",)
    assert trends("h", [("n1", "", no_log)], night1).nights[-1].changes == ("no diagnosis → Curve A",)


@pytest.mark.not_insight_json  # the documents written here hold only the keys the trends read
def test_the_folder_is_read_in_name_order_and_bad_files_are_notes(tmp_path):
    doc = _doc({"car": (10, 2)}, {"car": "well"})
    (tmp_path / "night-10").mkdir()
    (tmp_path / "night-10" / "insight.json").write_text(json.dumps(doc))
    (tmp_path / "night-2.json").write_text(json.dumps(doc))
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "other.json").write_text(json.dumps({"a": 1}))
    (tmp_path / "old.json").write_text(json.dumps({**doc, "schema": "insight/0"}))
    (tmp_path / "notes.txt").write_text("not a report")
    nights, notes = read_history(tmp_path)
    assert [label for label, _, _ in nights] == ["night-2", "night-10"]  # 2 before 10: numbers, not text
    assert len(notes) == 3 and all("left out of the trends" in n for n in notes)
    assert any("broken.json" in n and "JSON" in n for n in notes)
    assert any("other.json" in n and "no 'schema' key" in n for n in notes)
    assert any("old.json" in n and "insight/0" in n for n in notes)


def test_an_empty_folder_is_a_note(tmp_path):
    nights, notes = read_history(tmp_path)
    assert nights == [] and "no earlier insight.json files" in notes[0]


def test_report_with_history(tmp_path, pets_dir, capsys):
    first = tmp_path / "nights" / "2026-12-01"
    assert main(["report", str(pets_dir), "--out", str(first), "--no-duplicates", "--quiet", "--workers", "1"]) == 0
    doc = json.loads((first / "insight.json").read_text())
    doc["representation"]["total"] += 5  # the night before had 5 labels more
    (tmp_path / "nights" / "2026-11-30.json").write_text(json.dumps(doc))
    (tmp_path / "nights" / "junk.json").write_text("[1, 2")
    out = tmp_path / "now"
    assert main(["report", str(pets_dir), "--out", str(out), "--no-duplicates", "--quiet", "--workers", "1",
                 "--history", str(tmp_path / "nights")]) == 0
    history = json.loads((out / "insight.json").read_text())["history"]
    assert [n["label"] for n in history["nights"]] == ["2026-11-30", "2026-12-01", THIS_REPORT]
    assert [n["changed"] for n in history["nights"]] == [False, True, False]
    total = history["nights"][-1]["labels"]
    assert history["nights"][1]["changes"][0] == f"labels {total + 5:,} → {total:,}"
    assert "junk.json" in history["notes"][0]
    html = (out / "report.html").read_text()
    assert '<section id="history"' in html and "Trends:</strong>" not in html  # nothing changed last night
    assert "history" not in json.loads((first / "insight.json").read_text())
    assert main(["report", str(pets_dir), "--out", str(tmp_path / "x"), "--history", str(tmp_path / "none")]) == 2
    assert "--history needs a folder" in capsys.readouterr().err
