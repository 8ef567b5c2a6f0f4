"""--junit and --summary on the three commands, end to end: what is written, where, and that the
files join the report's all-or-nothing set. Expected cases are worked out by hand in each test."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from junitparser import JUnitXml
from markdown_it import MarkdownIt
from PIL import Image

from insight.cli import main
from insight.report import write
from insight.report.write import write_outputs
from tests.ci.test_summary import headings, paragraphs, tables

ODD = "<b>|x"  # a class folder name that XML and markdown must carry as is


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def junit(path) -> dict[str, list[tuple[str, list[str]]]]:
    """{suite: [(case, [result kinds])]} of a JUnit file."""
    ET.parse(path)  # well-formed for a strict parser
    return {s.name: [(c.name, [type(r).__name__ for r in c.result]) for c in s] for s in JUnitXml.fromfile(str(path))}


def markdown(path):
    return MarkdownIt("commonmark").enable("table").parse(path.read_text())


@pytest.fixture()
def odd_dataset(tmp_path):
    """Class folders: cat with 20 readable PNGs and one file that is no image; ODD with 1 PNG. By hand
    (N counted with or without the bad file): N = 21 or 22, K = 2, cutoff = ceil(0.75 * N / 2) = 8 or 9;
    ODD's 1 label is below half of either: serious. cat (20) is well represented."""
    root = tmp_path / "odd"
    for name, n in (("cat", 20), (ODD, 1)):
        (root / name).mkdir(parents=True)
        for i in range(n):
            Image.new("RGB", (8, 8), (i * 10, 0, 0)).save(root / name / f"{i}.png")
    (root / "cat" / "broken.png").write_bytes(b"this is no image")
    return root


def test_scan_writes_both_files_with_the_odd_class_intact(odd_dataset, tmp_path, capsys, monkeypatch):
    """--fail-on serious,mild,error,warning: serious fires (ODD), mild fires (ODD, serious counts as
    at least mild), error fires (the unreadable image), warning fires (errors count as at least
    warnings): 4 level cases, all failed; the one error-level finding (unreadable_image) is a failed
    health case. Exit 1, and the files are written into folders that did not exist."""
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "scan", odd_dataset, "--fail-on", "serious,mild,error,warning",
                       "--junit", "ci/out/junit.xml", "--summary", "ci/summary.md")
    assert code == 1, err
    cases = junit(tmp_path / "ci/out/junit.xml")
    assert cases["insight.fail-on"] == [(f"--fail-on {level}", ["Failure"]) for level in
                                        ("serious", "mild", "error", "warning")]
    assert cases["insight.health"] == [("unreadable_image", ["Failure"])]
    reason = list(list(JUnitXml.fromfile(str(tmp_path / "ci/out/junit.xml")))[0])[0].result[0].message
    assert reason == f"serious: 1 class(es) seriously under-represented ({ODD})"
    toks = markdown(tmp_path / "ci/summary.md")
    assert headings(toks)[0] == "insight scan: failed, 4 of 4 --fail-on levels fired"
    assert tables(toks)[0][1] == ["serious", reason]


def test_curves_gate_passes_and_says_so(pets_run, tmp_path, capsys):
    """make_runs.py's run is Curve C: --fail-on scenario:B,D does not fire: exit 0, one passed case."""
    code, _, err = run(capsys, "curves", pets_run, "--fail-on", "scenario:B,D", "--junit", tmp_path / "j.xml",
                       "--summary", tmp_path / "s.md")
    assert code == 0, err
    assert junit(tmp_path / "j.xml") == {"insight.fail-on": [("--fail-on scenario:B,D", [])]}
    toks = markdown(tmp_path / "s.md")
    assert headings(toks) == ["insight curves: passed, none of 1 --fail-on levels fired", "Training curves",
                              "Top findings", "Settings changed from the defaults"]
    assert tables(toks)[-1][1:] == [["fail-on", "scenario:B,D", "command line"]]


def test_report_writes_them_with_the_report_and_in_the_same_set(pets_dir, pets_run, tmp_path, capsys,
                                                                monkeypatch):
    """A first report with --junit and --summary; then a second one whose --junit cannot be written
    (a full disk, simulated): exit 2, and every file of the first report, CI files included, is left
    as it was: the CI files are part of the report's all-or-nothing set."""
    out, ci = tmp_path / "out", tmp_path / "ci"
    code, _, err = run(capsys, "report", pets_dir, "--run", pets_run, "--out", out, "-q", "--fail-on", "serious",
                       "--junit", ci / "junit.xml", "--summary", ci / "summary.md")
    assert code == 1, err  # fish is seriously under-represented (tests/test_cli.py works the tiers out)
    assert junit(ci / "junit.xml")["insight.fail-on"] == [("--fail-on serious", ["Failure"])]
    # one scenario is "Curve C" (the family is "Curves A-D"; it read "Curves C" before)
    assert any(p.startswith("Curve C (judged on train+val): ") for p in paragraphs(markdown(ci / "summary.md")))
    before = {p: p.read_bytes() for p in [*out.iterdir(), *ci.iterdir()]}

    real = write.write_temp

    def full_disk(path, data):
        if path.name == "junit.xml":
            raise OSError(28, "No space left on device")
        return real(path, data)

    monkeypatch.setattr(write, "write_temp", full_disk)
    code, _, err = run(capsys, "report", pets_dir, "--run", pets_run, "--out", out, "-q", "--cutoff-factor", "0.5",
                       "--junit", ci / "junit.xml", "--summary", ci / "summary.md")
    assert code == 2 and "No space left on device" in err and err.count("\n") == 1
    assert {p: p.read_bytes() for p in [*out.iterdir(), *ci.iterdir()]} == before


@pytest.mark.parametrize("flags, message", [
    (["--junit", "{out}/report.html"], "--junit names the report's own file"),
    (["--junit", "{tmp}/same.xml", "--summary", "{tmp}/same.xml"], "--summary names the --junit file"),
    (["--summary", "{tmp}"], "--summary must name a file, got a folder"),
])
def test_clashing_or_folder_targets_are_refused_before_any_work(flags, message, pets_dir, tmp_path, capsys):
    flags = [f.format(out=tmp_path / "out", tmp=tmp_path) for f in flags]
    code, _, err = run(capsys, "report", pets_dir, "--out", tmp_path / "out", "-q", *flags)
    assert code == 2 and message in err and err.count("\n") == 1
    assert not (tmp_path / "out" / "insight.json").exists()


@pytest.mark.not_insight_json  # placeholder bytes: the test is about the writing, not the document
def test_a_file_elsewhere_joins_the_set_and_leaves_other_jobs_temporary_files(tmp_path):
    """write_outputs with an absolute path outside OUT: written there, no temporary file of ours left;
    a temporary file of the same name pattern there is not ours to remove (the lock guards OUT only)."""
    elsewhere = tmp_path / "ci"
    elsewhere.mkdir()
    (elsewhere / ".junit.xml.other.tmp").write_bytes(b"another job's")
    written = write_outputs(tmp_path / "out", {"report.html": b"h", elsewhere / "junit.xml": b"<x/>",
                                               "insight.json": b"{}"})
    assert written[1] == elsewhere / "junit.xml"
    assert sorted(p.name for p in elsewhere.iterdir()) == [".junit.xml.other.tmp", "junit.xml"]
    assert (elsewhere / "junit.xml").read_bytes() == b"<x/>"
    assert json.loads((tmp_path / "out" / "insight.json").read_text()) == {}
