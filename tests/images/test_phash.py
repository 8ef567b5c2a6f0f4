"""The perceptual hash, computed with numpy, is bit for bit the `imagehash` package's phash.

Independent reference: imagehash.phash (scipy's FFT-based DCT) on the same decoded pictures, on every
image file of the real third-party samples that Pillow opens (photos, drawings, flat masks and solid
test pictures, whose many exactly-zero frequencies are where rounding would show), and on pictures
made here with Pillow: flat, a gradient in one direction only, stripes, noise.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from insight.images.hashes import DRAFT_PX, hash_file, phash
from tests.realdata import realdata

imagehash = pytest.importorskip("imagehash", reason="imagehash (the reference) is in the dev extra")

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif"}


def _real_images() -> list:
    root = realdata()
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def _opened(path):
    try:
        img = Image.open(path)
        img.load()
    except Exception:  # noqa: BLE001 - files Pillow cannot read are the unreadable-image tests' business
        return None
    return img


def test_bit_equal_to_imagehash_on_every_real_image():
    images = [(p, img) for p in _real_images() if (img := _opened(p)) is not None]
    assert len(images) > 400  # the samples hold 431 readable images; a lost folder must not pass quietly
    differ = [str(p) for p, img in images if phash(img) != str(imagehash.phash(img))]
    assert differ == []


def test_bit_equal_to_imagehash_in_draft_mode_as_the_check_reads_jpegs():
    """hash_file decodes JPEGs in draft mode; the reference gets the same drafted picture."""
    jpegs = [p for p in _real_images() if p.suffix.lower() in {".jpg", ".jpeg"} and _opened(p) is not None]
    assert len(jpegs) > 100
    for path in jpegs:
        with Image.open(path) as img:
            img.draft("L", (DRAFT_PX, DRAFT_PX))
            expected = str(imagehash.phash(img))
        assert hash_file(str(path))[1] == expected, path


def _made_pictures() -> dict[str, Image.Image]:
    ramp = np.tile(np.arange(256, dtype=np.uint8), (64, 1))
    stripes = np.zeros((90, 120), np.uint8)
    stripes[:, ::10] = 255
    noise = np.random.default_rng(7).integers(0, 256, (50, 70), dtype=np.uint8)
    return {"black": Image.new("L", (40, 40), 0), "grey": Image.new("RGB", (33, 17), (90, 90, 90)),
            "white": Image.new("L", (300, 200), 255), "horizontal ramp": Image.fromarray(ramp),
            "vertical ramp": Image.fromarray(ramp.T.copy()), "stripes": Image.fromarray(stripes),
            "noise": Image.fromarray(noise), "rgba": Image.fromarray(noise).convert("RGBA")}


@pytest.mark.parametrize("name", list(_made_pictures()))
def test_bit_equal_to_imagehash_on_flat_and_one_directional_pictures(name):
    img = _made_pictures()[name]
    assert phash(img) == str(imagehash.phash(img))


def test_a_flat_picture_sets_only_the_mean_bit():
    """Worked by hand: a flat picture has one non-zero DCT coefficient (the mean, top-left); the median
    of 63 zeros and it is 0, so only the first bit is set: 0x8000000000000000."""
    assert phash(Image.new("L", (32, 32), 128)) == "8000000000000000"


def test_the_hash_of_a_file_is_that_of_its_picture(tmp_path):
    path = tmp_path / "ramp.png"
    img = _made_pictures()["horizontal ramp"]
    img.save(path)
    sha, hashed, error = hash_file(str(path))
    assert error is None and hashed == str(imagehash.phash(Image.open(io.BytesIO(path.read_bytes()))))
