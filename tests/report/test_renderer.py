"""The report's renderer process (insight/report/renderer.py): what it renders is what the command
would have rendered itself, a failure in it reaches the command, and it never outlives the command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace

import pytest

from insight.charts.style import draw_pages, drawn_by
from insight.report import renderer as renderer_module
from insight.analysis.build import build_insight
from insight.report.renderer import Forked, Renderer, forked_calls, render_in_process
from tests.report import builders
from tests.report.test_data_boxes import detection_dataset

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the renderer process is forked")


def started_helper() -> Renderer:
    """A started Renderer with its helper process, or a skip where the machine cannot start one (one
    CPU, `fork` not the start method now, no process can be forked): insight then renders in the
    command, which the tests without a helper cover."""
    renderer = Renderer.start()
    if not renderer.helping:
        pytest.skip(f"no renderer helper process on this machine ({os.cpu_count()} CPU(s) seen; the report "
                    "is rendered in the command)")
    return renderer


@pytest.fixture
def helper():
    with started_helper() as renderer:
        yield renderer


@pytest.fixture(scope="module")
def detection_insight():
    """45 classes: the class charts take two pages each, so pages are drawn in parallel too."""
    return build_insight(detection_dataset(45), None, today=None)


@pytest.fixture(scope="module")
def rendered_here(detection_insight, tmp_path_factory):
    """(out folder, what rendering in this process makes of detection_insight there)."""
    out = tmp_path_factory.mktemp("out")
    return out, render_in_process(detection_insight, out)


def test_the_helper_renders_what_the_command_would(detection_insight, rendered_here, helper):
    tmp_path, expected = rendered_here
    helper.warm()
    helper.begin(detection_insight.representation, "detection")
    html, pdf = helper.render(detection_insight, tmp_path)
    assert html == expected[0]
    assert pdf == expected[1]


def test_charts_begun_from_other_counts_are_not_used(detection_insight, rendered_here, helper):
    """begin() with a representation that is not the final one: the final one is drawn."""
    tmp_path, expected = rendered_here
    other = builders.pets_insight().representation
    helper.begin(other, "classification")
    html, _ = helper.render(detection_insight, tmp_path)
    assert html == expected[0]
    assert "fish" not in html  # a pets class: the charts begun from the pets counts were dropped


def test_an_error_while_rendering_is_raised_in_the_command(tmp_path, monkeypatch):
    def broken(insight, out, run_jobs=None, pdf=True):
        raise KeyError("no such chart")

    monkeypatch.setattr(renderer_module, "render_in_process", broken)  # the forked helper inherits it
    with started_helper() as renderer, pytest.raises(KeyError, match="no such chart"):
        renderer.render(builders.pets_insight(), tmp_path)


def test_a_helper_that_died_is_replaced_by_rendering_here(tmp_path, helper):
    insight = builders.pets_insight()
    os.kill(helper._process.pid, signal.SIGKILL)
    helper._process.join()
    helper.warm()  # telling a dead helper is not an error
    html, pdf = helper.render(insight, tmp_path)
    assert (html, pdf) == render_in_process(insight, tmp_path)


def test_one_worker_renders_in_the_command():
    with Renderer.start(enabled=False) as renderer:
        assert not renderer.helping


def test_forked_returns_the_result_or_raises_the_error():
    assert Forked(lambda: os.getpid()).result() != os.getpid()
    with pytest.raises(ZeroDivisionError):
        Forked(lambda: 1 / 0).result()


def test_pages_in_parallel_come_back_in_order():
    def page(n, key):
        return f"{key}:{n}:{os.getpid()}"

    pages = [(n, "k") for n in range(4)]
    with drawn_by(forked_calls):
        drawn = draw_pages(page, pages)
    assert [d.split(":")[:2] for d in drawn] == [["k", str(n)] for n in range(4)]
    assert drawn[0].endswith(str(os.getpid())) and len({d.split(":")[2] for d in drawn}) == 4
    assert draw_pages(page, pages) == [f"k:{n}:{os.getpid()}" for n in range(4)]  # outside: here, in order


def test_the_helper_dies_with_a_killed_command(tmp_path):
    """SIGKILL the command while its helper is inside WeasyPrint's write_pdf: the helper is gone
    within seconds (it asked Linux to kill it with its parent) and nothing was written."""
    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG is Linux's")
    started_helper().close()  # the command below starts one the same way
    out = tmp_path / "out"
    script = textwrap.dedent(f"""
        import os, sys, time
        import weasyprint.document
        def stalled(self, *args, **kwargs):
            print("helper", os.getpid(), flush=True)
            time.sleep(120)
        weasyprint.document.Document.write_pdf = stalled
        from tests.report import builders
        from insight.report.renderer import Renderer
        with Renderer.start() as renderer:
            renderer.render(builders.pets_insight(), {str(out)!r})
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                             cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    try:
        word, pid = child.stdout.readline().split()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert word == "helper" and int(pid) != child.pid
    for _ in range(100):
        if not _alive(int(pid)):
            break
        time.sleep(0.05)
    assert not _alive(int(pid))
    assert not out.exists()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[1][0] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


def test_the_renderer_sees_the_final_insight_not_a_copy_of_an_early_one(detection_insight, tmp_path, helper):
    """The Insight sent at render time wins over anything sent before (here: a changed verdict)."""
    changed = replace(detection_insight, representation=replace(
        detection_insight.representation,
        verdict=replace(detection_insight.representation.verdict, message="A verdict set by the test.")))
    helper.begin(detection_insight.representation, "detection")
    html, _ = helper.render(changed, tmp_path)
    assert "A verdict set by the test." in html


def test_an_insight_that_cannot_be_pickled_is_rendered_here(tmp_path, helper):
    """Nothing in an Insight stops pickling today; if something ever does, the report is still made."""
    insight = replace(builders.pets_insight(), extras={"not picklable": lambda: None})
    helper.begin(insight.representation, "classification")
    html, pdf = helper.render(insight, tmp_path)
    assert not helper.helping
    assert (html, pdf) == render_in_process(insight, tmp_path)


def test_the_helper_starts_the_early_charts_before_it_loads_the_pdf_library(monkeypatch):
    """The label-count charts must not wait for WeasyPrint: 'warm' loads the chart libraries only, and
    'begin' forks the early charts' worker first, then loads the PDF library while that worker draws
    (the PDF warm-up outlasted the statistics it was meant to overlap)."""
    calls = []
    monkeypatch.setattr(renderer_module, "warm_charts", lambda: calls.append("charts"))
    monkeypatch.setattr(renderer_module, "warm_pdf", lambda: calls.append("pdf"))

    class Recorded:
        def __init__(self, fn):
            calls.append("fork early charts")

    monkeypatch.setattr(renderer_module, "Forked", Recorded)
    monkeypatch.setattr(renderer_module.gc, "freeze", lambda: None)
    monkeypatch.setattr(renderer_module.gc, "disable", lambda: None)
    helper = renderer_module._Helper(pdf=True)
    helper.handle("warm", ())
    assert calls == ["charts"]
    helper.handle("begin", (None, "detection"))
    assert calls == ["charts", "fork early charts", "pdf"]
    no_pdf = renderer_module._Helper(pdf=False)
    calls.clear()
    no_pdf.handle("begin", (None, "detection"))
    assert calls == ["charts", "fork early charts"]  # --no-pdf: WeasyPrint is never loaded
