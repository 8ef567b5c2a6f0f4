"""`no_gc()`: the cyclic garbage collector paused while a loader builds many small objects at once.

None of the objects a loader builds in bulk (decoded COCO Structs, parsed XML trees, row tuples) can
be in a reference cycle, but every collection walks them all: keeping 3,000 parsed VOC trees alive made
each parse 3.5x slower (220 us against 64 us a file), and decoding COCO 2017 train took 0.9 s with the
collector, 0.5 s without.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_gc() -> Iterator[None]:
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
