"""report.pdf: WeasyPrint with a fetcher that serves only the report's own files.

Nothing on the network is mocked: the fetcher itself refuses http(s) and file:// outside the
output folder, raising RefusedURL before anything is opened.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import re
import time
import zlib

import pytest

from insight.report import pdf
from insight.report.pdf import LocalOnlyFetcher, RefusedURL, render_pdf
from insight.report.renderer import render_in_process
from tests.report import builders

# A 1x1 PNG written by hand (8-byte signature, IHDR, IDAT, IEND), so the test needs no image library.
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==")


@pytest.fixture
def calls(monkeypatch):
    """Record every URL WeasyPrint asks the fetcher for, and whether it was served or refused."""
    seen: list[tuple[str, str]] = []
    original = LocalOnlyFetcher.fetch

    def recording(self, url, headers=None):
        try:
            response = original(self, url, headers)
        except RefusedURL:
            seen.append((url, "refused"))
            raise
        seen.append((url, "served"))
        return response

    monkeypatch.setattr(pdf.LocalOnlyFetcher, "fetch", recording)
    return seen


def test_fetcher_is_called_and_refuses_outside_urls(tmp_path, calls):
    (tmp_path / "own.png").write_bytes(PNG_1X1)
    html = ("<html><body><p>x</p>"
            '<img src="file:///etc/hostname">'
            '<img src="http://example.com/x.png">'
            '<img src="own.png">'
            "</body></html>")
    data = render_pdf(html, tmp_path)
    assert data.startswith(b"%PDF")
    assert ("file:///etc/hostname", "refused") in calls
    assert ("http://example.com/x.png", "refused") in calls
    assert ((tmp_path / "own.png").resolve().as_uri(), "served") in calls


def test_refusals_are_logged_at_debug_level(tmp_path, caplog):
    with caplog.at_level("DEBUG", logger="insight.report.pdf"), pytest.raises(RefusedURL):
        LocalOnlyFetcher(tmp_path).fetch("http://example.com/x.png")
    assert [r.levelname for r in caplog.records] == ["DEBUG"]
    assert "http://example.com/x.png" in caplog.records[0].getMessage()


def test_refuses_https_and_paths_escaping_the_folder(tmp_path):
    base = tmp_path / "out"
    base.mkdir()
    (tmp_path / "secret.txt").write_text("no")
    (base / "link.txt").symlink_to(tmp_path / "secret.txt")
    fetcher = LocalOnlyFetcher(base)
    for url in ("https://example.com/a.css", "ftp://example.com/a", f"{base.as_uri()}/../secret.txt",
                (base / "link.txt").as_uri(), (tmp_path / "secret.txt").as_uri(),
                "file://otherhost/etc/hostname", f"{base.as_uri()}/missing.png"):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)


def test_serves_own_files_and_data_urls(tmp_path):
    (tmp_path / "chart.png").write_bytes(PNG_1X1)
    fetcher = LocalOnlyFetcher(tmp_path)
    response = fetcher.fetch((tmp_path / "chart.png").as_uri())
    assert response.read() == PNG_1X1
    assert response.content_type == "image/png"
    response = fetcher.fetch("data:text/plain;base64," + base64.b64encode(b"hello").decode())
    assert response.read() == b"hello"


def test_whole_report_renders_to_pdf(tmp_path, calls):
    html, data = render_in_process(builders.pets_insight(), tmp_path)  # what `insight report` writes
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    # the report is self-contained: the only URLs are its own charts, as data: URIs
    assert len(calls) == html.count('<svg class="chart-svg"') > 0
    assert all(url.startswith("data:image/svg+xml;base64,") and how == "served" for url, how in calls)


def test_charts_become_images_of_the_same_svg():
    svg = '<svg class="chart-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 1"><text>a &lt; b</text></svg>'
    html = f"<figure class='chart'>{svg}</figure><p>after</p>{svg}"
    out = pdf.charts_as_images(html)
    assert "<svg" not in out and out.count('<img class="chart-svg"') == 2 and "<p>after</p>" in out
    uri = out.split('src="', 1)[1].split('"', 1)[0]
    assert base64.b64decode(uri.split(",", 1)[1]).decode() == svg


# --- the same report gives the same bytes ------------------------------------------------------------

SECONDS_1904_TO_1970 = 2082844800  # OpenType dates count seconds from 1904-01-01 (the 'head' table spec)
FONT_MAGIC = (b"\x00\x01\x00\x00", b"OTTO", b"true")


def embedded_fonts(data: bytes) -> list:
    """Every font program embedded in a PDF, opened with fontTools: each stream is inflated and kept
    when it starts with a TrueType/OpenType signature (no PDF library involved)."""
    from fontTools.ttLib import TTFont

    fonts = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            raw = zlib.decompress(match.group(1))
        except zlib.error:
            continue
        if raw[:4] in FONT_MAGIC:
            fonts.append(TTFont(io.BytesIO(raw)))
    return fonts


@pytest.fixture(params=["fontTools", "HarfBuzz-Subset"])
def subsetter(request, monkeypatch):
    """The PDF made with either font subsetter WeasyPrint can use; HarfBuzz-Subset is an optional
    system library, so its case skips where it is not installed."""
    import weasyprint.pdf.fonts

    if request.param == "fontTools":
        monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    elif weasyprint.pdf.fonts.harfbuzz_subset is None:
        pytest.skip("WeasyPrint has no HarfBuzz-Subset library here (libharfbuzz-subset0 not installed, "
                    "or turned off for this run)")
    return request.param


@pytest.fixture
def clock(monkeypatch):
    """Set the wall clock every library reads through time.time()."""
    def set_to(seconds: float) -> None:
        monkeypatch.setattr(time, "time", lambda: seconds)
    return set_to


def test_the_same_report_is_the_same_pdf_whatever_the_clock(tmp_path, subsetter, clock):
    html = small_html()
    clock(1_700_000_000.0)
    first = render_pdf(html, tmp_path, dt.date(2026, 11, 22))
    clock(1_800_000_000.0)  # three years later
    assert render_pdf(html, tmp_path, dt.date(2026, 11, 22)) == first
    assert len(embedded_fonts(first)) >= 1


def test_fonts_subset_by_fonttools_carry_the_report_date(tmp_path, monkeypatch):
    import weasyprint.pdf.fonts

    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "12345")
    data = render_pdf(small_html(), tmp_path, dt.date(2026, 11, 22))
    # `date -u -d 2026-11-22 +%s` prints 1795305600: the start of the report's date, in UTC
    stamps = {font["head"].modified - SECONDS_1904_TO_1970 for font in embedded_fonts(data)}
    assert stamps == {1795305600}
    assert os.environ["SOURCE_DATE_EPOCH"] == "12345"  # the caller's value is put back


def test_the_pdf_date_defaults_to_source_date_epoch(tmp_path, monkeypatch):
    import weasyprint.pdf.fonts

    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795350000")  # 2026-11-22 12:20 UTC
    data = render_pdf(small_html(), tmp_path)
    assert {font["head"].modified - SECONDS_1904_TO_1970 for font in embedded_fonts(data)} == {1795305600}


def small_html() -> str:
    return "<p style='font-family: DejaVu Sans'>insight <b>report</b> 1,234</p>"
