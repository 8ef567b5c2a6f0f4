"""report.html from hand-built Insights: structure, escaping, strictness, determinism.

Expected numbers come from tests/report/builders.py's docstring (worked out by hand from
docs/numbers.md), never from the renderer's own output.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest

from insight.report.html import environment, render_html
from insight.report.sections import REGISTRY, build_report_context
from tests.report import builders

GOLDEN = Path(__file__).parent / "golden"
# The core sections in their fixed order; other sections may be added between them (REGISTRY).
SECTION_ORDER = ["answer", "summary", "curves", "data", "health", "tables", "how-to-read"]


class Outline(HTMLParser):
    """Section ids, headings and figure ids in document order (what the golden file fixes)."""

    def __init__(self):
        super().__init__()
        self.sections: list[str] = []
        self.lines: list[str] = []
        self._heading: str | None = None
        self._text = ""
        self.tags: set[str] = set()

    def core_lines(self) -> list[str]:
        """The outline of the core sections only (added sections are left out)."""
        keep, out = True, []
        for line in self.lines:
            if line.startswith("section#"):
                keep = line.removeprefix("section#") in SECTION_ORDER
            if keep:
                out.append(line)
        return out

    def core_sections(self) -> list[str]:
        return [s for s in self.sections if s in SECTION_ORDER]

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        attrs = dict(attrs)
        if tag == "section":
            self.sections.append(attrs["id"])
            self.lines.append(f"section#{attrs['id']}")
        elif tag == "figure":
            self.lines.append(f"  figure#{attrs['id']}")
        elif tag in ("h1", "h2", "h3"):
            self._heading, self._text = tag, ""

    def handle_data(self, data):
        if self._heading:
            self._text += data

    def handle_endtag(self, tag):
        if tag == self._heading:
            self.lines.append(f"  {tag}: {' '.join(self._text.split())}")
            self._heading = None


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def pets_html() -> str:
    return render_html(builders.pets_insight())


def test_sections_in_order(pets_html):
    found = outline(pets_html)
    assert found.core_sections() == SECTION_ORDER
    pages = [s.page.id for s in REGISTRY if s.page and not s.optional]
    assert found.sections == ["answer"] + pages


def test_structure_matches_golden(pets_html):
    # The golden file fixes headings, sections and figures only: no numbers, no chart content.
    expected = (GOLDEN / "pets_outline.txt").read_text(encoding="utf-8").splitlines()
    assert outline(pets_html).core_lines() == expected


def test_cutoff_label_and_labels_to_add(pets_html):
    # cutoff 56, bird needs 4 and fish 55 (see builders.py for the working).
    assert "Cutoff threshold: 56 labels" in pets_html
    ctx = build_report_context(builders.pets_insight())
    assert [(r.name, r.tier, r.to_add) for r in ctx.summary.to_add] == [("fish", "serious", 55),
                                                                        ("bird", "mild", 4)]


def test_no_script_and_no_external_resources(pets_html):
    tags = outline(pets_html).tags
    assert "script" not in tags and "link" not in tags
    sources = re.findall(r'\bsrc="([^"]*)"', pets_html)
    assert all(s.startswith("data:") for s in sources)  # embedded images only, never a URL
    assert 'href="http' not in pets_html


def test_autoescape_class_names_and_messages():
    html = render_html(builders.hostile_insight())
    assert builders.XSS_NAME not in html  # never raw: not in the tables, the chart text or a message
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html
    # "{{7*7}}" is data: it appears as written and is never evaluated to 49.
    assert "Add {{7*7}}" in html  # the verdict sentence of builders.hostile_insight
    assert "Add 49" not in html


def test_strict_undefined_catches_a_missing_field():
    ctx = build_report_context(builders.pets_insight())
    with pytest.raises(jinja2.UndefinedError):
        environment().from_string("{{ summary.no_such_field }}").render(summary=ctx.summary)
    variables = ctx.as_template_vars()
    del variables["health"]
    with pytest.raises(jinja2.UndefinedError):
        environment().get_template("report.html").render(**variables)


def test_autoescape_is_on_for_every_template():
    assert environment().from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"


def test_curves_error_still_renders_every_section():
    html = render_html(builders.curves_error_insight())
    assert outline(html).core_sections() == SECTION_ORDER
    assert "results.csv: no train or val loss column found" in html
    assert 'id="fig-loss-loss"' not in html
    assert 'id="fig-classes-1"' in html


def test_curve_charts_one_per_loss_and_metric():
    html = render_html(builders.detection_curves_insight())
    figures = [line.strip() for line in outline(html).lines if "figure#fig-" in line]
    losses = [f for f in figures if f.startswith("figure#fig-loss-")]
    metrics = [f for f in figures if f.startswith("figure#fig-metric-")]
    assert losses == ["figure#fig-loss-loss", "figure#fig-loss-box_loss", "figure#fig-loss-cls_loss",
                      "figure#fig-loss-dfl_loss"]
    assert metrics == ["figure#fig-metric-mAP50", "figure#fig-metric-mAP50_95", "figure#fig-metric-precision",
                       "figure#fig-metric-recall"]
    assert "(log scale)" in html  # cls_loss grows by 10^10 in the builder


def test_eighty_classes_split_into_two_charts_and_listed_in_full():
    insight = builders.many_classes_insight()
    html = render_html(insight)
    figures = [line.strip() for line in outline(html).lines if "figure#fig-classes" in line]
    assert figures == ["figure#fig-classes-1", "figure#fig-classes-2"]  # 40 + 40 bars
    for name in insight.dataset.classes:
        assert f'<td class="text">{name}</td>' in html  # the tables section lists every class


def test_rendering_is_deterministic():
    first = render_html(builders.detection_curves_insight())
    second = render_html(builders.detection_curves_insight())
    assert first == second


def test_svg_ids_are_unique_in_the_page():
    html = render_html(builders.detection_curves_insight())
    ids = [a for a in _ids(html)]
    assert len(ids) == len(set(ids))


def _ids(html: str) -> list[str]:
    class Ids(HTMLParser):
        def __init__(self):
            super().__init__()
            self.ids = []

        def handle_starttag(self, tag, attrs):
            self.ids += [v for k, v in attrs if k == "id"]

    parser = Ids()
    parser.feed(html)
    return parser.ids


def test_tables_of_values_are_in_the_screen_page_only_collapsed():
    from insight.report.html import render_context

    ctx = build_report_context(builders.pets_insight())
    screen, printed = render_context(ctx, "screen"), render_context(ctx, "print")
    assert outline(screen).sections[-2:] == ["tables", "how-to-read"]
    assert "tables" not in outline(printed).sections and 'href="#tables"' not in printed
    assert screen.count('<details class="value-table"') == len(ctx.tables.tables) > 0
    # the pets class table, its rows by labels largest first: dog 123, cat 110, bird 53, fish 11 (builders.PETS)
    (classes,) = [t for t in ctx.tables.tables if t.key == "t-classes"]
    assert [classes.rows[i][0].value for i in classes.orders[2]] == ["dog", "cat", "bird", "fish"]
    with pytest.raises(ValueError, match="medium"):
        render_context(ctx, "paper")
