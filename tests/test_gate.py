"""--fail-on parsing and which levels fire, on hand-built Insights."""

from __future__ import annotations

import pytest

from insight.errors import UsageError
from insight.gate import Gate, fired, outcomes, parse_fail_on, refuse_unreachable, unreachable
from insight.model import Finding
from insight.model.insight import ClassCount, CurveDiagnosis, Insight, Representation


def _insight(tiers=("well", "serious"), health=(), scenario=None) -> Insight:
    classes = tuple(ClassCount(f"c{i}", 10, 50.0, t, 0, {}) for i, t in enumerate(tiers))
    rep = Representation(cutoff=5, total=20, cutoff_factor=0.75, serious_factor=0.5, count_of="images",
                         classes=classes, verdict=Finding("balanced", "info"))
    curves = CurveDiagnosis(format="csv", source="x", scenario=scenario, findings=(), metrics=())
    return Insight(representation=rep, health=tuple(health), curves=curves)


def test_parse_levels_and_scenario_letters():
    assert parse_fail_on("serious,scenario:B,C,D,error") == Gate(frozenset({"serious", "error"}),
                                                                 frozenset({"B", "C", "D"}))
    assert parse_fail_on("scenario:c") == Gate(frozenset(), frozenset({"C"}))
    assert not parse_fail_on(None)
    with pytest.raises(UsageError, match="unknown level 'B'"):
        parse_fail_on("serious,B")  # a letter without scenario: is not a level


@pytest.mark.parametrize("text, message", [
    ("scenario:", "'scenario:' needs curve letters, e.g. scenario:B,C,D"),
    ("scenario:E", "unknown scenario 'E'; the scenarios are A, B, C and D"),
    ("scenario:B,C,bogus", "unknown level 'bogus'"),
    ("Serious,leak", "unknown level 'leak'"),
])
def test_bad_levels_are_one_line(text, message):
    with pytest.raises(UsageError) as err:
        parse_fail_on(text)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_levels_a_command_cannot_compute_are_refused_not_passed():
    gate = parse_fail_on("serious,leakage,scenario:C,B")
    assert unreachable(gate, dataset=True, duplicates=True, run=True) == []
    assert unreachable(gate, dataset=True, duplicates=False, run=True) == ["leakage"]
    assert unreachable(gate, dataset=True, duplicates=True, run=False) == ["scenario:B,C"]
    assert unreachable(gate, dataset=False, duplicates=False, run=True) == ["serious", "leakage"]
    with pytest.raises(UsageError) as err:
        refuse_unreachable(gate, {"leakage": "add --duplicates"}, dataset=True, duplicates=False, run=True)
    assert str(err.value) == "--fail-on leakage can never fire here: add --duplicates"


def test_serious_and_mild():
    assert fired(_insight(("well", "mild")), parse_fail_on("serious")) == []
    assert fired(_insight(("well", "mild")), parse_fail_on("mild")) == ["mild: 1 class(es) under-represented (c1)"]
    assert fired(_insight(("serious", "mild")), parse_fail_on("serious")) == [
        "serious: 1 class(es) seriously under-represented (c0)"]


def test_health_levels_and_leakage():
    health = (Finding("leakage_exact", "error", 3, values={"by_split": {"val": 2, "test": 1}}),
              Finding("leakage_near", "error", 1, values={"by_split": {"val": 1}}),
              Finding("images_without_labels", "warning", 2))
    insight = _insight(("well",), health)
    assert fired(insight, parse_fail_on("error")) == ["error: 2 data-health findings (leakage_exact, leakage_near)"]
    assert len(fired(insight, parse_fail_on("warning"))[0].split(",")) == 3
    # 3 exact + 1 near (the near ones never repeat an exact one), splits in the usual order
    assert fired(insight, parse_fail_on("leakage")) == ["leakage: 4 image(s) in val/test are copies of training images"]


def test_scenarios():
    assert fired(_insight(("well",), scenario="A"), parse_fail_on("scenario:B,C,D")) == []
    # one scenario is "Curve C" (the family is "Curves A-D"; the reason read "Curves C" before)
    assert fired(_insight(("well",), scenario="C"), parse_fail_on("scenario:B,C,D")) == [
        "scenario: the training curves are Curve C"]


def test_outcomes_name_every_level_in_order_with_its_reason_or_none():
    """The JUnit file has one case per level: every level of the gate is listed, in the order of the
    level list (whatever order the user wrote), and only those that fired carry a reason."""
    insight = _insight(("well", "mild"), (Finding("images_without_labels", "warning", 2),), scenario="B")
    gate = parse_fail_on("unjudged,scenario:D,B,warning,serious,mild,error")
    assert outcomes(insight, gate) == [
        ("serious", None),
        ("mild", "mild: 1 class(es) under-represented (c1)"),
        ("error", None),
        ("warning", "warning: 1 data-health finding (images_without_labels)"),
        ("scenario:B,D", "scenario: the training curves are Curve B"),  # "Curve B": one scenario
        ("unjudged", None),  # judged on train+val, scenario decided
    ]
    assert outcomes(insight, parse_fail_on(None)) == []
