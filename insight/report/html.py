"""Insight -> report.html: one Jinja environment (autoescape on, StrictUndefined, the filters of
filters.py), templates from the `insight.templates` package, contexts from report/sections."""

from __future__ import annotations

from functools import lru_cache

import jinja2

from insight.model.insight import Insight
from insight.report.filters import FILTERS
from insight.report.sections import build_report_context
from insight.report.templates import template_loader

REPORT_TEMPLATE = "report.html"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The report's Jinja environment. Every value is HTML-escaped unless it is markupsafe.Markup
    (only the charts' SVG is), and a name or attribute that does not exist raises."""
    env = jinja2.Environment(loader=template_loader(), autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(FILTERS)
    return env


def render_html(insight: Insight) -> str:
    """The whole report as one self-contained HTML page (CSS inlined, charts inline SVG, no script)."""
    context = build_report_context(insight)
    return environment().get_template(REPORT_TEMPLATE).render(**context.as_template_vars())
