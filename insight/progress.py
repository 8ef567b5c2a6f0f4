"""Progress reporting as a callback: library code never owns the terminal (house rule 11).

A `Progress` wraps an iterable and yields its items; the CLI passes a terminal bar, tests and
quiet runs pass `no_progress`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar

T = TypeVar("T")


class Progress(Protocol):
    def __call__(self, items: Iterable[T], total: int | None = None, desc: str = "") -> Iterator[T]: ...


def no_progress(items: Iterable[T], total: int | None = None, desc: str = "") -> Iterator[T]:
    yield from items


def terminal_progress(items: Iterable[T], total: int | None = None, desc: str = "") -> Iterator[T]:
    from tqdm import tqdm

    yield from tqdm(items, total=total, desc=desc, file=sys.stderr, leave=False,
                    mininterval=0.2, disable=None)


def progress_for(quiet: bool) -> Progress:
    """A bar only when stderr is a terminal and the user did not ask for quiet."""
    if quiet or not sys.stderr.isatty():
        return no_progress
    return terminal_progress
