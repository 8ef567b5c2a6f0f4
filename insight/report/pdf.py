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
    base = Path(base_dir).resolve()
    document = HTML(string=charts_as_images(html), base_url=base.as_uri() + "/",
                    url_fetcher=LocalOnlyFetcher(base))
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
