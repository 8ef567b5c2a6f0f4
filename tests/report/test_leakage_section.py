"""The duplicates-and-leakage block of the data-health section, from real findings on files made in
tmp_path (tests/images/test_hashes.make_dataset: by construction one exact leak, one near leak, one
copy within train, two unreadable files)."""

from __future__ import annotations

import shutil
from html.parser import HTMLParser

import pandas as pd
import pytest

from insight.config import Config
from insight.images.leakage import duplicate_findings
from insight.report.html import render_html
from insight.analysis.messages import worded
from insight.report.renderer import render_in_process
from insight.report.sections.health import build_health
from insight.report.sections.leakage import build_leakage
from tests.images.test_hashes import make_dataset
from tests.report import builders

HOSTILE = "<img src=x onerror=alert(1)>.png"  # a legal file name holding markup


class LeakageBlock(HTMLParser):
    """Inside div#leakage: img sources, h4 headings, and whether a script element exists anywhere."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.images: list[str] = []
        self.headings: list[str] = []
        self.scripts = 0
        self._h4 = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "div" and (self.depth or attrs.get("id") == "leakage"):
            self.depth += 1
        if self.depth and tag == "img":
            self.images.append(attrs["src"])
        if self.depth and tag == "h4":
            self._h4 = ""

    def handle_endtag(self, tag):
        if tag == "div" and self.depth:
            self.depth -= 1
        if tag == "h4" and self._h4 is not None:
            self.headings.append(" ".join(self._h4.split()))
            self._h4 = None

    def handle_data(self, data):
        if self._h4 is not None:
            self._h4 += data


@pytest.fixture(scope="module")
def leak_insight(tmp_path_factory):
    root = tmp_path_factory.mktemp("leak") / "ds"
    ds = make_dataset(root)
    # a hostile file name: a byte copy of train/a.png placed in val under a name holding markup
    evil = f"val/{HOSTILE}"
    shutil.copyfile(root / "train" / "a.png", root / evil)
    images = pd.concat([ds.images, pd.DataFrame([{"image_id": evil, "split": "val", "path": evil,
                                                  "width": float("nan"), "height": float("nan")}])],
                       ignore_index=True)
    ds = type(ds)(root=ds.root, task=ds.task, format=ds.format, classes=ds.classes, images=images,
                  labels=ds.labels)
    findings = tuple(worded(f) for f in duplicate_findings(ds, Config(workers=1)))
    return builders.pets_insight(health=builders.health() + findings)


def test_no_duplicate_findings_no_block():
    insight = builders.pets_insight()
    assert build_leakage(insight) is None
    assert 'id="leakage"' not in render_html(insight)


def test_context_lists_kinds_leakage_first(leak_insight):
    ctx = build_leakage(leak_insight)
    assert ctx.ran
    assert [k.code for k in ctx.kinds] == ["leakage_exact", "leakage_near", "duplicate_within_split"]
    exact = ctx.kinds[0]
    # two val files are byte copies of train/a.png: copy_of_a.png and the hostile name
    assert exact.count == 2 and len(exact.pairs) == 2 and exact.more == 0
    assert {p.train for p in exact.pairs} == {"train/a.png"}
    assert ctx.kinds[1].shows_distance and not exact.shows_distance
    # the unreadable files are a row of the health table, not said again in the block
    assert "duplicates_unreadable" in [r.code for r in build_health(leak_insight).findings]


def test_html_shows_thumbnails_as_data_uris_only_and_escapes_names(leak_insight):
    html = render_html(leak_insight)
    block = LeakageBlock()
    block.feed(html)
    # pairs: 2 exact leaks, 1 near, and within a split train (a_again = a) and val (the hostile
    # name = copy_of_a, same bytes): 5 pairs, two pictures each
    assert len(block.images) == 2 * (2 + 1 + 2)
    assert all(src.startswith("data:image/jpeg;base64,") for src in block.images)  # never src=x
    assert block.headings == ["Error Identical files in training and held-out splits: 2 images",
                              "Error Near copies of training images in held-out splits: 1 image",
                              "Warning Identical files within one split: 2 images"]
    assert block.scripts == 0
    assert "val: val/&lt;img src=x onerror=alert(1)&gt;.png" in html


def test_pdf_embeds_the_thumbnails(leak_insight, tmp_path):
    _, pdf = render_in_process(leak_insight, tmp_path)
    # distinct pictures: drawing A (train/a.png and its byte copies share one data URI) and the
    # half-size JPEG re-encode; WeasyPrint embeds each distinct image once
    assert pdf.count(b"/Subtype /Image") == 2


def test_how_the_check_ran_is_said_once_in_the_block_not_also_in_the_findings_table(leak_insight):
    from insight.report.sections.health import build_health

    assert any(f.code == "duplicates_checked" for f in leak_insight.health)
    health = build_health(leak_insight)
    codes = [row.code for row in health.findings]
    # the copies are said in the block, with their pairs, and counted in the section's lead
    assert "duplicates_checked" not in codes and "leakage_exact" not in codes and health.copies_below
    html = render_html(leak_insight)
    section = html[html.index('<section id="health"'):html.index('<section id="tables"')]  # page 1 aside
    for code in ("duplicates_checked", "leakage_exact", "leakage_near", "duplicate_within_split"):
        finding = next(f for f in leak_insight.health if f.code == code)
        assert section.count(finding.message) == 1, code
