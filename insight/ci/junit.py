"""--junit FILE: the --fail-on levels and the error-level data-health findings as JUnit XML.

Built from the insight.json dict (the same data other programs read) and the gate's outcome per
level (insight.gate.outcomes). The layout CI systems read (Jenkins, GitLab, GitHub test reporters):

    <testsuites name="insight" tests failures errors skipped>
      <testsuite name="insight.fail-on">  one case per --fail-on level, a <failure> where it fired
      <testsuite name="insight.health">   (scan, report) one case per error-level data-health finding:
                                          a <failure> when --fail-on error or warning gates on it, else
                                          <skipped> (reported, but the exit code does not depend on it)

Curve findings have no suite: the --fail-on error (or warning) case's failure names those that fired, by
run (the gate sees every compared run; insight.json lists the findings of the kept run only).
The file's verdict and the exit code agree: it holds a failure exactly when the command exits 1.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

GATE_SUITE = "insight.fail-on"
HEALTH_SUITE = "insight.health"
GATING_LEVELS = ("error", "warning")  # levels that fire on an error-level data-health finding
# Characters XML 1.0 cannot hold at all, not even escaped (controls other than tab, line feed and carriage
# return; lone surrogates; U+FFFE and U+FFFF): a class or file name holding one would make the file unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: object) -> str:
    """`text` as XML 1.0 can hold it: characters it cannot are replaced by U+FFFD. Escaping of
    <, >, & and quotes is left to ElementTree."""
    return _NOT_XML.sub("\ufffd", str(text))


def junit_xml(doc: dict, outcomes: list[tuple[str, str | None]]) -> bytes:
    """The JUnit XML of one insight.json dict and its gate outcomes, as UTF-8 bytes."""
    gated = any(level in GATING_LEVELS for level, _ in outcomes)
    suites = [_gate_suite(doc, outcomes)] + ([_health_suite(doc, gated)] if doc.get("dataset") else [])
    root = ET.Element("testsuites", name="insight")
    _count(root, [case for suite in suites for case in suite.iter("testcase")])
    root.extend(suites)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8",
                                                                      xml_declaration=False) + b"\n"


def _gate_suite(doc: dict, outcomes: list[tuple[str, str | None]]) -> ET.Element:
    suite = ET.Element("testsuite", name=GATE_SUITE)
    _properties(suite, doc)
    for level, reason in outcomes:
        case = _case(suite, GATE_SUITE, f"--fail-on {level}")
        if reason:
            ET.SubElement(case, "failure", message=xml_text(reason), type="fail-on").text = xml_text(reason)
    _count(suite, list(suite.iter("testcase")))
    return suite


def _health_suite(doc: dict, gated: bool) -> ET.Element:
    suite = ET.Element("testsuite", name=HEALTH_SUITE)
    seen: dict[str, int] = {}
    for finding in doc.get("health") or ():
        if finding.get("severity") != "error":
            continue
        code = str(finding.get("code"))
        seen[code] = seen.get(code, 0) + 1
        case = _case(suite, HEALTH_SUITE, code if seen[code] == 1 else f"{code} ({seen[code]})")
        message = xml_text(finding.get("message") or code)
        if gated:
            ET.SubElement(case, "failure", message=message, type=xml_text(code)).text = _details(finding)
        else:
            ET.SubElement(case, "skipped", message="an error-level finding; the exit code depends on it "
                                                   f"only with --fail-on error: {message}")
    _count(suite, list(suite.iter("testcase")))
    return suite


def _case(suite: ET.Element, classname: str, name: str) -> ET.Element:
    return ET.SubElement(suite, "testcase", name=xml_text(name), classname=classname)


def _details(finding: dict) -> str:
    lines = [str(finding.get("message") or finding.get("code")), f"count: {finding.get('count')}"]
    lines += [f"example: {e}" for e in finding.get("examples") or ()]
    return xml_text("\n".join(lines))


def _properties(suite: ET.Element, doc: dict) -> None:
    """What was read, so that a CI page says which dataset and run the cases are about."""
    dataset, curves = doc.get("dataset") or {}, doc.get("curves") or {}
    values = {"insight.version": doc.get("insight_version"), "insight.report_id": doc.get("report_id"),
              "insight.generated_at": doc.get("generated_at"), "dataset": dataset.get("path"),
              "run": curves.get("source"), "curves.scenario": curves.get("scenario")}
    props = ET.SubElement(suite, "properties")
    for name, value in values.items():
        if value is not None:
            ET.SubElement(props, "property", name=name, value=xml_text(value))


def _count(element: ET.Element, cases: list[ET.Element]) -> None:
    element.set("tests", str(len(cases)))
    element.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    element.set("errors", "0")
    element.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
