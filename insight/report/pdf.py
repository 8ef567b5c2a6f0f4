"""report.html -> report.pdf with WeasyPrint.

The URL fetcher serves only the report's own resources: files inside the output folder and data:
URLs. Anything else (http, https, ftp, file:// outside the folder, a path that escapes it through
`..` or a symlink) is refused without being fetched; the refusal is logged at debug level and
WeasyPrint leaves the resource out.

The same report gives the same bytes: the only clock the PDF could read is the one fontTools' subsetter
(WeasyPrint's fallback when the HarfBuzz-Subset library is missing) stamps into every embedded font's
`head.modified` when it saves the subset font. fontTools takes that time from SOURCE_DATE_EPOCH when it
is set, so the PDF is made with SOURCE_DATE_EPOCH set to the start of the report's date (and put back
afterwards). HarfBuzz-Subset keeps the font file's own stamp. WeasyPrint writes no creation date and
derives the file identifier from the content.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import mimetypes
import os
import re
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from insight.report_date import SOURCE_DATE_EPOCH, epoch_seconds, report_date

LOG = logging.getLogger(__name__)


class RefusedURL(ValueError):
    """A URL the report may not load."""


class LocalOnlyFetcher(URLFetcher):
    """Serves files under `base_dir` and data: URLs; refuses every other URL without opening it."""

    def __init__(self, base_dir: Path):
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
        self.base_dir = Path(base_dir).resolve()

    def fetch(self, url, headers=None):
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = self._inside(url)
            if path is not None:
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": kind})
        LOG.debug("refused to fetch %s: only files inside %s are served", url, self.base_dir)
        raise RefusedURL(f"refused to fetch {url}: the report only loads its own files")

    def _inside(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return None
        path = Path(unquote(parts.path)).resolve()
        if path.is_file() and path.is_relative_to(self.base_dir):
            return path
        return None


def render_pdf(html: str, base_dir: Path, day: dt.date | None = None) -> bytes:
    """The PDF of `html`; relative URLs resolve against `base_dir`, the only folder it may read.
    `day` is the report's date (default: report_date()); every time inside the PDF is its start."""
    return _write(_layout(html, base_dir), day)


def render_report_pdf(context, print_html, base_dir: Path, day: dt.date | None = None) -> bytes:
    """report.pdf of a report context (insight.report.sections.ReportContext); `print_html(context)` is
    its print page."""
    return _write(fitted_layout(context, print_html, base_dir)[1], day)


def fitted_layout(context, print_html, base_dir: Path):
    """(context, laid-out document) with page 1 on one page. Page 1 is the answer: when its "Also found"
    lines run onto page 2, the last of them (the least severe) give way to one line counting them and
    pointing at their sections, and the report is laid out again (a second layout only for such a
    report; a third or fourth when the first measure was short)."""
    from dataclasses import replace

    from insight.report.sections.answer import keep_lines

    answer = context.answer  # every line: each layout keeps a shorter head of them
    document = _layout(print_html(context), base_dir)
    for _ in range(MAX_LAYOUTS - 1):
        keep = lines_that_fit(document, context.answer.rest)
        if keep is None:
            break
        context = replace(context, answer=keep_lines(answer, keep))
        document = _layout(print_html(context), base_dir)
    return context, document


MAX_LAYOUTS = 4  # of one report: the first, and at most three with fewer lines on page 1


def lines_that_fit(document, rest) -> int | None:
    """How many of page 1's "Also found" lines (`rest`, rendered with the ids also-1, also-2, ...) to keep
    so that they, the line for the others and the block of what was read fit on page 1; None when page 1
    holds the whole answer (its end marker, #answer-end, is on it) or there is no line to take away.
    Measured on the laid-out document (each anchor is the box of its element, in CSS pixels): where
    each line ends, how tall the block is, and where page 1's text area ends."""
    first = document.pages[0]
    if "answer-end" in first.anchors or not rest:
        return None
    room = _foot(first) - _block_height(document) - _LEFT_OUT_PX
    fitting = [i for i in range(1, len(rest) + 1)
               if f"also-{i}" in first.anchors and first.anchors[f"also-{i}"][3] <= room]
    return min(max(fitting, default=0), len(rest) - 1)


_LEFT_OUT_PX = 36.0  # the line for the left-out findings (one line of text with its margins), CSS pixels; a
# second line is caught by laying the page out again
_BLOCK_MARGIN_PX = 16.0  # above the block of what was read (.facts: margin-top 1.4em of 7.5pt)


def _block_height(document) -> float:
    """The height of the block of what was read (#facts down to #answer-end) with its top margin, on
    whichever page it is (report.css keeps it in one piece)."""
    for page in document.pages:
        if "facts" in page.anchors and "answer-end" in page.anchors:
            return page.anchors["answer-end"][1] - page.anchors["facts"][1] + _BLOCK_MARGIN_PX
    return 8 * 20.0


def _foot(page) -> float:
    """Where the page's text area ends, in CSS pixels from its top: the page box's content bottom.
    WeasyPrint does not publish it (Page has no margins), so without that box the lower tenth of the
    page counts as margin (report.css: 18 mm of 297)."""
    box = getattr(page, "_page_box", None)
    try:
        return box.content_box_y() + box.height
    except AttributeError:
        return page.height * 0.9


def _layout(html: str, base_dir: Path):
    base = Path(base_dir).resolve()
    return HTML(string=charts_as_images(html), base_url=base.as_uri() + "/",
                url_fetcher=LocalOnlyFetcher(base)).render()


def _write(document, day: dt.date | None) -> bytes:
    with fonts_dated(day or report_date()):
        return document.write_pdf()


@contextmanager
def fonts_dated(day: dt.date):
    """SOURCE_DATE_EPOCH set to the start of `day` while the fonts are subset, then put back."""
    before = os.environ.get(SOURCE_DATE_EPOCH)
    os.environ[SOURCE_DATE_EPOCH] = str(epoch_seconds(day))
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(SOURCE_DATE_EPOCH, None)
        else:
            os.environ[SOURCE_DATE_EPOCH] = before


_CHART = re.compile(r'<svg class="chart-svg".*?</svg>', re.S)


def charts_as_images(html: str) -> str:
    """Each inline chart (charts/style.py `to_svg`) as an <img> of the same SVG, as a data: URI.

    WeasyPrint draws it the same, but an inline SVG's thousands of nodes also go through the page's
    CSS cascade and box tree: at COCO scale that was a quarter of the PDF's time. The HTML report
    keeps its inline SVG (text that can be selected and searched)."""
    def as_image(match: re.Match) -> str:
        data = base64.b64encode(match.group(0).encode("utf-8")).decode("ascii")
        return f'<img class="chart-svg" alt="" src="data:image/svg+xml;base64,{data}">'

    return _CHART.sub(as_image, html)
