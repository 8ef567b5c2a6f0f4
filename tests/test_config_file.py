"""Settings files: where insight looks, which file wins, defaults < file < flags, the checks (one line
naming the file and the key, exit 2), and the list of settings that differ from the defaults.

Numbers by hand on the pets dataset (dog 123, cat 110, bird 53, fish 11; N = 297, K = 4):
cutoff-factor 0.75 (default): ceil(0.75 * 297 / 4) = ceil(55.69) = 56
cutoff-factor 0.6:            ceil(0.6 * 297 / 4)  = ceil(44.55) = 45
cutoff-factor 0.5:            ceil(0.5 * 297 / 4)  = ceil(37.13) = 38
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from insight.cli import config_from, main, parser
from insight.config import Config, Setting
from insight.config_file import FROM_FLAGS, find_file
from tests.ci.test_summary import tables

PYPROJECT = "[project]\nname = 'their-model'\n\n"  # a project's own pyproject.toml, settings added below


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def pets(pets_dir, tmp_path, monkeypatch):
    """A copy of the pets dataset to put settings files into; the working folder is an empty folder."""
    shutil.copytree(pets_dir, tmp_path / "pets")
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    return tmp_path / "pets"


def scan_json(capsys, *argv) -> dict:
    code, out, err = run(capsys, "scan", *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def config(*argv) -> Config:
    return config_from(parser().parse_args([str(a) for a in argv]))


def test_defaults_then_file_then_flags(pets, capsys):
    doc = scan_json(capsys, pets)
    assert (doc["representation"]["cutoff"], doc["settings"]) == (56, [])
    (pets / "insight.toml").write_text("cutoff-factor = 0.6\n")
    doc = scan_json(capsys, pets)
    assert doc["representation"]["cutoff"] == 45
    assert doc["settings"] == [{"name": "cutoff-factor", "value": 0.6, "source": str(pets / "insight.toml")}]
    doc = scan_json(capsys, pets, "--cutoff-factor", "0.5")
    assert doc["representation"]["cutoff"] == 38
    assert doc["settings"] == [{"name": "cutoff-factor", "value": 0.5, "source": "command line"}]


def test_a_file_set_to_the_default_lists_nothing(pets, capsys):
    (pets / "insight.toml").write_text("cutoff-factor = 0.75\nnear-duplicate-bits = 10\n")
    assert scan_json(capsys, pets)["settings"] == []


def test_search_order_dataset_folder_first_then_working_folder(pets, tmp_path):
    """The first file found is used, the others are not read: dataset folder before working folder,
    insight.toml before pyproject.toml, a pyproject.toml without [tool.insight] passed over. A file in
    the working folder is named as insight finds it: relative to where insight runs."""
    (tmp_path / "work" / "insight.toml").write_text("serious-factor = 0.25\n")
    assert find_file(pets) == Path("insight.toml")
    (pets / "pyproject.toml").write_text(PYPROJECT)  # no [tool.insight]: not a settings file
    assert find_file(pets) == Path("insight.toml")
    (pets / "pyproject.toml").write_text(PYPROJECT + "[tool.insight]\nserious-factor = 0.4\n")
    assert find_file(pets) == pets / "pyproject.toml"
    (pets / "insight.toml").write_text("serious-factor = 0.3\n")
    assert find_file(pets) == pets / "insight.toml"
    assert config("scan", pets).serious_factor == 0.3
    assert find_file(None) == Path("insight.toml")  # insight curves: the working folder only


def test_pyproject_table_and_where_the_list_says_it_came_from(pets, tmp_path, capsys):
    (tmp_path / "work" / "pyproject.toml").write_text(PYPROJECT + "[tool.insight]\ncutoff-factor = 0.6\n"
                                                      "negative-tag = 'normal'\n")
    doc = scan_json(capsys, pets, "--serious-factor", "0.25")
    assert doc["settings"] == [
        {"name": "cutoff-factor", "value": 0.6, "source": "pyproject.toml [tool.insight]"},
        {"name": "serious-factor", "value": 0.25, "source": "command line"},
        {"name": "negative-tag", "value": ["normal"], "source": "pyproject.toml [tool.insight]"},
    ]
    # 0.25 * 45 = 11.25: fish (11) is still serious; bird (53) is above the cutoff 45: well
    tiers = {c["name"]: c["tier"] for c in doc["representation"]["classes"]}
    assert tiers == {"bird": "well", "cat": "well", "dog": "well", "fish": "serious"}


def test_every_dataset_option_from_the_file(pets):
    (pets / "insight.toml").write_text(
        "cutoff-factor = 0.6\nserious-factor = 0.4\nnear-duplicate-bits = 6\nformat = 'class-folders'\n"
        "task = 'classification'\nclasses = 'maps/labels.txt'\nignore-index = 0\nnegative-tag = ['a', 'b']\n")
    c = config("scan", pets)
    assert (c.cutoff_factor, c.serious_factor, c.near_duplicate_hamming, c.format, c.task, c.ignore_index,
            c.negative_tag) == (0.6, 0.4, 6, "class-folders", "classification", 0, ("a", "b"))
    assert c.classes_file == pets / "maps" / "labels.txt"  # relative to the file, not to the working folder
    assert [s.name for s in c.settings] == ["cutoff-factor", "serious-factor", "near-duplicate-bits", "format",
                                            "task", "classes", "ignore-index", "negative-tag"]
    flags = config("scan", pets, "--negative-tag", "c", "--ignore-index", "255", "--task", "multilabel")
    assert (flags.negative_tag, flags.ignore_index, flags.task) == (("c",), 255, "multilabel")
    assert "ignore-index" not in [s.name for s in flags.settings]  # the flag sets it back to the default


def test_curve_thresholds_merge_one_by_one_and_reach_the_diagnosis(pets, pets_run, tmp_path, capsys):
    (tmp_path / "work" / "insight.toml").write_text("[curve-threshold]\ngl_alpha = 3\nspike_factor = 4\n")
    c = config("curves", pets_run, "--curve-threshold", "spike_factor=3")
    assert dict(c.curve_thresholds) == {"gl_alpha": 3.0, "spike_factor": 3.0}
    # in the order CurveThresholds lists them
    assert c.settings == (Setting("curve-threshold.spike_factor", 3.0, FROM_FLAGS),
                          Setting("curve-threshold.gl_alpha", 3.0, "insight.toml"))
    code, out, err = run(capsys, "curves", pets_run, "--json")
    assert code == 0, err
    assert "threshold gl_alpha set to 3 (default 5)" in json.loads(out)["curves"]["notes"]
    code, out, err = run(capsys, "curves", pets_run)
    assert out.endswith("Settings changed from the defaults:\n"
                        "  curve-threshold.spike_factor = 4 (from insight.toml)\n"
                        "  curve-threshold.gl_alpha = 3 (from insight.toml)\n")


def test_fail_on_is_kept_per_command(pets, pets_run, capsys):
    """[scan] fail-on = serious: fish makes scan exit 1; curves has no table and no gate. A flag wins."""
    (pets / "insight.toml").write_text("[scan]\nfail-on = ['serious', 'error']\n[report]\nfail-on = 'scenario:C'\n")
    code, out, err = run(capsys, "scan", pets)
    assert code == 1 and "insight: --fail-on: serious: 1 class(es)" in err
    assert "  fail-on = serious,error (from " in out
    code, out, err = run(capsys, "scan", pets, "--fail-on", "warning")
    assert code == 0, err  # pets has no data-health finding
    assert config("report", pets).fail_on == "scenario:C"


def test_text_output_lists_the_settings(pets, capsys):
    (pets / "insight.toml").write_text("cutoff-factor = 0.6\n")
    code, out, _ = run(capsys, "scan", pets, "--serious-factor", "0.25")
    assert code == 0
    assert out.endswith(f"\nSettings changed from the defaults:\n  cutoff-factor = 0.6 (from {pets / 'insight.toml'})\n"
                        "  serious-factor = 0.25 (from command line)\n")


@pytest.mark.parametrize("text, message", [
    ("cutoff-factor = 'high'\n", "insight.toml: cutoff-factor: expected a number, got 'high'"),
    ("cutoff-factor = 2\n", "insight.toml: cutoff-factor: expected a number in (0, 1], got 2"),
    ("cutoff-factor = true\n", "insight.toml: cutoff-factor: expected a number, got True"),
    ("near-duplicate-bits = 65\n", "insight.toml: near-duplicate-bits: expected a whole number from 0 to 64, got 65"),
    ("task = 'detect'\n", "insight.toml: task: expected one of classification, multilabel, detection, segmentation"),
    ("negative-tag = [1]\n", "insight.toml: negative-tag: expected a string or a list of strings, got [1]"),
    ("cutoff_factor = 0.5\n", "insight.toml: cutoff_factor: unknown key 'cutoff_factor'; did you mean 'cutoff-factor'?"),
    ("colour = 'red'\n", "insight.toml: colour: unknown key 'colour' (known keys: cutoff-factor, "),
    ("fail-on = 'serious'\n", "insight.toml: fail-on: fail-on is set per command: put it in a [report]"),
    ("[scan]\nfail-on = 'sirius'\n", "insight.toml: scan.fail-on: unknown level 'sirius'"),
    ("[scan]\ncutoff-factor = 0.5\n", "insight.toml: scan: a command's table holds only fail-on, got 'cutoff-factor'"),
    ("curve-threshold.gl_alfa = 3\n", "insight.toml: curve-threshold.gl_alfa: unknown curve threshold 'gl_alfa'"),
    ("curve-threshold.min_points = 0\n", "insight.toml: curve-threshold.min_points: "),
    ("curve-threshold.gl_alpha = true\n", "insight.toml: curve-threshold.gl_alpha: expected a number, got True"),
    ("cutoff-factor = \n", "insight.toml: not valid TOML (Invalid value (at line 1, column 17))"),
])
def test_bad_settings_are_one_line_naming_the_file_and_key(text, message, pets, capsys):
    (pets / "insight.toml").write_text(text)
    code, out, err = run(capsys, "scan", pets)
    assert code == 2 and out == ""
    assert err.startswith(f"insight: error: {pets}/") and message in err and err.count("\n") == 1, err


def test_a_pyproject_key_is_named_by_its_full_path(pets, capsys):
    (pets / "pyproject.toml").write_text(PYPROJECT + "[tool.insight]\ncutof-factor = 0.5\n")
    code, _, err = run(capsys, "scan", pets)
    assert code == 2 and f"{pets / 'pyproject.toml'}: tool.insight.cutof-factor: unknown key" in err


def test_a_bad_flag_value_is_refused_as_in_the_file(pets, capsys):
    code, _, err = run(capsys, "scan", pets, "--near-duplicate-bits", "65")
    assert code == 2 and "expected a whole number from 0 to 64, got 65" in err


def test_parser_defaults_are_unset_so_that_a_file_can_set_them():
    """A flag the user did not give must read as None, or the file could never win over a default."""
    args = parser().parse_args(["report", "d"])
    assert isinstance(args, argparse.Namespace)
    for dest in ("cutoff_factor", "serious_factor", "near_duplicate_bits", "ignore_index", "negative_tag",
                 "format", "task", "classes_file", "curve_threshold", "fail_on"):
        assert getattr(args, dest) is None, dest


def test_the_report_lists_the_settings_in_insight_json_and_the_summary(pets, pets_run, tmp_path, capsys):
    (pets / "insight.toml").write_text("cutoff-factor = 0.6\n[report]\nfail-on = 'scenario:B'\n")
    out = tmp_path / "out"
    code, _, err = run(capsys, "report", pets, "--run", pets_run, "--out", out, "-q", "--summary", out / "summary.md",
                       "--curve-threshold", "gl_alpha=4")
    assert code == 0, err  # the run is Curve C, the gate asks for B
    doc = json.loads((out / "insight.json").read_text())
    assert doc["representation"]["cutoff"] == 45
    source = str(pets / "insight.toml")
    assert doc["settings"] == [{"name": "cutoff-factor", "value": 0.6, "source": source},
                               {"name": "curve-threshold.gl_alpha", "value": 4, "source": "command line"},
                               {"name": "fail-on", "value": "scenario:B", "source": source}]
    assert tables(MarkdownIt("commonmark").enable("table").parse((out / "summary.md").read_text()))[-1] == [
        ["setting", "value", "from"], ["cutoff-factor", "0.6", source], ["curve-threshold.gl_alpha", "4", "command line"],
        ["fail-on", "scenario:B", source]]


def test_a_file_level_that_cannot_fire_says_which_file_set_it(pets, capsys):
    (pets / "insight.toml").write_text("[scan]\nfail-on = 'leakage'\n")
    code, _, err = run(capsys, "scan", pets)
    assert code == 2
    assert err == (f"insight: error: --fail-on leakage can never fire here: add --duplicates "
                   f"(fail-on is set in {pets / 'insight.toml'})\n")


def test_page_1_lists_the_settings_that_differ_and_where_from(pets, tmp_path, capsys):
    """The report's block of what was read names each setting, its value and its source, escaped
    (a hostile tag stays text); report.html and, where poppler is installed, the PDF's text."""
    import html as html_lib
    import subprocess

    (pets / "insight.toml").write_text('cutoff-factor = 0.6\nnegative-tag = ["<b>none</b>", "x"]\n')
    out = tmp_path / "out"
    code, _, err = run(capsys, "report", pets, "--out", out, "-q", "--no-duplicates", "--serious-factor", "0.4")
    assert code == 0, err
    page = (out / "report.html").read_text()
    row = page.split('<th scope="row">Settings</th>', 1)[1].split("</tr>", 1)[0]
    source = html_lib.escape(str(pets / "insight.toml"))
    assert f"cutoff-factor = 0.6</span> (from <span class=\"path\">{source}</span>)" in row
    assert "negative-tag = &lt;b&gt;none&lt;/b&gt;, x</span>" in row and "<b>none" not in row
    assert "serious-factor = 0.4</span> (from <span class=\"path\">command line</span>)" in row
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the PDF's text is not read")
    text = subprocess.run(["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True).stdout
    assert "cutoff-factor = 0.6" in " ".join(text.split())


def test_with_every_setting_at_its_default_the_block_has_no_settings_row(pets, tmp_path, capsys):
    code, _, err = run(capsys, "report", pets, "--out", tmp_path / "out", "-q", "--no-duplicates")
    assert code == 0, err
    assert '<th scope="row">Settings</th>' not in (tmp_path / "out" / "report.html").read_text()
