"""A PNG cut in half is an error for the duplicate hashes and the mask counts, even after WeasyPrint
(imported to write the PDF) has set Pillow's LOAD_TRUNCATED_IMAGES in this process."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageFile

from insight.formats.masks.scan import MaskJob, scan_mask
from insight.images.hashes import hash_file


@pytest.fixture
def truncated_png(tmp_path, monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)  # what `import weasyprint` does
    buf = io.BytesIO()
    Image.new("L", (64, 64), 3).save(buf, "PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    return path


def test_hash_of_a_truncated_png_is_an_error(truncated_png):
    sha, phash, error = hash_file(str(truncated_png))
    assert sha is not None and phash is None and "truncated" in error
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # restored for WeasyPrint


def test_mask_scan_of_a_truncated_png_is_an_error(truncated_png):
    counts = scan_mask(MaskJob(str(truncated_png)))
    assert "truncated" in counts.error and counts.counts.size == 0
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
