"""Insight -> report.html: one Jinja environment (autoescape on, StrictUndefined, the filters of
filters.py), templates from the `insight.templates` package, contexts from report/sections."""

from __future__ import annotations

from functools import lru_cache

import jinja2

from insight.model.insight import Insight
from insight.report.filters import FILTERS
from insight.report.sections import MEDIA, ReportContext, build_report_context
from insight.resources import template_loader

REPORT_TEMPLATE = "report.html"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The report's Jinja environment. Every value is HTML-escaped unless it is markupsafe.Markup
    (only the charts' SVG is), and a name or attribute that does not exist raises."""
    env = jinja2.Environment(loader=template_loader(), autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(FILTERS)
    return env


def render_html(insight: Insight, medium: str = "screen") -> str:
    """The whole report as one self-contained HTML page (CSS inlined, charts inline SVG, no script)."""
    return render_context(build_report_context(insight), medium)


def render_context(context: ReportContext, medium: str = "screen") -> str:
    """The page of a built context. medium "screen" is report.html; "print" is the page WeasyPrint
    makes report.pdf from: the same sections but the tables of chart values, charts without their
    hover regions, short lists where the screen has long ones."""
    if medium not in MEDIA:
        raise ValueError(f"medium must be one of {MEDIA}, got {medium!r}")
    return environment().get_template(REPORT_TEMPLATE).render(medium=medium, **context.as_template_vars())
