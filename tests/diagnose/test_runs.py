"""Which run to keep (insight/diagnose/runs.py): verdicts worked out by hand on hand-built diagnoses
(ties, a criterion passed over, the tolerance's edge), then two real runs of the same model whose best
validation loss is computed independently with pandas from the raw results.csv files."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from insight.cli import main
from insight.diagnose.runs import close, compare_runs, run_names
from insight.model.findings import Finding
from insight.model.insight import CurveDiagnosis, MetricSummary
from tests.realdata import realdata

FRACTIONS = "logs_ultralytics/yolov12_pr167_small_data_fractions"


def _diagnosis(source, val_loss=None, map5095=None, warnings=0, scenario="A") -> CurveDiagnosis:
    metrics = []
    if val_loss is not None:
        metrics.append(MetricSummary("loss", "val", val_loss, 10.0, val_loss * 1.1, higher_is_better=False))
    if map5095 is not None:
        metrics.append(MetricSummary("mAP50_95", "val", map5095, 12.0, map5095 * 0.9))
    findings = tuple(Finding("noisy_val", "warning") for _ in range(warnings))
    return CurveDiagnosis(format="csv", source=source, scenario=scenario, metrics=tuple(metrics), findings=findings)


def test_run_names_are_the_shortest_distinct_endings():
    assert run_names(["/a/n_10.csv", "/a/n_100.csv"]) == ["n_10.csv", "n_100.csv"]
    assert run_names(["/r/train2/results.csv", "/r/train3/results.csv"]) == ["train2/results.csv",
                                                                             "train3/results.csv"]
    assert run_names(["/a/x.csv", "/a/x.csv"]) == ["/a/x.csv", "/a/x.csv #2"]
    # a Lightning folder: a TensorBoard run and a metrics.csv (realdata/logs_lightning/mnist_cnn_hcdescamps)
    # read "Keep version_1 ... against 0.0392 for metrics.csv": the trainer's file name says no run
    assert run_names(["/l/mnist_cnn/version_1", "/l/version_0/metrics.csv"]) == ["version_1",
                                                                                 "version_0/metrics.csv"]


def test_tolerance_edge_by_hand():
    # 0.5 %: 1.000 vs 1.005 differ by 0.005 <= 0.005 * 1.005 = 0.005025: a tie; 1.006: 0.006 > 0.00503: not
    assert close(1.0, 1.005, 0.005) and not close(1.0, 1.006, 0.005)


def test_the_lower_best_val_loss_decides():
    result = compare_runs(["a.csv", "b.csv"], [_diagnosis("a.csv", 0.90, 0.30), _diagnosis("b.csv", 0.80, 0.31)])
    assert (result.keep, result.tied) == ("b.csv", ())
    assert result.verdict == "Keep b.csv: lower best val loss (0.8 against 0.9 for a.csv)."
    assert [len(s.kept) for s in result.steps] == [1]


def test_a_val_loss_tie_goes_to_the_metric_and_a_disagreement_is_said():
    # 0.800 vs 0.803: 0.003 <= 0.005 * 0.803: tied on the loss; mAP50_95 0.40 vs 0.35 decides.
    # Numbers compared in one sentence share their decimals (worked out by hand): 0.800 and 0.803 need 3
    # to differ; 0.40 and 0.35 need 2 (3 significant digits of 0.40 give 0.400 and 0.350, and the trailing
    # zero both share is dropped). The wording was "0.8, 0.803" and "0.4 against 0.35" before.
    result = compare_runs(["a.csv", "b.csv"], [_diagnosis("a.csv", 0.800, 0.35), _diagnosis("b.csv", 0.803, 0.40)])
    assert result.keep == "b.csv"
    assert result.verdict.startswith("Keep b.csv: best val loss ties within 0.5 % (a.csv 0.800, b.csv 0.803); "
                                     "higher best mAP50_95 (0.40 against 0.35 for a.csv)")
    # the loss decides (0.70 vs 0.80) although the other run scores a clearly higher metric: said
    loss_first = compare_runs(["a.csv", "b.csv"], [_diagnosis("a.csv", 0.70, 0.30), _diagnosis("b.csv", 0.80, 0.40)])
    assert loss_first.keep == "a.csv" and "note that b.csv has the higher best quality metric" in loss_first.verdict


def test_fewer_findings_then_a_tie():
    level = [_diagnosis("a.csv", 0.800, 0.400, warnings=2), _diagnosis("b.csv", 0.801, 0.401, warnings=1)]
    result = compare_runs(["a.csv", "b.csv"], level)
    assert result.keep == "b.csv" and "fewer curve findings (warnings and errors) (1 against 2 for a.csv)" in result.verdict
    tie = compare_runs(["a.csv", "b.csv"], [_diagnosis("a.csv", 0.800, 0.400, 1), _diagnosis("b.csv", 0.801, 0.401, 1)])
    assert (tie.keep, tie.tied) == (None, ("a.csv", "b.csv"))
    assert tie.verdict.startswith("a.csv and b.csv tie: ") and "as many curve findings" in tie.verdict
    assert tie.kept_index == 0  # the report shows the first tied run
    # a tolerance of 0.1 % splits the losses 0.800 and 0.801 (0.001 > 0.000801)
    assert compare_runs(["a.csv", "b.csv"], level, tolerance=0.001).keep == "a.csv"


def test_a_criterion_some_run_lacks_is_passed_over():
    result = compare_runs(["a.csv", "b.csv"], [_diagnosis("a.csv", None, 0.30), _diagnosis("b.csv", 0.5, 0.20)])
    assert result.keep == "a.csv"
    assert result.verdict == ("Keep a.csv: best val loss not compared (not logged by a.csv); "
                              "higher best mAP50_95 (0.3 against 0.2 for b.csv).")


def test_runs_with_nothing_to_rank_by_are_said_to_be_unranked_not_tied():
    # two real MMEngine logs (realdata/logs_mmengine/mmcv_tests_textlogger_log_json) log only the learning
    # rate and momentum: page 1 read "... tie: best val loss not compared (not logged by A, B); ..."
    result = compare_runs(["a.csv", "b.csv"], [_diagnosis("a.csv"), _diagnosis("b.csv")])
    assert result.unranked and (result.keep, result.tied) == (None, ("a.csv", "b.csv"))
    assert result.verdict == ("a.csv and b.csv cannot be ranked, as none logs a value to rank by: best val loss not "
                              "compared (not logged by any of the runs); best quality metric not compared (not "
                              "logged by any of the runs); as many curve findings (warnings and errors) (0 each).")
    assert not compare_runs(["a.csv", "b.csv"], [_diagnosis("a.csv", 0.8), _diagnosis("b.csv", 0.8)]).unranked


def _best_val_loss(path) -> float:
    """pandas on the raw file: the val loss is the sum of Ultralytics' three val loss columns."""
    frame = pd.read_csv(path, skipinitialspace=True)
    frame.columns = [c.strip() for c in frame.columns]
    total = frame["val/box_loss"] + frame["val/cls_loss"] + frame["val/dfl_loss"]
    return float(total[total.abs() != float("inf")].min())


def test_two_real_runs_of_the_same_model(capsys):
    folder = realdata(FRACTIONS)
    small, full = folder / "n_10.csv", folder / "n_100.csv"
    assert main(["curves", str(small), str(full), "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    by = {r["name"]: r for r in runs["runs"]}
    assert by["n_10.csv"]["best_val_loss"] == pytest.approx(_best_val_loss(small), rel=1e-5)
    assert by["n_100.csv"]["best_val_loss"] == pytest.approx(_best_val_loss(full), rel=1e-5)
    # 3.32 against 4.30: the model trained on all the data is the one to keep
    assert runs["keep"] == "n_100.csv" and runs["metric"] == "mAP50_95"


def test_a_folder_of_runs_is_compared_not_read_as_one(capsys):
    folder = realdata(FRACTIONS)
    assert main(["curves", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("5 runs compared")
    assert all(name in out for name in ("n_10.csv", "n_100.csv", "n_0.3125.csv", "x_20.csv", "x_0.3125.csv"))
    # the gate looks at every run: n_0.3125.csv (0.3125 % of the data) blows up
    assert main(["curves", str(folder), "--fail-on", "scenario:B"]) == 1
    assert "n_0.3125.csv is Curve B" in capsys.readouterr().err


def test_losses_of_different_parts_are_not_compared():
    # a two-head model's loss sums more parts: 7.3 against 3.3 says nothing; the metric decides (0.40 against
    # 0.38: the same two decimals for both, by hand; it read "0.4 against 0.38" before)
    a = _diagnosis("v10.csv", 7.3, 0.38)
    b = _diagnosis("v12.csv", 3.3, 0.40)
    a = CurveDiagnosis(**{**a.__dict__, "losses": ("loss", "box_om", "box_oo")})
    b = CurveDiagnosis(**{**b.__dict__, "losses": ("loss", "box_loss")})
    result = compare_runs(["v10.csv", "v12.csv"], [a, b])
    assert result.keep == "v12.csv"
    assert result.verdict.startswith("Keep v12.csv: best val loss not compared (the runs' losses sum different "
                                     "components: v10.csv: loss, box_om, box_oo; v12.csv: loss, box_loss); "
                                     "higher best mAP50_95 (0.40 against 0.38 for v10.csv)")


def test_numbers_compared_in_one_sentence_share_their_decimals():
    # Worked out by hand: best val loss 3.32 against 4.302 has 3 significant digits of the larger (4.30) at
    # 2 decimals, and they differ by 0.982, visible at 2 decimals: "3.32 against 4.30" (it read "3.32 against
    # 4.302" before). 0.4123 against 0.4127 differ by 0.0004, in the 4th significant digit: 4 decimals.
    close_runs = compare_runs(["a.csv", "b.csv"], [_diagnosis("a.csv", 3.32, 0.30), _diagnosis("b.csv", 4.302, 0.20)])
    assert close_runs.verdict == "Keep a.csv: lower best val loss (3.32 against 4.30 for b.csv)."
    fourth = compare_runs(["a.csv", "b.csv"], [_diagnosis("a.csv", 0.4123, 0.30), _diagnosis("b.csv", 0.4127, 0.20)],
                          tolerance=0.0001)  # 0.0004 > 0.0001 * 0.4127: not a tie
    assert fourth.verdict == "Keep a.csv: lower best val loss (0.4123 against 0.4127 for b.csv)."
