"""Every bad input gives exit 2 with a one-line message naming the file (and line or record), or a
data-health finding while the rest is produced: never a traceback, a hang or silently dropped data.
The corpus is written by tests/robustness/corpus.py.

Each case is built in a folder named `case`, so an expected word can never be found in the case's own
name inside the path; a refusal is matched from the start of the line (the path, then the reason).
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess

import pytest

from insight.cli import main
from insight.report import pdf as pdf_module
from tests.robustness.corpus import CASES, LONG_NAME, MALICIOUS_NAMES

CASE_BY_NAME = {c.name: c for c in CASES}

# name -> (where, relative to the case folder, and the reason that follows it) for refusals
REFUSED = {
    "csv_empty_file": ("/results.csv", "the file is empty (expected a training log"),
    "coco_truncated_json": ("/annotations/instances_train.json", "Input data was truncated"),
    "coco_non_utf8": ("/annotations/instances_train.json:1", "not UTF-8 text (byte 119); JSON must be UTF-8"),
    "coco_no_instances": ("/annotations/instances_train.json",
                          "no categories and no annotations (an image-info file, not instances)"),
    "coco_missing_image_id": ("/annotations/instances_train.json",
                              "not a COCO instances file: Object missing required field `image_id` - at "
                              "`$.annotations[0]`"),
    "coco_empty_file": ("/annotations/instances_train.json", "the file is empty (expected a COCO JSON object)"),
    "voc_entity_expansion": ("/Annotations/a.xml:1", "DOCTYPE or entity declaration refused"),
    "voc_external_entity": ("/Annotations/a.xml:1", "DOCTYPE or entity declaration refused"),
    "voc_truncated_xml": ("/Annotations/a.xml:1", "XML does not parse: unclosed token"),
    "empty_folder": ("", "unknown dataset layout (tried class-folders: no class folders"),
    "jsonl_bad_line": ("/metrics.jsonl:2", "not a JSON object (Unterminated string"),
    "log_empty_folder": ("", "no training log found in this folder"),
}

# Refusals whose message misleads today; the loaders are not ours to change (see the reasons).
KNOWN_BAD_MESSAGES = {
}

# name -> {finding code: (an example it must list, or None; words its message must hold)}
FINDINGS = {
    "voc_empty_xml": {"annotation_unreadable": ("Annotations/a.xml:1 (the file is empty)", "could not be parsed")},
    "coco_negative_sizes": {"image_size_invalid": ("annotations/a.jpg", "width or height of zero or less"),
                            "box_zero_size": ("annotations/a.jpg", "1 box has a width or height of zero or less")},
    "coco_missing_images_key": {"annotation_without_image": ("instances_train.json: annotation 1",
                                                             "refers to an image_id that images[] does not list")},
    "yolo_four_values": {"bad_label_line": ("labels/train/a.txt:1 (4 values)", "1 label line is not five numbers")},
    # a polygon line among boxes is read as a box (its extent); one that cannot be measured is a finding
    "yolo_seven_values": {"segmentation_invalid": ("labels/train/a.txt:1", "NaN or inf value")},
    "yolo_letters": {"bad_label_line": ("labels/train/a.txt:2 (not a number)", "2 label lines are not five")},
    "yolo_nan": {"bad_label_line": ("labels/train/a.txt:1 (NaN or inf value)", "1 label line is not five")},
    "yolo_class_minus_one": {"class_id_out_of_range": ("labels/train/a.txt:1", "(ids 0 to 1): -1")},
    "yolo_class_past_last": {"class_id_out_of_range": ("labels/train/a.txt:1", "(ids 0 to 1): 7")},
    "yolo_empty_label_file": {"images_without_labels": ("images/train/a.png", "1 image of 1 has no box")},
    "yolo_polygon_nan_class": {"segmentation_invalid": ("labels/train/a.txt:1", "NaN or inf value")},
    "empty_class_folder": {"class_never_used": (None, "1 declared class of 2 has no label at all: cat")},
    "symlink_loop": {"ignored_symlink_loop": ("loop", "points to a folder that contains it")},
    "truncated_png": {"duplicates_unreadable": ("a/cut.png", "1 could not be decoded")},
    "empty_png": {"unreadable_image": ("a/zero.png", "could not be decoded as an image")},
    "decompression_bomb": {"image_too_large": ("a/bomb.png", "larger than the decompression-bomb limit")},
    "odd_file_names": {"duplicate_within_split": (f"a/{LONG_NAME}.png = a/caf\ufffd-latin1.png",
                                                  "1 image is a byte-for-byte copy")},
}

# name -> the curves part's metrics [(name, split, best, best_epoch, last)], and a word the notes hold
CURVES = {
    # the BOM is not part of the first column's name: `epoch` is found, and every row is read
    "csv_with_bom": ([("loss", "train", 0.4, 5, 0.4), ("loss", "val", 0.68, 5, 0.68)], None),
    # blank lines are skipped, not read as rows of NaN, and no row is dropped
    "csv_blank_lines": ([("loss", "train", 0.8, 1, 0.8), ("loss", "val", 0.9, 1, 0.9)], None),
    "csv_one_row": ([("loss", "train", 1, 0, 1), ("loss", "val", 1.1, 0, 1.1)], None),
    # the first of the two `loss` columns is read, and the notes say so
    "csv_duplicate_columns": ([("loss", "train", 0.9, 1, 0.9), ("loss", "val", 1, 0, 1)],
                              "duplicate column names ('loss' x2)"),
}


def _run(case, tmp_path, capsys, *extra):
    path = case.build(tmp_path / "case")
    # a scan reads image headers only; --duplicates decodes every image, which finds truncated files
    duplicates = ["--duplicates"] if case.command == "scan" else []
    code = main([case.command, str(path), "--json", "-q", *duplicates, *extra])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err, err
    return code, out, err


def test_every_case_has_an_expectation():
    expected = (set(REFUSED) | set(KNOWN_BAD_MESSAGES) | set(FINDINGS) | set(CURVES)
                | {"coco_string_ids", "mask_one_pixel_wide", "malicious_class_names", "tensorboard_cut_in_half"})
    assert set(CASE_BY_NAME) == expected


def _assert_refused(name, tmp_path, capsys, where, what):
    code, out, err = _run(CASE_BY_NAME[name], tmp_path, capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1, err
    assert err.startswith(f"insight: error: {tmp_path / 'case'}{where}: {what}"), err


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_in_one_line(name, tmp_path, capsys):
    _assert_refused(name, tmp_path, capsys, *REFUSED[name])


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(reason=r, strict=True))
                                  for n, (_, r) in sorted(KNOWN_BAD_MESSAGES.items())])
def test_refused_with_a_message_that_says_what_is_wrong(name, tmp_path, capsys):
    _assert_refused(name, tmp_path, capsys, *KNOWN_BAD_MESSAGES[name][0])


@pytest.mark.parametrize("name", sorted(FINDINGS))
def test_read_with_a_health_finding(name, tmp_path, capsys):
    code, out, err = _run(CASE_BY_NAME[name], tmp_path, capsys)
    assert code == 0, err
    health = {h["code"]: h for h in json.loads(out)["health"]}
    for code_, (example, words) in FINDINGS[name].items():
        assert code_ in health, (name, sorted(health))
        assert words in health[code_]["message"], health[code_]["message"]
        if example:
            assert any(example in e for e in health[code_]["examples"]), health[code_]["examples"]


@pytest.mark.parametrize("name", sorted(CURVES))
def test_logs_read_with_every_row(name, tmp_path, capsys):
    code, out, err = _run(CASE_BY_NAME[name], tmp_path, capsys)
    assert code == 0, err
    curves = json.loads(out)["curves"]
    metrics, note = CURVES[name]
    assert curves["x_axis"] == "epoch"
    assert [(m["name"], m["split"], m["best"], m["best_epoch"], m["last"]) for m in curves["metrics"]] == metrics
    if note:
        assert any(note in n for n in curves["notes"]), curves["notes"]


def test_tensorboard_file_cut_in_half_keeps_the_values_before_the_cut(tmp_path, capsys):
    """50 steps of train/loss = val/loss = 1 / (step + 1) were written by TensorBoard's own writer, then
    the file was cut in half: about 25 steps survive, each with the value it was written with."""
    code, out, err = _run(CASE_BY_NAME["tensorboard_cut_in_half"], tmp_path, capsys)
    assert code == 0, err
    curves = json.loads(out)["curves"]
    train = next(m for m in curves["metrics"] if (m["name"], m["split"]) == ("loss", "train"))
    assert 20 <= train["best_epoch"] <= 25 and train["last"] == round(1 / (train["best_epoch"] + 1), 7)
    assert any("is cut short" in n and "the values before the cut were read" in n for n in curves["notes"])


def test_string_ids_are_read(tmp_path, capsys):
    code, out, _ = _run(CASE_BY_NAME["coco_string_ids"], tmp_path, capsys)
    assert code == 0 and json.loads(out)["dataset"]["splits"]["train"]["labels"] == 1


def test_one_pixel_wide_mask(tmp_path, capsys):
    """1 x 40 mask, rows 0-9 class 1, rows 10-39 class 0: 25 % and 75 % of the image."""
    code, out, _ = _run(CASE_BY_NAME["mask_one_pixel_wide"], tmp_path, capsys)
    doc = json.loads(out)
    assert code == 0 and doc["dataset"]["task"] == "segmentation"
    areas = {c: (m["images"], m["mean_area_pct"]) for c, m in doc["masks"]["train"].items()}
    assert areas == {"0": (1, 75), "1": (1, 25)}


def test_odd_file_names_reach_the_html_and_pdf(tmp_path, capsys):
    data = CASE_BY_NAME["odd_file_names"].build(tmp_path / "case")
    code = main(["report", str(data), "--out", str(tmp_path / "out"), "-q"])
    assert code == 0, capsys.readouterr().err
    assert "caf\ufffd-latin1.png" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


@pytest.fixture
def fetched(monkeypatch):
    """Every URL WeasyPrint asks the report's fetcher for (all its loads go through it)."""
    urls: list[str] = []
    original = pdf_module.LocalOnlyFetcher.fetch

    def recording(self, url, headers=None):
        urls.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(pdf_module.LocalOnlyFetcher, "fetch", recording)
    return urls


def test_hostile_class_names_are_escaped_and_nothing_leaves_out(tmp_path, capsys, fetched):
    case = CASE_BY_NAME["malicious_class_names"]
    data = case.build(tmp_path / "data")
    out_dir = tmp_path / "out"
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    # one worker: the PDF is made in this process, where `fetched` records what WeasyPrint asks for
    code = main(["report", str(data), "--out", str(out_dir), "-q", "--workers", "1"])
    assert code == 0, capsys.readouterr().err
    # neither the file:// nor the http:// URL was asked for while making the PDF: the only URLs are
    # the report's own charts, handed to WeasyPrint as data: URIs of their SVG (report/pdf.py)
    assert fetched and all(url.startswith("data:image/svg+xml;base64,") for url in fetched)
    svg = "".join(base64.b64decode(url.split(",", 1)[1]).decode() for url in fetched)
    assert "<script" not in svg and "<img" not in svg and "&lt;script&gt;" in svg  # names as escaped text
    html = (out_dir / "report.html").read_text()
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html
    assert "{{ 7*7 }}" in html and "{% raw %}" in html  # shown as text, never evaluated
    assert '<img src="file:///etc/hostname">' not in html and '<img src="http://example.com' not in html
    assert "<img" not in html  # this dataset has no image files, so no thumbnail either
    assert json.loads((out_dir / "insight.json").read_text())["dataset"]["classes"] == MALICIOUS_NAMES
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert {p.parts[0] for p in set(after) - set(before)} == {"out"}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_hostile_class_names_are_printed_as_text_in_the_pdf(tmp_path, capsys):
    data = CASE_BY_NAME["malicious_class_names"].build(tmp_path / "data")
    assert main(["report", str(data), "--out", str(tmp_path / "out"), "-q"]) == 0
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "out" / "report.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    for name in ("<script>alert(1)</script>", "<b>bold</b>", "{{ 7*7 }}", "{% raw %}", "../../etc/passwd",
                 "$\\frac{1}{0}$", "url(http://example.com/c.css)"):
        assert name in text, name  # an evaluated "{{ 7*7 }}" would read 49; a tag would not print
