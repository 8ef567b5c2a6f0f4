"""Every bad input gives exit 2 with a one-line message naming the file (and line or record), or a
data-health finding while the rest is produced: never a traceback, a hang or silently dropped data.
The corpus is written by tests/robustness/corpus.py."""

from __future__ import annotations

import json

import pytest

from insight.cli import main
from tests.robustness.corpus import CASES, MALICIOUS_NAMES

CASE_BY_NAME = {c.name: c for c in CASES}

# name -> (exit code, text the one-line error must contain) for refusals
REFUSED = {
    "coco_truncated_json": ("instances_train.json", "truncated"),
    "coco_non_utf8": ("instances_train.json", "UTF-8"),
    "coco_missing_images_key": ("instances_train.json", "images"),
    "coco_empty_file": ("instances_train.json", "empty"),
    "voc_entity_expansion": ("a.xml", "entit"),
    "voc_truncated_xml": ("a.xml", "line"),
    "empty_folder": ("empty_folder", "unknown dataset layout"),
    "csv_empty_file": ("results.csv", "empty"),
    "jsonl_bad_line": ("metrics.jsonl:2", "JSON"),
    "log_empty_folder": ("log_empty_folder", "no training log found"),
}

# name -> {finding code: an example it must list (or None)} for inputs read with findings
FINDINGS = {
    "coco_negative_sizes": {"image_size_invalid": "a.jpg", "box_zero_size": None},
    "yolo_four_values": {"bad_label_line": "a.txt:1"},
    "yolo_seven_values": {"polygon_lines_skipped": "a.txt:1"},
    "yolo_letters": {"bad_label_line": "a.txt:1"},
    "yolo_nan": {"bad_label_line": "a.txt:1"},
    "yolo_class_minus_one": {"class_id_out_of_range": "a.txt:1"},
    "yolo_class_past_last": {"class_id_out_of_range": "a.txt:1"},
    "yolo_empty_label_file": {"images_without_labels": None},
    "symlink_loop": {"ignored_symlink_loop": "loop"},
    "truncated_png": {"duplicates_unreadable": "a/cut.png"},
    "decompression_bomb": {"image_too_large": "a/bomb.png"},
}

# name -> what the curves part must say for logs that are read
CURVES = {
    "csv_with_bom": lambda c: c["scenario"] is not None,
    "csv_blank_lines": lambda c: [f["code"] for f in c["findings"]] == ["insufficient_data"],
    "csv_one_row": lambda c: [f["code"] for f in c["findings"]] == ["insufficient_data"],
    "csv_duplicate_columns": lambda c: any("duplicate" in n for n in c["notes"]),
    "tensorboard_cut_in_half": lambda c: any("truncated" in n or "cut" in n for n in c["notes"]),
}


def _run(case, tmp_path, capsys, *extra):
    path = case.build(tmp_path / case.name)
    # a scan reads image headers only; --duplicates decodes every image, which finds truncated files
    duplicates = ["--duplicates"] if case.command == "scan" else []
    code = main([case.command, str(path), "--json", "-q", *duplicates, *extra])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err, err
    return code, out, err


def test_every_case_has_an_expectation():
    expected = set(REFUSED) | set(FINDINGS) | set(CURVES) | {"coco_string_ids", "odd_file_names",
                                                             "mask_one_pixel_wide", "malicious_class_names"}
    assert set(CASE_BY_NAME) == expected


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_in_one_line(name, tmp_path, capsys):
    code, out, err = _run(CASE_BY_NAME[name], tmp_path, capsys)
    where, what = REFUSED[name]
    assert code == 2 and out == ""
    assert err.startswith("insight: error: ") and err.count("\n") == 1
    assert where in err and what.lower() in err.lower(), err


@pytest.mark.parametrize("name", sorted(FINDINGS))
def test_read_with_a_health_finding(name, tmp_path, capsys):
    code, out, err = _run(CASE_BY_NAME[name], tmp_path, capsys)
    assert code == 0, err
    health = {h["code"]: h for h in json.loads(out)["health"]}
    for code_, example in FINDINGS[name].items():
        assert code_ in health, (name, sorted(health))
        if example:
            assert any(example in e for e in health[code_]["examples"]), health[code_]["examples"]


@pytest.mark.parametrize("name", sorted(CURVES))
def test_logs_read_with_notes(name, tmp_path, capsys):
    code, out, err = _run(CASE_BY_NAME[name], tmp_path, capsys)
    assert code == 0, err
    assert CURVES[name](json.loads(out)["curves"]), json.loads(out)["curves"]


def test_string_ids_and_odd_names_are_read(tmp_path, capsys):
    code, out, _ = _run(CASE_BY_NAME["coco_string_ids"], tmp_path, capsys)
    assert code == 0 and json.loads(out)["dataset"]["splits"]["train"]["labels"] == 1
    code, out, _ = _run(CASE_BY_NAME["odd_file_names"], tmp_path, capsys)
    assert code == 0 and json.loads(out)["dataset"]["splits"]["train"]["images"] == 2


def test_one_pixel_wide_mask(tmp_path, capsys):
    code, out, _ = _run(CASE_BY_NAME["mask_one_pixel_wide"], tmp_path, capsys)
    assert code == 0 and json.loads(out)["dataset"]["task"] == "segmentation"


def test_hostile_class_names_are_escaped_and_nothing_leaves_out(tmp_path, capsys):
    case = CASE_BY_NAME["malicious_class_names"]
    data = case.build(tmp_path / "data")
    out_dir = tmp_path / "out"
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    code = main(["report", str(data), "--out", str(out_dir), "-q"])
    assert code == 0, capsys.readouterr().err
    html = (out_dir / "report.html").read_text()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html
    assert "{{ 7*7 }}" in html  # shown as text, never evaluated
    assert '<img src="file:///etc/hostname">' not in html and '<img src="http://example.com' not in html
    assert json.loads((out_dir / "insight.json").read_text())["dataset"]["classes"] == MALICIOUS_NAMES
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert {p.parts[0] for p in set(after) - set(before)} == {"out"}
