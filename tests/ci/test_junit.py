"""--junit: parsed back with junitparser (and so with a strict XML parser); every expected case, count
and message below is worked out by hand from the hand-written dicts in tests/ci/docs.py."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from junitparser import Failure, JUnitXml, Skipped

from insight.ci.junit import junit_xml
from tests.ci.docs import HOSTILE, curves_doc, dataset_doc, finding

CLEAN = HOSTILE.replace("\x01", "\ufffd")  # XML 1.0 cannot hold U+0001 at all, even escaped


def parsed(data: bytes) -> JUnitXml:
    ET.fromstring(data)  # expat: well-formed, or this raises
    return JUnitXml.fromstring(data.decode("utf-8"))


def cases(xml: JUnitXml) -> dict[str, list]:
    return {suite.name: [(case.name, [type(r).__name__ for r in case.result], [r.message for r in case.result])
                         for case in suite] for suite in xml}


def test_one_case_per_level_and_per_error_finding_failing_where_it_fires():
    """Levels serious, error, scenario:B,C,D: serious and error fired (2 failures), scenario passed.
    Health: two error-level findings (the warning and the note are no cases), both failures because
    --fail-on error gates on them. 5 cases, 4 failures."""
    health = [finding("unreadable_image", "error", f"1 image of {HOSTILE} cannot be read.", examples=["a.jpg"]),
              finding("images_without_labels", "warning", "2 images have no label.", 2),
              finding("unreadable_image", "error", "1 more.", 1),
              finding("class_never_used", "info", "dog is never used.")]
    outcomes = [("serious", f"serious: 1 class(es) seriously under-represented ({HOSTILE})"),
                ("error", "error: 2 data-health findings (unreadable_image, unreadable_image)"),
                ("scenario:B,C,D", None)]
    xml = parsed(junit_xml(dataset_doc(health), outcomes))
    assert (xml.tests, xml.failures, xml.errors, xml.skipped) == (5, 4, 0, 0)
    assert cases(xml) == {
        "insight.fail-on": [
            ("--fail-on serious", ["Failure"], [f"serious: 1 class(es) seriously under-represented ({CLEAN})"]),
            ("--fail-on error", ["Failure"], ["error: 2 data-health findings (unreadable_image, unreadable_image)"]),
            ("--fail-on scenario:B,C,D", [], []),
        ],
        "insight.health": [
            ("unreadable_image", ["Failure"], [f"1 image of {CLEAN} cannot be read."]),
            ("unreadable_image (2)", ["Failure"], ["1 more."]),
        ],
    }
    failure = next(iter(next(iter(xml)))).result[0]
    assert isinstance(failure, Failure) and failure.type == "fail-on"
    health_case = list(list(xml)[1])[0]
    assert health_case.result[0].text == f"1 image of {CLEAN} cannot be read.\ncount: 1\nexample: a.jpg"
    assert {p.name: p.value for p in list(xml)[0].properties()} == {
        "insight.version": "0.1.0", "insight.report_id": "0123456789abcdef",
        "insight.generated_at": "2026-11-22T12:20:00Z", "dataset": "data/pets"}


def test_error_findings_that_no_level_gates_are_skipped_not_failed():
    """--fail-on serious only: the exit code does not depend on the error-level finding, so its case is
    skipped (reported) rather than failed; the file fails exactly when the command exits 1."""
    health = [finding("image_missing", "error", "3 images are missing.", 3)]
    xml = parsed(junit_xml(dataset_doc(health), [("serious", None)]))
    assert (xml.tests, xml.failures, xml.skipped) == (2, 0, 1)
    (case,) = list(list(xml)[1])
    assert isinstance(case.result[0], Skipped) and "3 images are missing." in case.result[0].message


def test_warning_level_gates_error_findings_too():
    health = [finding("image_missing", "error", "3 images are missing.", 3)]
    xml = parsed(junit_xml(dataset_doc(health), [("warning", "warning: 1 data-health finding (image_missing)")]))
    assert (xml.tests, xml.failures, xml.skipped) == (2, 2, 0)


def test_curves_have_no_health_suite_and_no_gate_means_no_level_case():
    """`insight curves --fail-on scenario:C`: one case, failed. Without --fail-on: no case at all."""
    xml = parsed(junit_xml(curves_doc("C"), [("scenario:C", "scenario: the training curves are Curve C")]))
    assert [s.name for s in xml] == ["insight.fail-on"]
    assert (xml.tests, xml.failures) == (1, 1)
    assert {p.name: p.value for p in list(xml)[0].properties()} == {
        "insight.version": "0.1.0", "run": "runs/exp/results.csv", "curves.scenario": "C"}
    assert parsed(junit_xml(curves_doc("A"), [])).tests == 0
