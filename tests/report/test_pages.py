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


def test_a_table_of_splits_is_never_cut_between_pages():
    # the real yolo_coco8_detect report printed its two-row "Boxes" table with train at the foot of one page
    # and val at the top of the next. The spacer moves the table down the page in 4 mm steps, so that at
    # some height the page ends between its rows; both rows then go to the next page, with the heading
    from insight.resources import templates_dir

    css = (templates_dir() / "report.css").read_text(encoding="utf-8")
    rows = "".join(f"<tr><td>{s}</td><td class='int'>{n}</td></tr>" for s, n in (("train", 13), ("val", 17)))
    table = ("<h3>Boxes</h3><table class='numeric-table compact splits'><thead><tr><th>Split</th><th>Boxes</th>"
             f"</tr></thead><tbody>{rows}</tbody></table>")
    cut = 0
    for spacer in range(200, 280, 4):
        pages = _pages(f"<style>{css}</style><div style='height: {spacer}mm'></div>{table}")
        with_rows = [body for _, body in pages if "train 13" in body or "val 17" in body]
        assert len(with_rows) == 1 and "train 13 val 17" in with_rows[0], (spacer, pages)
        cut += len(pages) > 1 and "Boxes" in pages[1][1]
    assert cut  # some spacer pushed the table to the next page: the sweep did reach the page's end
