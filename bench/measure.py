"""One timed run of a command: wall time, CPU time and memory of its whole process tree.

- wall: perf_counter around the process, from start to its exit status;
- CPU: user + system time from os.wait4's resource usage, which covers the child and every
  descendant it waited for (a process pool's workers, a forked renderer);
- memory: the largest sum, over the process and all its descendants alive at that moment, of the
  proportional set size (PSS, /proc/PID/smaps_rollup: a page shared by n processes counts 1/n in each,
  so forked workers sharing their parent's pages are not counted twice), sampled every SAMPLE_S
  seconds; where the system offers no smaps_rollup, the resident set size (VmRSS) is summed instead,
  which counts shared pages once per process (an over-estimate);
- max_rss: the largest resident set of any single process of the tree (wait4's ru_maxrss), for
  comparison with the figures of earlier results;
- load: the 1-minute load average when the run started.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_S = 0.02  # memory sampling period, at least: an 800 MB process's smaps_rollup reads in ~1 ms
SAMPLE_SHARE = 20  # and at least 20 times what the last sample cost, so sampling takes <= 5 % of a core
TIMEOUT = 3600


@dataclass
class Sample:
    wall: float
    cpu: float
    mem_mb: float | None  # peak summed PSS (or RSS) of the tree
    max_rss_mb: float | None
    load: float
    code: int
    stdout: str
    stderr: str


def memory_kind() -> str:
    return "PSS" if Path(f"/proc/{os.getpid()}/smaps_rollup").exists() else (
        "RSS" if Path(f"/proc/{os.getpid()}/status").exists() else "none")


def run(cmd: list[str], workdir: Path) -> Sample:
    out_path, err_path = workdir / "stdout", workdir / "stderr"
    load = os.getloadavg()[0]
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        sampler = _Sampler(proc.pid)
        sampler.start()
        status, usage = _wait(proc, t0)
        wall = time.perf_counter() - t0
        sampler.stop()
    code = os.waitstatus_to_exitcode(status) if status is not None else -9
    return Sample(wall, usage.ru_utime + usage.ru_stime, sampler.peak_mb, usage.ru_maxrss / 1024 or None, load,
                  code, out_path.read_text(errors="replace"), err_path.read_text(errors="replace"))


def _wait(proc: subprocess.Popen, t0: float):
    """Block until the process exits, killing it after TIMEOUT: (status or None when killed, rusage)."""
    killed = threading.Event()

    def kill() -> None:
        killed.set()
        proc.kill()

    deadline = threading.Timer(TIMEOUT, kill)
    deadline.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        deadline.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return (None if killed.is_set() else status), usage


class _Sampler(threading.Thread):
    """Samples the tree's summed memory until stopped; `peak_mb` is the largest sum seen."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self._done = pid, 0, threading.Event()
        self.kind = memory_kind()

    @property
    def peak_mb(self) -> float | None:
        return self.peak_kb / 1024 if self.peak_kb else None

    def run(self) -> None:
        if self.kind == "none":
            return
        while not self._done.is_set():
            start = time.process_time()
            self.peak_kb = max(self.peak_kb, sum(_memory_kb(p, self.kind) for p in tree(self.pid)))
            cost = time.process_time() - start  # the sampler takes at most ~1/SAMPLE_SHARE of a core
            self._done.wait(max(SAMPLE_S, cost * SAMPLE_SHARE))

    def stop(self) -> None:
        self._done.set()
        self.join()


def tree(pid: int) -> list[int]:
    """pid and all its descendants alive now (/proc/PID/task/TID/children, else a scan of /proc)."""
    if Path(f"/proc/{pid}/task").exists() and _has_children_files(pid):
        out, todo = [], [pid]
        while todo:
            p = todo.pop()
            out.append(p)
            todo += _children(p)
        return out
    return _tree_by_scan(pid)


def _has_children_files(pid: int) -> bool:
    return Path(f"/proc/{pid}/task/{pid}/children").exists()


def _children(pid: int) -> list[int]:
    kids = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:  # the process ended while it was read
        pass
    return kids


def _tree_by_scan(pid: int) -> list[int]:
    parent = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    parent[int(name)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += [c for c, pp in parent.items() if pp == p]
    return out


def _memory_kb(pid: int, kind: str) -> int:
    path, key = (f"/proc/{pid}/smaps_rollup", "Pss:") if kind == "PSS" else (f"/proc/{pid}/status", "VmRSS:")
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0
