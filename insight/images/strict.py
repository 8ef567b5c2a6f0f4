"""Decode images strictly: a file cut short is an error, whatever another library set.

WeasyPrint sets `PIL.ImageFile.LOAD_TRUNCATED_IMAGES = True` when it is imported (it renders what it
can of a broken picture). Once it is loaded in the same process, Pillow would silently decode half a
PNG as a whole one, and a truncated image or mask would pass as good. Every decode whose result is a
statistic or a health finding runs inside `strict_decoding()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def strict_decoding() -> Iterator[None]:
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before
