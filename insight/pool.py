"""Map a function over many files in a process pool: results in order, streamed, in chunks.

Reading image headers, label files, masks and hashes is CPU work in Python (a file open costs
~8 us, Pillow's header parse ~15 us), so threads share one core under the GIL; processes use every
core, and on a cold cache or a network share they also keep several reads in flight. Little work is
done in-process, where starting workers would cost more than it saves. The pool's size is the CPUs
this process may use (`available_cpus`: the affinity mask and the cgroup's CPU quota).

Past one machine the same calls run on an executor the caller passes (`executor=`: a Dask cluster's,
opened by insight.scheduler, or any concurrent.futures.Executor), in tasks of hundreds of items so
that the scheduler's cost per task (about a millisecond) stays small against the work, with a bounded
number in flight, the results in the same order. What `fn` gets must then be readable where the
workers run (absolute paths on a shared file system), and `fn` importable there.

`Forked(fn)` runs one call in a forked copy of this process (fn may be a closure: nothing is
pickled on the way in) and `result()` takes its value back; the report's renderer and the YOLO
loader's folder listing use it to do two things at once.

Workers are forked when the parent runs no other thread (cheap, and a caller's script needs no
`if __name__ == "__main__"` guard); with threads alive (a progress bar), forking could copy a held
lock, so workers then start from a fork server, which imports `fn`'s module: keep it cheap to import.
"""

from __future__ import annotations

import ctypes
import gc
import math
import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


CGROUP_ROOT = "/sys/fs/cgroup"
SELF_CGROUP = "/proc/self/cgroup"


def worker_count(workers: int | None) -> int:
    return workers or available_cpus()


def available_cpus(cgroup_root: str | os.PathLike = CGROUP_ROOT,
                   self_cgroup: str | os.PathLike = SELF_CGROUP) -> int:
    """CPUs this process may use: the ones its affinity mask allows (taskset, a cpuset), capped by
    the CPU quota of its cgroup (a container's --cpus, a Kubernetes CPU limit), never below 1.

    A quota of 1.5 CPUs counts as 2, as joblib/loky count it: the pool then uses all of the quota.
    os.cpu_count() counts the machine's CPUs, which oversubscribes a container on a large host."""
    cpus = _affinity_cpus()
    quota = cgroup_cpu_quota(cgroup_root, self_cgroup)
    if quota is not None:
        cpus = min(cpus, math.ceil(quota))
    return max(1, cpus)


def _affinity_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def cgroup_cpu_quota(cgroup_root: str | os.PathLike = CGROUP_ROOT,
                     self_cgroup: str | os.PathLike = SELF_CGROUP) -> float | None:
    """The tightest CPU quota, in CPUs, of this process's cgroup and of the cgroups above it; None
    when none is set. cgroup v2 writes it in `cpu.max` ("150000 100000", or "max 100000" for none);
    v1 in `cpu.cfs_quota_us` (-1 for none) over `cpu.cfs_period_us`, under the `cpu` controller's
    mount. The cgroup comes from `self_cgroup` (/proc/self/cgroup); in a container whose cgroup
    namespace hides that path, the mount's own root is the container's cgroup and is read too."""
    quotas = [q for folder in _cgroup_folders(Path(cgroup_root), Path(self_cgroup))
              if (q := _folder_quota(folder)) is not None]
    return min(quotas, default=None)


def _cgroup_folders(root: Path, self_cgroup: Path) -> list[Path]:
    """The folders that may hold this process's CPU limits, its own cgroup first, then its parents."""
    try:
        lines = self_cgroup.read_text().splitlines()
    except OSError:
        lines = []
    folders = [root, root / "cpu"]
    for line in lines:
        _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        names = controllers.split(",")
        mounts = [root] if controllers == "" else [root / controllers, root / "cpu"] if "cpu" in names else []
        for mount in mounts:
            here = mount / path.strip("/")
            folders += [here, *[p for p in here.parents if p.is_relative_to(mount)]]
    return list(dict.fromkeys(folders))


def _folder_quota(folder: Path) -> float | None:
    """CPUs allowed by the quota written in `folder`, or None (no quota, or no such file)."""
    try:
        quota, _, period = (folder / "cpu.max").read_text().partition(" ")
    except OSError:
        try:
            quota = (folder / "cpu.cfs_quota_us").read_text()
            period = (folder / "cpu.cfs_period_us").read_text()
        except OSError:
            return None
    try:
        quota_us, period_us = float(quota), float(period)
    except ValueError:  # "max": no limit
        return None
    return quota_us / period_us if quota_us > 0 and period_us > 0 else None


def on_workers(paths: Sequence[str | None], executor: Executor | None) -> list[str | None]:
    """`paths` as the workers must be given them: absolute when they run on an executor (a cluster's
    workers do not share this process's working folder), as they are for this machine's pool. An
    object's URL (scheme://...) stays as it is."""
    if executor is None:
        return list(paths)
    return [p if p is None or "://" in p else os.path.abspath(p) for p in paths]


def chunked(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def pooled_map(fn: Callable[..., R], items: Sequence[T], workers: int | None = None,
               sequential_below: int = 64, chunksize: int | None = None, *,
               executor: Executor | None = None, cluster_chunksize: int | None = None,
               shared: object = None) -> Iterator[R]:
    """fn(item) for each item, in order, streamed; fn(item, shared) when `shared` is given (it is sent
    to each worker once: a cluster broadcasts it). Where the calls run is decided here, and only here:

    - on `executor` whenever one is given (a Dask cluster's, or any concurrent.futures.Executor),
      `cluster_chunksize` items a task (default `chunksize`, else 1);
    - in-process when there are fewer than `sequential_below` items or one worker;
    - else in a local process pool of `workers` (default: available_cpus()), `chunksize` items a
      task (default: ~8 tasks per worker)."""
    if executor is not None:
        yield from _on_executor(executor, _Chunk(fn, shared is not None), items,
                                cluster_chunksize or chunksize or 1, shared)
        return
    workers = worker_count(workers)
    if workers <= 1 or len(items) < sequential_below:
        yield from _in_process(fn, items, shared)
        return
    chunksize = chunksize or max(1, len(items) // (workers * 8))
    try:
        pool = _local_pool(workers, shared)
    except (OSError, NotImplementedError):  # no process pool on this system (no /dev/shm, a sandbox)
        yield from _in_process(fn, items, shared)
        return
    with pool:
        yield from pool.map(fn if shared is None else partial(_with_worker_shared, fn), items, chunksize=chunksize)


def _in_process(fn: Callable[..., R], items: Sequence[T], shared: object) -> Iterator[R]:
    return map(fn, items) if shared is None else (fn(item, shared) for item in items)


def _local_pool(workers: int, shared: object) -> ProcessPoolExecutor:
    """Forked workers inherit `shared`; started ones receive it once, not with every task."""
    if shared is None:
        return ProcessPoolExecutor(max_workers=workers, mp_context=mp_context())
    return ProcessPoolExecutor(max_workers=workers, mp_context=mp_context(), initializer=_keep_shared,
                               initargs=(shared,))


_worker_shared: object = None  # in a local pool's worker process only: what `shared` was


def _keep_shared(shared: object) -> None:
    global _worker_shared
    _worker_shared = shared


def _with_worker_shared(fn: Callable[..., R], item: T) -> R:
    return fn(item, _worker_shared)


class _Chunk:
    """One task on an executor: fn over a chunk of items. Named after fn, so a cluster's dashboard
    and task names read `hash_file`, `read_chunk`, ..."""

    def __init__(self, fn: Callable[..., R], with_shared: bool):
        self.fn, self.with_shared = fn, with_shared
        self.__name__ = getattr(fn, "__name__", None) or getattr(getattr(fn, "func", None), "__name__", "task")

    def __call__(self, chunk: Sequence[T], shared: object = None) -> list[R]:
        if self.with_shared:
            return [self.fn(item, shared) for item in chunk]
        return [self.fn(item) for item in chunk]


IN_FLIGHT_PER_WORKER = 4  # tasks queued per worker thread of an executor: busy, with memory bounded


def _on_executor(executor: Executor, task: _Chunk, items: Sequence[T], per_task: int,
                 shared: object) -> Iterator[R]:
    """Chunks of `items` as tasks on `executor`, a bounded number in flight, results in order. An
    executor with `broadcast(obj)` (a cluster's) receives `shared` once for all its workers."""
    broadcast = getattr(executor, "broadcast", None)
    if shared is not None and broadcast is not None:
        shared = broadcast(shared)
    window = IN_FLIGHT_PER_WORKER * (getattr(executor, "parallelism", None) or available_cpus())
    chunks = iter(chunked(items, per_task))
    pending: deque[Future] = deque()
    try:
        while True:
            while len(pending) < window and (chunk := next(chunks, None)) is not None:
                pending.append(executor.submit(task, chunk, shared))
            if not pending:
                return
            yield from pending.popleft().result()
    finally:
        for future in pending:  # the caller stopped early or a task failed: nothing more is needed
            future.cancel()


def mp_context():
    """How a worker process starts now (see the module's notes)."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


PR_SET_PDEATHSIG = 1  # linux/prctl.h


class Forked:
    """fn() computed in a forked copy of this process; `result()` waits for it and returns it, or
    raises what fn raised. Where no process can be forked, fn runs at once, here."""

    def __init__(self, fn: Callable[[], object]):
        self._process = self._receive = None
        if threading.active_count() > 1:  # forking could copy a lock another thread holds
            self._value = _call(fn)
            return
        try:
            context = multiprocessing.get_context("fork")
            self._receive, send = context.Pipe(duplex=False)
            self._process = context.Process(target=_send_result, args=(fn, send, os.getpid()),
                                            name=f"insight-{getattr(fn, '__name__', 'job')}")
            gc.freeze()  # the copy's garbage collector then leaves this process's objects (and pages) alone
            try:
                self._process.start()
            finally:
                gc.unfreeze()  # here they are collected as before
        except (OSError, ValueError):
            self._process = None
            self._value = _call(fn)
            return
        send.close()

    def result(self):
        if self._process is None:
            status, value = self._value
        else:
            try:
                status, value = self._receive.recv()
            except EOFError:
                status, value = "error", RuntimeError("a forked worker ended without a result")
            finally:
                self._receive.close()
                self._process.join()
                self._process = None
                self._value = ("error", RuntimeError("result() was already taken"))
        if status == "error":
            raise value
        return value


def _call(fn) -> tuple[str, object]:
    try:
        return "done", fn()
    except Exception as exc:  # noqa: BLE001 - raised again where the result is taken
        return "error", exc


def die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when the process that started it dies (prctl
    PR_SET_PDEATHSIG), so a killed command leaves no worker behind it. Elsewhere a worker notices
    on its next read or write of its pipe."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before the request was made
        os._exit(0)


def _send_result(fn, send, parent: int) -> None:
    die_with_parent(parent)
    gc.disable()  # a short-lived copy: collecting would write to (and copy) pages it shares
    outcome = _call(fn)
    try:
        try:
            send.send(outcome)
        except (OSError, EOFError):
            return  # nobody waits for it any more (its parent was stopped)
        except Exception as exc:  # noqa: BLE001 - a result or an exception that cannot be pickled
            send.send(("error", RuntimeError(f"{type(exc).__name__} while sending a result: {exc}")))
    except (OSError, EOFError):
        return
    finally:
        send.close()
