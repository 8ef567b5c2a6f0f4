"""The section registry (insight/report/sections REGISTRY): every entry agrees with its builder, its
template and the context, and says truly whether it draws charts; the renderer runs each entry the
way its registration says."""

from __future__ import annotations

import dataclasses
import inspect
import os
from dataclasses import replace

import matplotlib.figure
import pytest

from insight.analysis.build import build_insight
from insight.charts.style import drawn_by
from insight.report import sections
from insight.report.renderer import run_forked
from insight.report.sections import NO_CHARTS, OWN_WORKER, REGISTRY, SPREAD, ReportContext
from insight.resources import templates_dir
from insight.diagnose.history import trends
from insight.diagnose.runs import compare_runs
from insight.report.serialize import insight_dict
from tests.builders import drifting_boxes
from tests.report import builders
from tests.report.test_data_boxes import detection_dataset


@pytest.fixture(scope="module")
def full_insight():
    """A detection dataset (boxes, 20 classes: paged class charts) with a run, so that every
    section that can draw has something to draw."""
    insight = build_insight(detection_dataset(20), None)
    drifting = build_insight(drifting_boxes(), None).split_drift  # a train/val difference to draw
    curves = builders.detection_curves_insight().curves
    runs = compare_runs(["a/results.csv", "b/results.csv"], [curves, curves])  # two runs to draw together
    doc = insight_dict(insight)
    history = trends("nights", [("night-1", "nights/night-1.json", doc)], doc)  # two nights to draw
    return replace(insight, curves=curves, split_drift=drifting, runs=runs, history=history)


@pytest.mark.parametrize("section", REGISTRY, ids=lambda s: s.name)
def test_the_builder_takes_exactly_what_the_entry_needs(section):
    parameters = inspect.signature(section.build).parameters.values()
    required = [p.name for p in parameters if p.default is inspect.Parameter.empty]
    assert required == list(section.needs)
    available = {f.name for f in dataclasses.fields(builders.pets_insight())} | {"insight", "task"}
    assert set(section.needs) <= available


@pytest.mark.parametrize("section", [s for s in REGISTRY if s.template], ids=lambda s: s.name)
def test_the_template_exists(section):
    assert (templates_dir() / section.template).is_file()


def test_a_page_section_has_a_template():
    assert all(s.template for s in REGISTRY if s.title)


def test_the_context_has_one_field_per_entry():
    names = [f.name for f in dataclasses.fields(ReportContext)]
    assert names == ["sections"] + [s.name for s in REGISTRY]


@pytest.fixture
def savefig_calls(monkeypatch):
    """How many figures were saved (every chart ends in Figure.savefig, charts/style.py to_svg)."""
    calls = []
    original = matplotlib.figure.Figure.savefig

    def counting(self, *args, **kwargs):
        calls.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", counting)
    return calls


@pytest.mark.parametrize("section", REGISTRY, ids=lambda s: s.name)
def test_the_entry_says_truly_whether_it_draws(section, full_insight, savefig_calls):
    """A section registered NO_CHARTS that drew would hold the command up; one registered to draw
    that never drew would fork a worker for nothing; SPREAD must hand its charts to draw_all. Some
    sections draw for one task only (the data section's own distribution chart: not for detection,
    whose boxes block draws it), so both a detection and a classification insight are rendered."""
    handed = []

    def mapper(calls):
        handed.append(len(calls))
        return [call() for call in calls]

    with drawn_by(mapper):
        for insight in (full_insight, builders.pets_insight()):
            sections.section_jobs(insight)[section.name]()
    assert bool(savefig_calls) == (section.charts != NO_CHARTS)
    if section.charts == SPREAD:
        assert handed, "a SPREAD section must draw through charts.style.draw_all"


def test_early_sections_are_built_from_the_counts_alone(full_insight):
    early = sections.early_jobs(full_insight.representation, "detection")
    assert set(early) == {s.name for s in REGISTRY if set(s.needs) <= {"representation", "task"}}
    later = sections.section_jobs(full_insight)
    for name, job in early.items():
        assert job() == later[name]()


def test_a_section_without_its_input_draws_nothing():
    insight = builders.curves_error_insight()  # no run: the curves draw nothing
    drawn = sections.charts_drawn(insight)
    assert drawn["curves"] == NO_CHARTS and drawn["summary"] == OWN_WORKER


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the workers are forked")
def test_the_renderer_forks_exactly_the_own_worker_sections():
    jobs = {"spread": os.getpid, "own": os.getpid, "quick": os.getpid, "other own": os.getpid}
    charts = {"spread": SPREAD, "own": OWN_WORKER, "quick": NO_CHARTS, "other own": OWN_WORKER}
    done = run_forked(jobs, charts)
    assert list(done) == list(jobs)  # in the given order
    here = os.getpid()
    assert done["spread"] == here and done["quick"] == here
    assert done["own"] != here and done["other own"] != here and done["own"] != done["other own"]
