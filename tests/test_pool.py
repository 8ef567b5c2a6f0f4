"""The shared process pool: results in order, and the same results in-process when no pool can start;
on an executor (a cluster's), in tasks of the size asked for; the CPUs a container allows."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

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


def _write(folder, **files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("__", ".")).write_text(text)


def _all_cpus(monkeypatch, n):
    monkeypatch.setattr(pool.os, "sched_getaffinity", lambda pid: set(range(n)), raising=False)


def test_cgroup_v2_quota_of_the_process_cgroup(tmp_path, monkeypatch):
    """cpu.max "250000 100000" is 2.5 CPUs: rounded up to 3 workers on a 64-CPU host."""
    _all_cpus(monkeypatch, 64)
    _write(tmp_path / "kubepods" / "pod1", cpu__max="250000 100000\n")
    (tmp_path / "self").write_text("0::/kubepods/pod1\n")
    assert pool.cgroup_cpu_quota(tmp_path, tmp_path / "self") == 2.5
    assert pool.available_cpus(tmp_path, tmp_path / "self") == 3


def test_cgroup_v2_the_tightest_of_the_cgroup_and_its_parents_wins(tmp_path, monkeypatch):
    _all_cpus(monkeypatch, 64)
    _write(tmp_path / "kubepods", cpu__max="100000 100000\n")  # the parent: 1 CPU
    _write(tmp_path / "kubepods" / "pod1", cpu__max="max 100000\n")  # the pod itself: no limit
    (tmp_path / "self").write_text("0::/kubepods/pod1\n")
    assert pool.available_cpus(tmp_path, tmp_path / "self") == 1


def test_no_quota_leaves_the_affinity_mask(tmp_path, monkeypatch):
    _all_cpus(monkeypatch, 6)
    _write(tmp_path, cpu__max="max 100000\n")
    (tmp_path / "self").write_text("0::/\n")
    assert pool.cgroup_cpu_quota(tmp_path, tmp_path / "self") is None
    assert pool.available_cpus(tmp_path, tmp_path / "self") == 6


def test_affinity_mask_below_the_quota_wins(tmp_path, monkeypatch):
    """taskset -c 0,1 in a container allowed 4 CPUs: 2 workers."""
    _all_cpus(monkeypatch, 2)
    _write(tmp_path, cpu__max="400000 100000\n")
    assert pool.available_cpus(tmp_path, tmp_path / "no-such-file") == 2


def test_cgroup_v1_quota_under_the_cpu_controller_mount(tmp_path, monkeypatch):
    """v1: cpu.cfs_quota_us 50000 over cpu.cfs_period_us 100000 is half a CPU: 1 worker."""
    _all_cpus(monkeypatch, 32)
    _write(tmp_path / "cpu,cpuacct" / "docker" / "abc", cpu__cfs_quota_us="50000\n", cpu__cfs_period_us="100000\n")
    (tmp_path / "self").write_text("4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n")
    assert pool.cgroup_cpu_quota(tmp_path, tmp_path / "self") == 0.5
    assert pool.available_cpus(tmp_path, tmp_path / "self") == 1


def test_cgroup_v1_without_a_quota(tmp_path, monkeypatch):
    _all_cpus(monkeypatch, 8)
    _write(tmp_path / "cpu", cpu__cfs_quota_us="-1\n", cpu__cfs_period_us="100000\n")
    (tmp_path / "self").write_text("1:cpu:/\n")
    assert pool.available_cpus(tmp_path, tmp_path / "self") == 8


def test_a_container_whose_cgroup_path_is_hidden_reads_the_mount_root(tmp_path, monkeypatch):
    """Without a cgroup namespace /proc/self/cgroup names the host's path, but the container sees its
    own cgroup at the mount's root: 3 CPUs (300000 / 100000)."""
    _all_cpus(monkeypatch, 96)
    _write(tmp_path / "cpu", cpu__cfs_quota_us="300000\n", cpu__cfs_period_us="100000\n")
    (tmp_path / "self").write_text("1:cpu:/docker/0123abcd\n")
    assert pool.available_cpus(tmp_path, tmp_path / "self") == 3


def test_unreadable_or_odd_cgroup_files_mean_no_quota(tmp_path, monkeypatch):
    _all_cpus(monkeypatch, 4)
    _write(tmp_path, cpu__max="garbage\n")
    (tmp_path / "self").write_text("not a cgroup line\n")
    assert pool.available_cpus(tmp_path, tmp_path / "self") == 4


def test_the_default_worker_count_is_the_available_cpus(monkeypatch):
    monkeypatch.setattr(pool, "available_cpus", lambda *a, **k: 3)
    assert pool.worker_count(None) == 3
    assert pool.worker_count(5) == 5


def _add(x: int, shared: dict) -> int:
    return x + shared["offset"]


class RecordingExecutor(ThreadPoolExecutor):
    """A ThreadPoolExecutor that keeps every task's chunk and the most tasks ever waiting at once."""

    parallelism = 1

    def __init__(self):
        super().__init__(max_workers=2)
        self.chunks: list[list] = []
        self.waiting = self.most_waiting = 0
        self.lock = threading.Lock()

    def submit(self, fn, chunk, shared=None):
        with self.lock:
            self.chunks.append(list(chunk))
            self.waiting += 1
            self.most_waiting = max(self.most_waiting, self.waiting)
        future = super().submit(fn, chunk, shared)
        future.add_done_callback(self._done)
        return future

    def _done(self, _future):
        with self.lock:
            self.waiting -= 1


def test_on_an_executor_results_come_in_order_in_tasks_of_cluster_chunksize():
    with RecordingExecutor() as executor:
        out = list(pool.pooled_map(_square, list(range(1000)), executor=executor, chunksize=7,
                                   cluster_chunksize=300))
        assert out == [x * x for x in range(1000)]
        assert [len(c) for c in executor.chunks] == [300, 300, 300, 100]


def test_on_an_executor_the_chunksize_serves_when_no_cluster_chunksize_is_given():
    """The readers that hand over ready-made chunks (chunksize=1) keep them as they are."""
    with RecordingExecutor() as executor:
        assert list(pool.pooled_map(_square, [3, 4, 5], executor=executor, chunksize=1)) == [9, 16, 25]
        assert executor.chunks == [[3], [4], [5]]


def test_on_an_executor_even_a_few_items_run_there():
    with RecordingExecutor() as executor:
        assert list(pool.pooled_map(_square, [2], workers=1, sequential_below=64, executor=executor)) == [4]
        assert executor.chunks == [[2]]


def test_on_an_executor_few_tasks_wait_at_once():
    """parallelism 1 x IN_FLIGHT_PER_WORKER (4): never more than 4 tasks submitted and not done."""
    with RecordingExecutor() as executor:
        assert len(list(pool.pooled_map(_square, list(range(100)), executor=executor, chunksize=1))) == 100
        assert len(executor.chunks) == 100 and 1 <= executor.most_waiting <= pool.IN_FLIGHT_PER_WORKER


def test_a_consumer_that_stops_early_leaves_no_task_waiting():
    with RecordingExecutor() as executor:
        results = pool.pooled_map(_square, list(range(100)), executor=executor, chunksize=1)
        assert next(results) == 0
        results.close()
        assert len(executor.chunks) <= 1 + pool.IN_FLIGHT_PER_WORKER


def _fails_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("three")
    return x


def test_a_task_that_fails_on_an_executor_raises_its_error():
    with ThreadPoolExecutor(2) as executor, pytest.raises(ValueError, match="three"):
        list(pool.pooled_map(_fails_on_three, list(range(10)), executor=executor, chunksize=2))


class BroadcastingExecutor(RecordingExecutor):
    """A cluster's executor sends `shared` to its workers once and hands tasks a reference to it."""

    def __init__(self):
        super().__init__()
        self.sent = []

    def broadcast(self, obj):
        self.sent.append(obj)
        return {"offset": obj["offset"] * 10}  # a stand-in for the reference, told apart from obj


def test_shared_data_reaches_every_call_wherever_it_runs():
    items, shared = list(range(150)), {"offset": 1000}
    expected = [x + 1000 for x in items]
    assert list(pool.pooled_map(_add, items, workers=1, shared=shared)) == expected  # in-process
    assert list(pool.pooled_map(_add, items, workers=2, sequential_below=10, shared=shared)) == expected
    with ThreadPoolExecutor(2) as executor:  # an executor without broadcast gets it with each task
        assert list(pool.pooled_map(_add, items, executor=executor, chunksize=40, shared=shared)) == expected
    with BroadcastingExecutor() as executor:
        out = list(pool.pooled_map(_add, items, executor=executor, chunksize=40, shared=shared))
        assert executor.sent == [shared] and out == [x + 10000 for x in items]
