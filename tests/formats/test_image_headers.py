"""Image sizes from headers: the fast PNG/JPEG reader agrees with Pillow (the independent tool) on
every kind of file, and hands everything it does not read plainly to Pillow."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from insight.formats.shared.image_headers import exif_size, header_size, plain_size
from tests.realdata import REALDATA


def _pillow_size(path: Path) -> tuple[float, float]:
    with Image.open(path) as img:
        w, h = exif_size(img)
    return float(w), float(h)


def _save(tmp_path: Path, name: str, img: Image.Image, **options) -> Path:
    path = tmp_path / name
    img.save(path, **options)
    return path


def _exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[274] = orientation
    return exif.tobytes()


KINDS = {
    "baseline.jpg": (lambda: Image.new("RGB", (37, 21), (9, 99, 199)), {}),
    "progressive.jpg": (lambda: Image.new("RGB", (640, 427)), {"progressive": True}),
    "grey.jpg": (lambda: Image.new("L", (5, 300)), {}),
    "cmyk.jpg": (lambda: Image.new("CMYK", (64, 48)), {}),
    "icc.jpg": (lambda: Image.new("RGB", (80, 60)), {"icc_profile": b"\0" * 9000}),  # SOF past 4 KiB
    "exif_upright.jpg": (lambda: Image.new("RGB", (30, 10)), {"exif": _exif(1)}),
    "exif_rotated.jpg": (lambda: Image.new("RGB", (30, 10)), {"exif": _exif(6)}),  # 10 x 30 once loaded
    "rgb.png": (lambda: Image.new("RGB", (123, 45)), {}),
    "palette.png": (lambda: Image.new("P", (7, 3)), {}),
    "sixteen.png": (lambda: Image.new("I;16", (300, 2)), {}),
    "a.gif": (lambda: Image.new("P", (11, 13)), {}),
    "a.bmp": (lambda: Image.new("RGB", (17, 19)), {}),
    "a.webp": (lambda: Image.new("RGB", (23, 29)), {}),
}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_header_size_agrees_with_pillow(tmp_path, name):
    make, options = KINDS[name]
    path = _save(tmp_path, name, make(), **options)
    w, h, why = header_size(path)
    assert why == "" and (w, h) == _pillow_size(path)


def test_exif_rotation_swaps_the_sides(tmp_path):
    path = _save(tmp_path, "r.jpg", Image.new("RGB", (30, 10)), exif=_exif(6))
    assert header_size(path)[:2] == (10.0, 30.0)
    assert plain_size(path.read_bytes()[:4096]) is None  # read by Pillow, not the plain reader


def test_plain_reader_reads_plain_files_and_leaves_the_rest(tmp_path):
    jpg = _save(tmp_path, "a.jpg", Image.new("RGB", (37, 21)))
    png = _save(tmp_path, "a.png", Image.new("RGB", (123, 45)))
    assert plain_size(jpg.read_bytes()[:4096]) == (37, 21)
    assert plain_size(png.read_bytes()[:4096]) == (123, 45)
    gif = _save(tmp_path, "a.gif", Image.new("P", (11, 13)))
    icc = _save(tmp_path, "icc.jpg", Image.new("RGB", (8, 6)), icc_profile=b"\0" * 9000)
    assert plain_size(gif.read_bytes()[:4096]) is None and plain_size(icc.read_bytes()[:4096]) is None
    assert plain_size(b"") is None and plain_size(b"\xff\xd8\xff") is None


def test_a_png_over_the_bomb_limit_is_left_to_pillow(tmp_path):
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 20000, 20000, 1, 0, 0, 0, 0)  # 4e8 pixels > 2 x Pillow's limit
    path = tmp_path / "bomb.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))
    assert plain_size(path.read_bytes()) is None
    w, h, why = header_size(path)
    assert why and "decompression bomb" in why.lower()


def test_missing_and_undecodable_files(tmp_path):
    assert header_size(tmp_path / "none.jpg")[2] == "file not found"
    (tmp_path / "junk.jpg").write_bytes(b"not an image")
    assert header_size(tmp_path / "junk.jpg")[2] == "not an image Pillow can identify"


def _real_images() -> list[Path]:
    if not REALDATA.is_dir():
        return []
    return sorted(p for p in REALDATA.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png")
                  and p.is_file() and p.stat().st_size > 64)


@pytest.mark.skipif(not _real_images(), reason="real-data samples not available")
def test_every_real_image_gets_pillows_size():
    checked = 0
    for path in _real_images():
        try:
            expected = _pillow_size(path)
        except Exception:  # noqa: BLE001 - placeholder bytes in the samples: both must refuse
            assert header_size(path)[2] != ""
            continue
        assert header_size(path)[:2] == expected, path
        checked += 1
    assert checked > 100


def test_image_listing_is_in_pathlib_order_and_skips_hidden(tmp_path):
    from insight.formats.shared.image_headers import list_image_paths

    for rel in ["a/x.jpg", "a.jpg", "a-b/y.png", "b/c/z.jpg", "b/c.jpg", ".h/q.jpg", "b/.q.jpg", "A.JPG", "n.txt"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    # pathlib sorts by path parts: everything under a/ comes before a-b/ and a.jpg
    expected = ["A.JPG", "a/x.jpg", "a-b/y.png", "a.jpg", "b/c/z.jpg", "b/c.jpg"]
    assert [str(Path(p).relative_to(tmp_path)) for p in list_image_paths(tmp_path)] == expected
    assert [Path(p).name for p in list_image_paths(tmp_path, recursive=False)] == ["A.JPG", "a.jpg"]


def test_the_bomb_limit_is_pillows_without_importing_pillow(tmp_path, monkeypatch):
    """The header reader takes Pillow's limit without importing Pillow: the default must be the one
    Pillow ships (read from Pillow itself here), and a limit a caller set on Pillow must be honoured."""
    from PIL import Image

    from insight.formats.shared.image_headers import PILLOW_DEFAULT_LIMIT, plain_size

    assert PILLOW_DEFAULT_LIMIT == Image.MAX_IMAGE_PIXELS
    png = io.BytesIO()
    Image.new("L", (40, 30)).save(png, "PNG")
    assert plain_size(png.getvalue()) == (40, 30)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 40 * 30 - 1)  # 1,200 pixels is now past the limit
    assert plain_size(png.getvalue()) is None
