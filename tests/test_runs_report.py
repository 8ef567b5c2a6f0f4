"""Several runs end to end in a report: the same log given twice ties (every criterion is equal by
construction), and the report says so on page 1, in its section and in insight.json; a second run that is
the first with every validation loss one tenth lower is the one to keep."""

from __future__ import annotations

import json

import pandas as pd

from insight.cli import main


def _report(tmp_path, pets_dir, runs, name="out"):
    out = tmp_path / name
    args = ["report", str(pets_dir), "--out", str(out), "--no-duplicates", "--quiet", "--workers", "1"]
    for run in runs:
        args += ["--run", str(run)]
    assert main(args) == 0
    return json.loads((out / "insight.json").read_text()), (out / "report.html").read_text()


def test_the_same_run_twice_is_a_tie(tmp_path, pets_dir, pets_run):
    doc, html = _report(tmp_path, pets_dir, [pets_run, pets_run])
    runs = doc["runs"]
    assert runs["keep"] is None and len(runs["tied"]) == 2
    assert runs["verdict"].endswith("as many curve findings (warnings and errors) ({} each).".format(
        runs["runs"][0]["findings"]))
    assert "Runs compared:" in html and 'id="runs"' in html and "The runs tie" in html
    assert "is the first of the tied runs" in doc["curves"]["notes"][0]


def test_a_lower_validation_loss_is_kept_and_named_on_page_one(tmp_path, pets_dir, pets_run):
    frame = pd.read_csv(pets_run)
    better = tmp_path / "better" / "results.csv"
    better.parent.mkdir()
    val_loss = [c for c in frame.columns if c.strip().startswith("val/") and "loss" in c]
    frame[val_loss] = frame[val_loss] * 0.9  # every val loss 10 % lower: beyond the 0.5 % tolerance
    frame.to_csv(better, index=False)
    doc, html = _report(tmp_path, pets_dir, [pets_run, better])
    names = [r["name"] for r in doc["runs"]["runs"]]
    assert doc["runs"]["keep"] == names[1] and doc["curves"]["source"] == str(better)
    assert doc["runs"]["verdict"].startswith(f"Keep {names[1]}: lower best val loss")
    assert f'Run <span class="path">{names[1]}</span>:' in html  # the page-1 scenario box names the run
    # one run: no runs key, and the scenario box names no run
    single, html = _report(tmp_path, pets_dir, [pets_run], "single")
    assert "runs" not in single and "Run <span" not in html
