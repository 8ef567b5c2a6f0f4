"""The Python API (insight.api): the objects the commands write, with the commands' defaults.

References are the command line's own outputs on the same inputs (main() with captured stdout, or the
insight.json `insight report` writes), so the API and the CLI cannot drift apart. The README's example
is cut out of README.md and run as it is written.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import insight
from insight.cli import main
from insight.errors import InsightError

REPO = Path(__file__).resolve().parent.parent
PETS = REPO / "fixtures" / "pets"
RUN = REPO / "fixtures" / "runs" / "pets_classify" / "results.csv"


@pytest.fixture(autouse=True)
def _fixtures(monkeypatch):
    if not (PETS.is_dir() and RUN.is_file()):
        pytest.skip("fixtures not made (make fixtures)")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795350000")  # the JSON's generated_at, the same in runs seconds apart


def _cli_stdout(capsys, *args: str) -> str:
    capsys.readouterr()
    assert main([*args, "--quiet"]) == 0
    return capsys.readouterr().out


def test_scan_is_what_scan_json_prints(capsys):
    assert insight.scan(PETS).to_json() == _cli_stdout(capsys, "scan", str(PETS), "--json")
    assert insight.scan(PETS, duplicates=True, cutoff_factor=0.5).to_json() == \
        _cli_stdout(capsys, "scan", str(PETS), "--json", "--duplicates", "--cutoff-factor", "0.5")


def test_curves_is_what_curves_json_prints(capsys):
    assert insight.curves(RUN).to_json() == _cli_stdout(capsys, "curves", str(RUN), "--json")


def test_report_writes_what_the_command_writes_and_checks_duplicates_by_default(tmp_path):
    assert main(["report", str(PETS), "--run", str(RUN), "--out", str(tmp_path / "cli"), "--quiet"]) == 0
    found = insight.report(PETS, run=RUN, out=tmp_path / "api")
    cli = (tmp_path / "cli" / "insight.json").read_text()
    assert (tmp_path / "api" / "insight.json").read_text() == cli == found.to_json()
    assert (tmp_path / "api" / "report.pdf").read_bytes()[:5] == b"%PDF-"
    codes = [f["code"] for f in json.loads(cli)["health"]]
    assert "duplicates_checked" in codes  # the command's default: the duplicate check ran
    skipped = insight.report(PETS, duplicates=False)
    assert "duplicates_checked" not in [f.code for f in skipped.health]


def test_save_writes_the_whole_report(tmp_path):
    written = insight.scan(PETS).save(tmp_path / "out")
    assert sorted(p.name for p in written) == ["insight.json", "report.html", "report.pdf"]
    doc = json.loads((tmp_path / "out" / "insight.json").read_text())
    assert doc["curves"] is None and doc["dataset"]["format"] == "class-folders"  # all keys, not scan's part


def test_the_per_image_work_runs_on_the_executor_given():
    class Recording(ThreadPoolExecutor):
        ran: list[str] = []

        def submit(self, fn, /, *args, **kwargs):
            self.ran.append(fn.__name__)
            return super().submit(fn, *args, **kwargs)

    with Recording(max_workers=2) as executor:
        on_it = insight.scan(PETS, duplicates=True, executor=executor)
    assert {"hash_file", "_chunk_sizes"} <= set(executor.ran)
    assert on_it.to_json() == insight.scan(PETS, duplicates=True).to_json()


def test_a_notebook_shows_the_report_in_a_frame_of_its_own():
    shown = insight.scan(PETS)._repr_html_()
    frame = re.fullmatch(r'<iframe srcdoc="([^"]*)" title="insight report" style="[^"]*"></iframe>', shown)
    assert frame is not None  # every quote of the page escaped inside the attribute
    page = html.unescape(frame.group(1))
    assert page.lstrip().lower().startswith("<!doctype html>") and "bird" in page and "<script" not in page


def test_bad_input_raises_the_commands_one_line_error(tmp_path):
    with pytest.raises(InsightError) as raised:
        insight.scan(tmp_path / "nothing here")
    assert str(raised.value) == f"{tmp_path / 'nothing here'}: no such dataset folder"
    with pytest.raises(InsightError, match="cutoff-factor"):
        insight.scan(PETS, cutoff_factor=3)


def test_insight_report_is_the_api_function_whatever_was_imported_first():
    import insight.report.html  # noqa: F401 - the sub-package with the same name, imported

    assert callable(insight.report)
    assert insight.report(PETS, duplicates=False).dataset.format == "class-folders"


def test_importing_insight_loads_nothing_heavy():
    probe = ("import sys, insight; heavy = {'pandas', 'numpy', 'matplotlib', 'weasyprint', 'PIL'}; "
             "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert out.stdout.strip() == "[]", out.stderr


def test_the_readme_example_runs(tmp_path):
    """The ```python block of README.md's 'From Python' section, run in a folder holding the fixtures."""
    text = (REPO / "README.md").read_text()
    section = text[text.index("### From Python"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    (tmp_path / "fixtures").symlink_to(REPO / "fixtures")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                         env=env)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "reports" / "api-demo" / "report.pdf").is_file()
    assert out.stdout.splitlines()[0].startswith("classification ")
