"""The shared process pool: results in order, and the same results in-process when no pool can start."""

from __future__ import annotations

import insight.pool as pool


def _square(x: int) -> int:
    return x * x


def test_results_come_in_order_from_the_pool():
    assert list(pool.pooled_map(_square, list(range(200)), workers=2, sequential_below=10)) == \
        [x * x for x in range(200)]


def test_a_system_without_process_pools_runs_in_process(monkeypatch):
    def no_pool(*args, **kwargs):
        raise OSError("no /dev/shm")

    monkeypatch.setattr(pool, "ProcessPoolExecutor", no_pool)
    assert list(pool.pooled_map(_square, list(range(100)), workers=2, sequential_below=10)) == \
        [x * x for x in range(100)]
