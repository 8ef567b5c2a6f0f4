"""--fail-on unjudged: parsed, refused where no run is read, fired by what the curves were judged on."""

from __future__ import annotations

import pytest

from insight.errors import UsageError
from insight.gate import fired, parse_fail_on, refuse_unreachable, unreachable
from insight.model.insight import CurveDiagnosis, Insight


def _curves(judged_on: str, scenario: str | None = "A") -> Insight:
    return Insight(curves=CurveDiagnosis(format="csv", source="x", scenario=scenario,
                                                      judged_on=judged_on))


def test_unjudged_is_a_level_that_needs_a_run():
    gate = parse_fail_on("unjudged,scenario:B")
    assert unreachable(gate, dataset=True, duplicates=True, run=True) == []
    assert unreachable(gate, dataset=True, duplicates=True, run=False) == ["scenario:B", "unjudged"]
    with pytest.raises(UsageError) as err:
        refuse_unreachable(parse_fail_on("unjudged"), {"scenario": "add --run LOGS"}, dataset=True,
                           duplicates=True, run=False)
    assert str(err.value) == "--fail-on unjudged can never fire here: add --run LOGS"


@pytest.mark.parametrize("judged_on, scenario, fires", [
    ("train", "A", "the log holds no validation loss"),
    ("train+val", None, "the curves are too short to judge"),
    ("train+val", "C", None),
    ("val", "A", None),
])
def test_unjudged_fires_without_a_validation_loss_or_a_verdict(judged_on, scenario, fires):
    reasons = fired(_curves(judged_on, scenario), parse_fail_on("unjudged"))
    assert reasons == ([] if fires is None else [reasons[0]]) and (fires is None or fires in reasons[0])


def test_a_degenerate_run_is_unjudged_for_what_it_is_not_for_being_short():
    from insight.model.findings import Finding, Severity

    rule = Finding("degenerate_run", Severity.ERROR, values={"losses_read_as": "A"})
    curves = CurveDiagnosis(format="csv", source="x", scenario=None, judged_on="train+val", rule_finding=rule)
    reasons = fired(Insight(curves=curves), parse_fail_on("unjudged"))
    assert reasons == ["unjudged: the run learned nothing (every validation quality metric is 0 throughout), "
                       "so its curves cannot be judged"]
