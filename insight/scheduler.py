"""Past one machine: the per-image work on an existing Dask cluster.

    insight report DATASET --scheduler tcp://HOST:8786      (or DASK_SCHEDULER_ADDRESS=tcp://HOST:8786)

`on_cluster(config)` wraps a command. When `config.scheduler` names a scheduler, the command runs with
`config.executor` set to a `ClusterExecutor`, and insight.pool sends every per-image stage there
(hashing, header reads, mask decoding, label parsing, the near-duplicate search); the reductions over
the tidy tables stay in the command. Nothing else in the code knows about Dask. The dataset's files
must be readable by the workers at the same absolute paths (a shared file system), and the workers need
insight installed (`pip install 'insight-cv[dask]'` on every machine).

- The client connects at the first task, so a command that sends none (a labels-only scan) never
  does, and the report's renderer still starts as a forked helper before any client thread exists.
- A worker that dies is replaced by the scheduler and its tasks run again elsewhere (Dask's
  `distributed.scheduler.allowed-failures`, 3 by default); a task that raises is run again RETRIES
  more times. A task that still fails ends the command with one line (ClusterError) naming the
  scheduler, the stage and the cause, not a Dask traceback.
- Dask's own log lines (connection and shutdown chatter) are silenced while the command runs, so its
  stderr keeps one line.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError, Executor, Future, InvalidStateError
from contextlib import contextmanager
from dataclasses import replace
from importlib.util import find_spec

from insight.config import Config
from insight.errors import InsightError, MissingExtraError

SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
RETRIES = 2  # a task that raises is run again this many times (a flaky network file system, a lost worker)
DASK_LOGGERS = ("distributed", "tornado", "bokeh", "asyncio")
_FIRST_LINE = 200  # characters of the cause kept in a one-line error


class ClusterError(InsightError):
    """The cluster could not be reached, or a stage failed on it after Dask's retries."""


def scheduler_from_environment() -> str | None:
    """The scheduler address Dask's own tools read (DASK_SCHEDULER_ADDRESS), if set."""
    return os.environ.get(SCHEDULER_ENV) or None


@contextmanager
def on_cluster(config: Config) -> Iterator[Config]:
    """`config` with its per-image work on the cluster `config.scheduler` names (unchanged without
    one, or when it already carries an executor); the client is closed, quietly, at the end."""
    if not config.scheduler or config.executor is not None:
        yield config
        return
    if find_spec("distributed") is None:
        raise MissingExtraError("a dataset on a Dask cluster (--scheduler)", "dask")
    executor = ClusterExecutor(config.scheduler)
    try:
        with quiet_dask():
            yield replace(config, executor=executor)
    finally:
        executor.shutdown(wait=False)


class ClusterExecutor(Executor):
    """A concurrent.futures.Executor on a Dask cluster, for insight.pool: `submit`, `broadcast(obj)`
    (sent once; tasks given what it returns receive obj) and `parallelism` (the cluster's worker
    threads). Failed tasks raise ClusterError."""

    def __init__(self, address: str):
        self.address = address
        self._client = None
        self._executor: Executor | None = None

    @property
    def parallelism(self) -> int:
        return max(1, sum(self._connected().nthreads().values()))

    def submit(self, fn: Callable, /, *args, **kwargs) -> Future:
        self._connected()
        return _ClusterFuture(self._executor.submit(fn, *args, **kwargs), self._failure(fn))

    def broadcast(self, obj: object):
        """obj as the result of a task of its own: each worker that needs it fetches it once, from the
        scheduler or a peer. Not Client.scatter: scattered data lost with a dying worker cannot be made
        again, and every task that needs it would fail; a task's result is made again."""
        return self._connected().submit(shared_data, obj, pure=False)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        client, self._client, self._executor = self._client, None, None
        if client is not None:
            with quiet_dask():
                client.close()

    def _connected(self):
        if self._client is None:
            self._client = _connect(self.address)
            self._executor = self._client.get_executor(pure=False, retries=RETRIES)
        return self._client

    def _failure(self, fn: Callable) -> Callable[[BaseException], ClusterError]:
        stage = getattr(fn, "__name__", "a task")

        def failure(exc: BaseException) -> ClusterError:
            if isinstance(exc, CancelledError):
                return ClusterError(f"the Dask cluster dropped the per-image stage {stage} before it finished "
                                    "(did its scheduler stop?)", self.address)
            cause = " ".join(f"{type(exc).__name__}: {exc}".split())[:_FIRST_LINE]
            hint = " (is insight installed on the cluster's workers?)" if isinstance(exc, ImportError) else ""
            return ClusterError(f"the per-image stage {stage} failed on the Dask cluster, also when run again: "
                                f"{cause}{hint}", self.address)
        return failure


def shared_data(obj: object) -> object:
    """The task behind ClusterExecutor.broadcast: it returns what it was given."""
    return obj


def _connect(address: str):
    import distributed

    try:
        _check_address(address)
        with quiet_dask():
            return distributed.Client(address, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        cause = " ".join(str(exc).split())[:_FIRST_LINE] or type(exc).__name__
        raise ClusterError(f"cannot reach the Dask scheduler: {cause}", address) from None


def _check_address(address: str) -> None:
    """Raise ValueError or TypeError for an address Dask cannot connect to at all (no port, an unknown
    or uninstalled protocol): a Client refused that late hangs for a minute on its way out."""
    from distributed.comm.registry import get_backend

    scheme, _, location = address.rpartition("://")
    backend = get_backend(scheme or "tcp")
    backend.get_connector()
    try:
        backend.get_address_host_port(location)
    except NotImplementedError:
        raise ValueError(f"{scheme}:// addresses name no host and port to reach") from None


class _ClusterFuture(Future):
    """The outcome of a task on the cluster, with its failure turned into a ClusterError."""

    def __init__(self, inner: Future, failure: Callable[[BaseException], ClusterError]):
        super().__init__()
        self._inner, self._as_error = inner, failure
        inner.add_done_callback(self._settle)

    def cancel(self) -> bool:
        self._inner.cancel()
        return super().cancel()

    def _settle(self, inner: Future) -> None:
        try:
            if inner.cancelled():  # not by cancel() here: the cluster dropped it (the scheduler went away)
                self.set_exception(self._as_error(CancelledError()))
            elif inner.exception() is not None:
                self.set_exception(self._as_error(inner.exception()))
            else:
                self.set_result(inner.result())
        except InvalidStateError:  # cancelled here meanwhile: nobody waits for it
            pass


@contextmanager
def quiet_dask() -> Iterator[None]:
    """Dask's log lines and warnings (reconnecting, closing, version notes) kept off stderr meanwhile:
    its loggers, and the handlers Dask gave them, let nothing through until the block ends."""
    names = [n for n in list(logging.root.manager.loggerDict) if n.split(".")[0] in DASK_LOGGERS]
    loggers = [logging.getLogger(name) for name in dict.fromkeys([*DASK_LOGGERS, *names])]
    handlers = list(dict.fromkeys(h for logger in loggers for h in logger.handlers))
    saved = [(item, item.level) for item in (*loggers, *handlers)]
    for item, _ in saved:
        item.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for item, level in saved:
            item.setLevel(level)
