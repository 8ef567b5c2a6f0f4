"""Render report.html and report.pdf in a helper process that works while the statistics are made.

Rendering an 80-class report is about a second of imports and fonts, a second of charts and a
second of PDF layout, whatever the size of the dataset. `insight report` starts a `Renderer` before
it reads anything, and tells it what it knows as soon as it knows it:

1. `warm()` once the dataset is read: the helper imports matplotlib and Jinja, on a core the scan
   no longer uses (doing it during the scan slowed the scan);
2. `begin(representation, task)` once the label counts are known: the helper forks one worker that
   draws the summary (and label-distribution) charts, then imports WeasyPrint and loads the fonts,
   while the command computes the box, mask and health statistics on the other core (the charts no
   longer wait for the PDF library: begin came after a warm-up that outlasted the statistics);
3. `render(insight, out)` with the finished Insight: the other charts are drawn, their pages in
   forked workers, then the HTML and the PDF are made and sent back. The command writes the files
   (report/write.py); the helper never touches the output folder.

The helper renders one report. It exits after answering, or as soon as the command's end of the pipe
closes (the command finished early, failed or was killed). If it cannot start (one core, `--workers
1`, a system without fork) or dies before it answers, the report is rendered in the command's own
process; an error raised while rendering (a bug) is raised again in the command.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import multiprocessing
import os
import signal
from pathlib import Path

from insight.pool import Forked, available_cpus, die_with_parent

LOG = logging.getLogger(__name__)



def render_in_process(insight, out: Path, run_jobs=None, pdf: bool = True) -> tuple[str, bytes | None]:
    """(report.html text, report.pdf bytes or None without `pdf`) of `insight`; `run_jobs` runs the
    section jobs (in this process, in order, by default). WeasyPrint failing to start (no Pango) is a
    UsageError that says to use --no-pdf."""
    from insight.report.html import render_context
    from insight.report.sections import build_report_context, run_in_order
    from insight.report.serialize import utf8_safe

    render_pdf = pdf_renderer() if pdf else None
    context = build_report_context(insight, run_jobs or run_in_order)
    html = utf8_safe(render_context(context, "screen"))
    if render_pdf is None:
        return html, None
    day = dt.date.fromisoformat(insight.generated) if insight.generated else None  # the report's date
    return html, render_pdf(context, lambda ctx: utf8_safe(render_context(ctx, "print")), out, day)


def pdf_renderer():
    """insight.report.pdf.render_report_pdf; importing WeasyPrint loads Pango and its kin from the system."""
    try:
        from insight.report.pdf import render_report_pdf
    except (OSError, ImportError) as exc:
        from insight.report.pdf_check import pdf_unavailable

        raise pdf_unavailable(exc) from None
    return render_report_pdf


def warm_charts() -> None:
    """Import the chart modules (matplotlib) and the HTML templates (Jinja)."""
    import insight.charts.boxes
    import insight.charts.classes
    import insight.charts.curves
    import insight.charts.masks
    import insight.charts.multilabel
    import insight.report.html  # noqa: F401


def warm_pdf() -> None:
    """Import WeasyPrint and lay out one tiny PDF, so Pango and the fonts are loaded."""
    from weasyprint import HTML

    import insight.report.pdf  # noqa: F401

    HTML(string="<p style='font-family: DejaVu Sans'>insight <b>report</b> "
                "<span style='font-family: DejaVu Sans Mono'>1,234</span></p>").write_pdf()


def forked_calls(calls: list) -> list:
    """Independent chart calls (insight.charts.style.draw_all): all but the first in forked copies,
    the first here."""
    others = [Forked(call) for call in calls[1:]]
    first = calls[0]()
    return [first] + [job.result() for job in others]


def run_forked(jobs: dict, charts: dict[str, str], early: Forked | None = None,
               early_names: tuple[str, ...] = ()) -> dict:
    """The section jobs' results by name. `charts` says how each draws (sections.charts_drawn);
    `early` is computing the jobs named `early_names` already. The others that draw in a worker of
    their own are forked; the rest run here while the workers draw, those that spread their charts
    over workers first."""
    from insight.charts.style import drawn_by
    from insight.report.sections import OWN_WORKER, SPREAD

    early_names = early_names if early is not None else ()
    todo = [name for name in jobs if name not in early_names]
    forks = {name: Forked(jobs[name]) for name in todo if charts[name] == OWN_WORKER}
    here = sorted((name for name in todo if name not in forks), key=lambda name: charts[name] != SPREAD)
    with drawn_by(forked_calls):
        local = {name: jobs[name]() for name in here}
    results = {**local, **{name: job.result() for name, job in forks.items()}}
    if early is not None:
        results.update(early.result())
    return {name: results[name] for name in jobs}


def _quietly(step, what: str) -> None:
    """step(); a failure is logged at debug level only (a warm-up that fails leaves the work to render())."""
    try:
        step()
    except Exception:
        LOG.debug("renderer: %s failed", what, exc_info=True)


class _Helper:
    """The helper process's state between messages."""

    def __init__(self, pdf: bool = True):
        self.pdf = pdf
        self.warm = False
        self.pdf_warm = not pdf
        self.early_rep = None
        self.early: Forked | None = None
        self.early_names: tuple[str, ...] = ()

    def handle(self, kind: str, payload: tuple):
        if kind == "warm":
            self._warm()
        elif kind == "begin":
            from insight.report.sections import early_jobs, run_in_order

            self._warm()
            self.early_rep = payload
            jobs = early_jobs(*payload)
            self.early_names = tuple(jobs)
            self.early = Forked(lambda: run_in_order(jobs))  # one worker: the command still runs
            self._warm_pdf()
        elif kind == "render":
            self._warm()
            self._warm_pdf()
            insight, out, pdf = payload
            task = insight.dataset.task if insight.dataset else None
            early = self.early if (insight.representation, task) == self.early_rep else None
            if early is None and self.early is not None:
                self._discard(self.early)
            from insight.report.sections import charts_drawn

            charts = charts_drawn(insight)
            return render_in_process(insight, out,
                                     run_jobs=lambda jobs: run_forked(jobs, charts, early, self.early_names),
                                     pdf=pdf)
        return None

    def _warm(self):
        if not self.warm:
            self.warm = True
            _quietly(warm_charts, "warm-up of the charts")
            # One report, then exit: the garbage collector's passes over the charts' and the
            # layout's objects cost a tenth of the rendering, for some tens of MB kept instead.
            gc.freeze()
            gc.disable()

    def _warm_pdf(self):
        if not self.pdf_warm:
            self.pdf_warm = True
            _quietly(warm_pdf, "warm-up of the PDF")

    @staticmethod
    def _discard(job: Forked):
        try:
            job.result()
        except Exception:  # its result is not wanted, nor its failure
            LOG.debug("an early chart job failed", exc_info=True)


def _serve(conn, parent_end, parent: int, pdf: bool = True) -> None:
    die_with_parent(parent)
    parent_end.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the command's to handle
    helper = _Helper(pdf)
    while True:
        try:
            kind, *payload = conn.recv()
        except (EOFError, OSError):  # the command ended without a report to render
            return
        if kind != "render":
            try:
                helper.handle(kind, tuple(payload))
            except Exception:
                LOG.debug("renderer: %s failed", kind, exc_info=True)
            continue
        try:
            result = ("done", helper.handle(kind, tuple(payload)))
        except Exception as exc:  # noqa: BLE001 - raised again in the command
            result = ("error", exc)
        try:
            conn.send(result)
        except Exception as exc:  # noqa: BLE001 - an exception that cannot be pickled
            conn.send(("error", RuntimeError(f"{type(exc).__name__} while rendering: {exc}")))
        conn.close()
        return


class Renderer:
    """A helper process that renders one report; see the module's notes."""

    def __init__(self, process=None, conn=None):
        self._process, self._conn = process, conn

    @classmethod
    def start(cls, enabled: bool = True, pdf: bool = True) -> Renderer:
        """Start the helper now (call it before the scan); `enabled=False`, one core or a system
        where no process can be forked give a Renderer that renders in the calling process.
        `pdf=False` (--no-pdf): the helper never loads WeasyPrint."""
        if not enabled or available_cpus() < 2:
            return cls()
        from insight.pool import mp_context

        try:
            context = mp_context()
            if context.get_start_method() != "fork":
                return cls()  # a fresh interpreter would import everything anew: no gain
            mine, theirs = context.Pipe()
            # not a daemon: it forks the chart workers; it ends when this end of the pipe closes
            process = context.Process(target=_serve, args=(theirs, mine, os.getpid(), pdf),
                                      name="insight-renderer")
            process.start()
        except (OSError, ValueError, multiprocessing.ProcessError):
            return cls()
        theirs.close()
        return cls(process, mine)

    @property
    def helping(self) -> bool:
        """True while a helper process is there to render."""
        return self._process is not None

    def warm(self) -> None:
        """The scan is done: load the rendering libraries now."""
        self._tell("warm")

    def begin(self, representation, task: str | None) -> None:
        """The label counts are known: start drawing the charts made from them."""
        self._tell("begin", representation, task)

    def _tell(self, *message) -> None:
        if self._process is None:
            return
        try:
            self._conn.send(message)
        except Exception:  # the helper is gone, or the message cannot be pickled: render() renders here
            LOG.debug("renderer process cannot be told %s; the report will be rendered here", message[0],
                      exc_info=True)
            self.close()

    def render(self, insight, out: Path, pdf: bool = True) -> tuple[str, bytes | None]:
        if self._process is None:
            return render_in_process(insight, out, pdf=pdf)
        try:
            self._conn.send(("render", insight, Path(out), pdf))
            status, value = self._conn.recv()
        except Exception:  # no answer (the helper died), or one that cannot be pickled either way
            LOG.debug("renderer process gave no answer; rendering here", exc_info=True)
            self.close()
            return render_in_process(insight, out, pdf=pdf)
        self.close()
        if status == "error":
            raise value
        return value

    def close(self) -> None:
        """Stop the helper: it has answered, or its work is no longer wanted."""
        if self._process is None:
            return
        self._conn.close()
        self._process.join(timeout=1)  # it exits at once after answering
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._process = None

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
