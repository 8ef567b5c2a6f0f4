"""--fail-on error / warning on the training curves' findings: a run that went NaN fails the gate like a
data-health error does. Every expected reason below is worked out by hand from the rules in
insight/diagnose/ (named at each log), never copied from insight's output."""

from __future__ import annotations

import pytest

from insight.cli import main
from insight.errors import UsageError
from insight.gate import fired, parse_fail_on, refuse_unreachable, unreachable
from insight.model import Finding
from insight.model.insight import CurveDiagnosis, Insight


def _log(path, epochs: int, nan_at: int | None = None):
    """train/loss = 0.8^(e-1), val/loss = 1.2 x 0.8^(e-1) at epoch e (val 20 % above train throughout,
    both falling 20 % an epoch on a straight line in log scale, so neither is noisy, flat, rising or
    overfitting); the train loss is NaN at epoch `nan_at`."""
    rows = ["epoch,train/loss,val/loss"]
    for e in range(1, epochs + 1):
        train = "nan" if e == nan_at else f"{0.8 ** (e - 1):.6f}"
        rows.append(f"{e},{train},{1.2 * 0.8 ** (e - 1):.6f}")
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture()
def logs(tmp_path):
    """clean.csv: 10 epochs, no NaN: Curve A (rule `converged`, info), further findings at most info
    (`not_converged`: still falling at the end): nothing at warning or error.
    nan_end.csv: 6 epochs, train loss NaN at epoch 6, the last: curve_diverge.b_nonfinite decides Curve B
    with `diverged_nonfinite` (error), and curve_findings.nonfinite_findings reports `nonfinite_loss` for
    train/loss at error (NaN at the end and B decided by diverged_nonfinite): 2 error-level findings.
    nan_mid.csv: 10 epochs, train loss NaN at epoch 4 only: the loss ends finite, so no B; Curve A, and
    `nonfinite_loss` at warning (not at the end): 1 warning-level finding, none at error."""
    return {name: _log(tmp_path / f"{name}.csv", n, nan_at)
            for name, n, nan_at in (("clean", 10, None), ("nan_end", 6, 6), ("nan_mid", 10, 4))}


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_curves_accepts_error_and_a_nan_run_fails_it(logs, capsys):
    code, _, err = run(capsys, "curves", logs["nan_end"], "-q", "--fail-on", "error")
    assert code == 1, err
    assert err.strip().splitlines()[-1] == \
        "insight: --fail-on: error: 2 curve findings (diverged_nonfinite, nonfinite_loss)"


def test_a_clean_log_passes_error_and_warning(logs, capsys):
    code, _, err = run(capsys, "curves", logs["clean"], "-q", "--fail-on", "error,warning")
    assert code == 0, err
    assert "--fail-on" not in err


def test_warning_fires_on_a_warning_level_curve_finding_and_error_does_not(logs, capsys):
    code, _, err = run(capsys, "curves", logs["nan_mid"], "-q", "--fail-on", "error")
    assert code == 0, err
    code, _, err = run(capsys, "curves", logs["nan_mid"], "-q", "--fail-on", "error,warning")
    assert code == 1, err
    assert err.strip().splitlines()[-1] == "insight: --fail-on: warning: 1 curve finding (nonfinite_loss)"


def test_every_compared_run_counts_and_is_named(logs, capsys):
    """Three runs: clean.csv adds nothing; nan_end.csv its 2 errors; nan_mid.csv its 1 warning. Names are
    the file names (they tell the runs apart). error: 2 findings of nan_end.csv; warning: all 3."""
    code, _, err = run(capsys, "curves", logs["clean"], logs["nan_end"], logs["nan_mid"], "-q",
                       "--fail-on", "error,warning")
    assert code == 1, err
    assert err.strip().splitlines()[-1] == (
        "insight: --fail-on: error: 2 curve findings (nan_end.csv: diverged_nonfinite, nonfinite_loss); "
        "warning: 3 curve findings (nan_end.csv: diverged_nonfinite, nonfinite_loss; nan_mid.csv: nonfinite_loss)")


def test_report_fails_error_on_the_curves_and_the_ci_files_agree(pets_dir, logs, tmp_path, capsys):
    """pets has no data-health finding (tests/test_config_file.py), so the curves alone fire `error`:
    the JUnit level case fails with the reason, the health suite has no case, and the file holds a
    failure exactly as the command exits 1."""
    from tests.ci.test_ci_commands import junit

    out = tmp_path / "out"
    code, _, err = run(capsys, "report", pets_dir, "--run", logs["nan_end"], "--out", out, "-q", "--no-pdf",
                       "--fail-on", "error", "--junit", tmp_path / "j.xml", "--summary", tmp_path / "s.md")
    assert code == 1, err
    reason = "error: 2 curve findings (diverged_nonfinite, nonfinite_loss)"
    assert err.strip().splitlines()[-1] == f"insight: --fail-on: {reason}"
    assert junit(tmp_path / "j.xml") == {"insight.fail-on": [("--fail-on error", ["Failure"])], "insight.health": []}
    summary = (tmp_path / "s.md").read_text()
    assert summary.startswith("## insight report: failed, 1 of 1 --fail-on levels fired")
    assert f"| error | {reason.replace('_', chr(92) + '_')} |" in summary  # md() escapes the underscores


def _curves(rule: Finding | None, findings=(), scenario: str | None = "B") -> CurveDiagnosis:
    return CurveDiagnosis(format="csv", source="x", scenario=scenario, findings=tuple(findings), rule_finding=rule)


def test_reason_names_both_kinds_singular_and_plural():
    health = (Finding("unreadable_image", "error"), Finding("image_missing", "error", 3),
              Finding("images_without_labels", "warning"))
    curves = _curves(Finding("diverged_rise", "error"), [Finding("loss_spike", "warning")])
    insight = Insight(health=health, curves=curves)
    assert fired(insight, parse_fail_on("error")) == [
        "error: 2 data-health findings (unreadable_image, image_missing); 1 curve finding (diverged_rise)"]
    assert fired(insight, parse_fail_on("warning")) == [
        "warning: 3 data-health findings (unreadable_image, image_missing, images_without_labels); "
        "2 curve findings (diverged_rise, loss_spike)"]


def test_a_rule_that_is_also_a_finding_counts_once_and_info_never_counts():
    """Without a scenario the deciding finding is also in `findings` (diagnose/curves.py): one finding."""
    rule = Finding("degenerate_run", "error")
    insight = Insight(curves=_curves(rule, [rule, Finding("not_converged", "info")], scenario=None))
    assert fired(insight, parse_fail_on("error")) == ["error: 1 curve finding (degenerate_run)"]
    overfit = Insight(curves=_curves(Finding("overfit_val_rises", "warning"), scenario="C"))
    assert fired(overfit, parse_fail_on("error")) == []
    assert fired(overfit, parse_fail_on("warning")) == ["warning: 1 curve finding (overfit_val_rises)"]


def test_error_and_warning_need_a_dataset_or_a_run():
    gate = parse_fail_on("error,warning")
    assert unreachable(gate, dataset=False, duplicates=False, run=True) == []
    assert unreachable(gate, dataset=True, duplicates=False, run=False) == []
    assert unreachable(gate, dataset=False, duplicates=False, run=False) == ["error", "warning"]
    with pytest.raises(UsageError) as err:
        refuse_unreachable(gate, {"error": "give a dataset or --run LOGS"}, dataset=False, duplicates=False, run=False)
    assert str(err.value) == "--fail-on error can never fire here: give a dataset or --run LOGS"
