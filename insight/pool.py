"""Map a function over many files in a process pool: results in order, streamed, in chunks.

Reading image headers, label files, masks and hashes is CPU work in Python (a file open costs
~8 us, Pillow's header parse ~15 us), so threads share one core under the GIL; processes use every
core, and on a cold cache or a network share they also keep several reads in flight. Little work is
done in-process, where starting workers would cost more than it saves.

Workers are forked when the parent runs no other thread (cheap, and a caller's script needs no
`if __name__ == "__main__"` guard); with threads alive (a progress bar), forking could copy a held
lock, so workers then start from a fork server, which imports `fn`'s module: keep it cheap to import.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def worker_count(workers: int | None) -> int:
    return workers or os.cpu_count() or 1


def chunked(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def pooled_map(fn: Callable[[T], R], items: Sequence[T], workers: int | None = None,
               sequential_below: int = 64, chunksize: int | None = None) -> Iterator[R]:
    """fn(item) for each item, in order. In-process when there are fewer than `sequential_below`
    items or one worker; else a pool, `chunksize` items per task (default: ~8 tasks per worker)."""
    workers = worker_count(workers)
    if workers <= 1 or len(items) < sequential_below:
        yield from map(fn, items)
        return
    chunksize = chunksize or max(1, len(items) // (workers * 8))
    try:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp_context())
    except (OSError, NotImplementedError):  # no process pool on this system (no /dev/shm, a sandbox)
        yield from map(fn, items)
        return
    with pool:
        yield from pool.map(fn, items, chunksize=chunksize)


def mp_context():
    """How a worker process starts now (see the module's notes)."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
