"""The wording of every finding: one plain-text template per code, templates/findings/<code>.txt.

A finding's template sees its `values`, `count`, `examples` and `epoch`. The text is rendered without
HTML escaping (it goes into insight.json); the HTML report escapes it like any other string.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import jinja2

from insight.formatting import FILTERS
from insight.model.findings import Finding
from insight.resources import template_loader


@lru_cache(maxsize=1)
def _text_env() -> jinja2.Environment:
    env = jinja2.Environment(loader=template_loader(), autoescape=False,
                             undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=False)
    env.filters.update(FILTERS)
    return env


def message_for(finding: Finding) -> str:
    template = _text_env().get_template(f"findings/{finding.code}.txt")
    text = template.render(values=finding.values, count=finding.count, examples=finding.examples,
                           epoch=finding.epoch, v=finding.values, s=finding.shown)
    return " ".join(text.split())


def worded(finding: Finding) -> Finding:
    """The finding with its message filled in."""
    return replace(finding, message=message_for(finding))
