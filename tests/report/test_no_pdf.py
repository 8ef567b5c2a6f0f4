"""--no-pdf (and `no-pdf = true` in a settings file): report.html and insight.json without WeasyPrint;
without it, a machine that cannot make the PDF gets one line saying to use it, before any work."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

import insight.report.pdf_check as pdf_check
from insight.cli import main

# A fresh interpreter in which `import weasyprint` fails, as on a machine without Pango (WeasyPrint's
# import is what loads the library), runs the command and says whether WeasyPrint was imported.
NO_WEASYPRINT = textwrap.dedent(
    """
    import json, sys
    sys.modules["weasyprint"] = None  # import weasyprint raises ImportError from now on
    from insight.cli import main
    code = main(sys.argv[1:])
    print(json.dumps({"code": code}))
    """
)


def _without_weasyprint(*argv: str) -> tuple[int, str]:
    out = subprocess.run([sys.executable, "-c", NO_WEASYPRINT, *argv], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])["code"], out.stderr


def test_no_pdf_writes_html_and_json_where_weasyprint_cannot_load(pets_dir, pets_run, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.pdf").write_bytes(b"%PDF- of an earlier run")
    code, err = _without_weasyprint("report", str(pets_dir), "--run", str(pets_run), "--out", str(out), "-q",
                                    "--no-duplicates", "--no-pdf")
    assert code == 0, err
    # the earlier run's PDF is gone: the folder never mixes a PDF of one run with the HTML of another
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["insight.json", "report.html"]
    assert json.loads((out / "insight.json").read_text())["representation"]["cutoff"] == 56  # by hand: ceil(0.75*297/4)


def test_without_no_pdf_the_import_failure_says_to_use_it(pets_dir, tmp_path):
    code, err = _without_weasyprint("report", str(pets_dir), "--out", str(tmp_path / "o"), "-q", "--no-duplicates")
    assert code == 2 and err.count("\n") == 1 and "--no-pdf" in err and "WeasyPrint" in err
    assert not (tmp_path / "o").exists()  # refused before anything was read or written


def test_a_system_without_pango_is_one_line_before_any_work(pets_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(pdf_check, "PANGO_NAMES", ("libinsight-test-no-such-pango.so.0",))
    import ctypes.util

    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    code = main(["report", str(pets_dir), "--out", str(tmp_path / "o"), "-q", "--no-duplicates"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "Pango" in err and "--no-pdf" in err and "libpango-1.0-0" in err
    assert not (tmp_path / "o").exists()


def test_import_failure_after_the_check_is_the_same_kind_of_line(monkeypatch):
    """The check can pass and the import still fail (a broken library): render_in_process words it."""
    from insight.report import renderer

    monkeypatch.setitem(sys.modules, "insight.report.pdf", None)
    with pytest.raises(Exception) as info:
        renderer.pdf_renderer()
    assert type(info.value).__name__ == "UsageError" and "--no-pdf" in str(info.value)


def test_settings_file_no_pdf_and_the_pdf_flag(pets_dir, tmp_path, capsys, monkeypatch):
    """no-pdf = true in insight.toml: no PDF, and the report lists the setting and its file; --pdf wins."""
    import shutil

    data = tmp_path / "pets"
    shutil.copytree(pets_dir, data)
    (data / "insight.toml").write_text("no-pdf = true\n")
    monkeypatch.chdir(tmp_path)
    assert main(["report", str(data), "--out", str(tmp_path / "a"), "-q", "--no-duplicates"]) == 0
    assert not (tmp_path / "a" / "report.pdf").exists()
    doc = json.loads((tmp_path / "a" / "insight.json").read_text())
    assert doc["settings"] == [{"name": "no-pdf", "value": True, "source": str(data / "insight.toml")}]
    assert main(["report", str(data), "--out", str(tmp_path / "b"), "-q", "--no-duplicates", "--pdf"]) == 0
    assert (tmp_path / "b" / "report.pdf").read_bytes()[:5] == b"%PDF-"
    # --pdf puts the default back: nothing differs from the defaults, so no setting is listed
    assert json.loads((tmp_path / "b" / "insight.json").read_text())["settings"] == []


@pytest.mark.parametrize("value", ["1", '"yes"'])
def test_no_pdf_in_a_file_must_be_true_or_false(value, pets_dir, tmp_path, capsys):
    import shutil

    data = tmp_path / "pets"
    shutil.copytree(pets_dir, data)
    (data / "insight.toml").write_text(f"no-pdf = {value}\n")
    code = main(["report", str(data), "--out", str(tmp_path / "o"), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "no-pdf: expected true or false" in err and str(data / "insight.toml") in err
