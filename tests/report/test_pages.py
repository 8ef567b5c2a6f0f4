"""The printed pages: what WeasyPrint lays out from the print page (no PDF file is read back).

The page header names the section the page starts in. A section that begins lower on a page (data
health after the data statistics) must not rename the page above it.
"""

from __future__ import annotations

from weasyprint import HTML

from insight.report.html import render_html
from tests.report import builders

SECTIONS = ("Insight summary", "Training curves", "Data statistics", "Data health",
            "How to read this report")


def _texts(box) -> list[str]:
    out = [box.text] if hasattr(box, "text") else []
    for child in getattr(box, "children", None) or []:
        out += _texts(child)
    return out


def _pages(html: str) -> list[tuple[str, str]]:
    """(top-right header, the page's body text) per page."""
    pages = []
    for page in HTML(string=html).render().pages:
        header = body = ""
        for box in page._page_box.children:
            keyword = getattr(box, "at_keyword", None)
            if keyword == "@top-right":
                header = " ".join(_texts(box))
            elif not keyword:
                body = " ".join(" ".join(_texts(box)).split())
        pages.append((header, body))
    return pages


def test_page_header_names_the_section_the_page_starts_in():
    checked_mid_page = False
    for insight in (builders.many_classes_insight(), builders.pets_insight()):
        pages = _pages(render_html(insight, "print"))  # the page report.pdf is made from
        current = -1  # index in SECTIONS of the section the page starts in
        for header, body in pages[1:]:  # page 1, the answer, has no header
            if any(body.startswith(s) for s in SECTIONS[current + 1:]):
                current = next(i for i, s in enumerate(SECTIONS) if body.startswith(s))
            assert header == SECTIONS[current], (header, body[:60])
            # sections come in order: a later title on this page began lower down
            begun = [i for i, s in enumerate(SECTIONS) if i > current and s in body]
            checked_mid_page |= bool(begun)
            current = max(begun, default=current)
    assert checked_mid_page  # some section began lower on a page: the case the rule is for
