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
