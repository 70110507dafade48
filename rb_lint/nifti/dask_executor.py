"""Run scan tasks on a Dask cluster (`--executor dask`): an existing scheduler, or a LocalCluster.

Without an address, a `LocalCluster` of worker processes (one per core, or `--jobs`, one thread
each) is started, bound to 127.0.0.1 only (scheduler, nannies and workers; no dashboard):
distributed's defaults would listen on every interface. Its workers keep no profile (memory). A
cluster is started once per process and reused by later runs (an API caller linting repeatedly
pays its start-up once); it is closed when the process exits, by `close_all()`, or when a run is
interrupted.

Tasks are submitted at once, largest first, with retries: a worker that dies has its tasks run
again elsewhere (the scheduler reschedules them; `allowed-failures` bounds how often). A task
the cluster could not finish is handed back as None and the client scans it itself. Ctrl-C (or
any interruption) cancels the futures and closes the client and the cluster it started.

dask is imported only here, only when a run uses it.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from rb_lint.nifti.executors import ExecutorError, worker_version

if TYPE_CHECKING:
    from distributed import Client, Future, LocalCluster

LOOPBACK = "127.0.0.1"
CONNECT_SECONDS = 15  # reaching a scheduler (an unreachable one: exit 2 well within a minute)
WORKERS_SECONDS = 60  # a scheduler without workers (an adaptive cluster scaling up) gets this long
CLOSE_SECONDS = 10
RETRIES = 2  # a task that raised is tried again (a lost worker's tasks are rescheduled anyway)
WORKER_PRELOAD = "rb_lint.nifti.dask_worker"
# The workers rb-lint starts: distributed's sampling profiler (for a dashboard there is none of)
# keeps call stacks of every task, some 15 MB per worker after a few thousand masks.
WORKER_CONFIG = {"distributed.worker.profile.enabled": False}
NEEDS_DASK = "`--executor dask` needs dask.distributed: pip install 'rb-lint[dask]'"

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Session:
    """A client, and the LocalCluster it started (None for an existing scheduler)."""

    key: str
    client: Client
    cluster: LocalCluster | None

    @property
    def where(self) -> str:
        return "a local Dask cluster" if self.cluster is not None else f"the Dask scheduler at {self.key}"

    def workers(self) -> int:
        """Worker threads now (at least 1: an adaptive cluster may be growing)."""
        try:
            return max(1, sum(self.client.nthreads().values()))  # type: ignore[no-untyped-call, unused-ignore]
        except Exception:  # the scheduler went away: the run fails on its first task instead
            return 1

    def run(
        self, function: Callable[[T], R], tasks: Sequence[T], done: Callable[[int, R | None], None]
    ) -> None:
        """`function(task)` for every task on the cluster; `done(index, result)` in this thread
        as each finishes, with None for a task the cluster could not finish. Whatever stops the
        loop (an error in `done`, Ctrl-C) cancels the futures left; an interruption (not an
        Exception) also closes this session, so no worker outlives it."""
        from distributed import as_completed

        try:
            futures: list[Future[R]] = self.client.map(function, list(tasks), pure=False, retries=RETRIES)
            completed = as_completed(futures, loop=self.client.loop)  # type: ignore[no-untyped-call, unused-ignore]
        except Exception as error:
            raise ExecutorError(f"{self.where} did not take the tasks: {_reason(error)}") from None
        index = {future.key: number for number, future in enumerate(futures)}
        finished = False
        try:
            while (future := _next(completed, self.where)) is not None:
                done(index[future.key], _result(future))
            finished = True
        except Exception:
            raise
        except BaseException:  # Ctrl-C, SIGTERM, a cancelled service job
            _cancel(self.client, futures)
            finished = True
            close(self)
            raise
        finally:
            if not finished:
                _cancel(self.client, futures)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close(timeout=CLOSE_SECONDS)  # type: ignore[no-untyped-call, unused-ignore]
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close(timeout=CLOSE_SECONDS)


class _Registry:
    """The process's sessions, by address (or local size), made under a lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sessions: dict[str, Session] = {}
        self.hooked = False


_REGISTRY = _Registry()


def session(address: str | None, workers: int) -> Session:
    """The process's session for `address` (a LocalCluster of `workers` processes when None),
    started or connected on first use. Raises ExecutorError."""
    key = address if address else f"local:{workers}"
    with _REGISTRY.lock:
        found = _REGISTRY.sessions.get(key)
        if found is not None and found.client.status == "running":
            return found
        if found is not None:
            found.close()
        made = _connect(address, key) if address else _local(workers, key)
        _REGISTRY.sessions[key] = made
        if not _REGISTRY.hooked:
            atexit.register(close_all)
            _REGISTRY.hooked = True
        return made


def close(which: Session) -> None:
    """Close a session and forget it (the next run starts or connects again)."""
    with _REGISTRY.lock:
        if _REGISTRY.sessions.get(which.key) is which:
            del _REGISTRY.sessions[which.key]
    which.close()


def close_all() -> None:
    """Close every session of the process (at exit; an API caller may call it sooner)."""
    with _REGISTRY.lock:
        sessions, _REGISTRY.sessions = list(_REGISTRY.sessions.values()), {}
    for each in sessions:
        each.close()


def _imports() -> tuple[Any, Any]:
    try:
        from distributed import Client, LocalCluster
    except ImportError as error:
        raise ExecutorError(NEEDS_DASK) from error
    return Client, LocalCluster


def _local(workers: int, key: str) -> Session:
    client_class, cluster_class = _imports()
    import dask

    try:
        with dask.config.set(WORKER_CONFIG):  # the nannies hand this config to every worker they start
            cluster = _start_local(cluster_class, workers)
    except Exception as error:
        raise ExecutorError(f"cannot start a local Dask cluster: {_reason(error)}") from None
    try:
        client = client_class(cluster, set_as_default=False)
    except BaseException:
        cluster.close(timeout=CLOSE_SECONDS)
        raise
    return Session(key, client, cluster)


def _start_local(cluster_class: Any, workers: int) -> LocalCluster:
    """A LocalCluster of `workers` processes, one thread each, on loopback only."""
    cluster: LocalCluster = cluster_class(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host=LOOPBACK,
        scheduler_port=0,
        dashboard_address=None,
        worker_dashboard_address=None,
        # No dashboard, but the scheduler's HTTP routes (health, metrics) still listen: on
        # loopback, on a free port (their default, 8787, may be taken).
        scheduler_kwargs={"dashboard_address": f"{LOOPBACK}:0"},
        silence_logs=logging.CRITICAL,  # a restarted worker is not the user's business
        preload=[WORKER_PRELOAD],  # Ctrl-C is the client's to handle
    )
    return cluster


def _connect(address: str, key: str) -> Session:
    client_class, _cluster = _imports()
    with _quiet("distributed"):
        try:
            client = client_class(address, timeout=CONNECT_SECONDS, set_as_default=False)
        except Exception as error:
            raise ExecutorError(f"cannot reach the Dask scheduler at {address}: {_reason(error)}") from None
    made = Session(key, client, None)
    try:
        _check_workers(made)
    except BaseException:
        made.close()
        raise
    return made


def _check_workers(made: Session) -> None:
    """Workers exist, import rb_lint, and run the client's version of it (their results must be
    the client's)."""
    try:
        made.client.wait_for_workers(1, timeout=WORKERS_SECONDS)
    except Exception:
        raise ExecutorError(f"{made.where} has no workers (waited {WORKERS_SECONDS} s)") from None
    try:
        versions = set(made.client.run(worker_version).values())
    except Exception as error:
        raise ExecutorError(
            f"the workers of {made.where} cannot run rb-lint ({_reason(error)}): install rb-lint on them"
        ) from None
    mine = worker_version()
    if versions - {mine}:
        theirs = ", ".join(sorted(versions - {mine}))
        raise ExecutorError(
            f"the workers of {made.where} run rb-lint {theirs}, this is {mine}: install {mine}"
        )


def _next(completed: Iterator[Future[R]], where: str) -> Future[R] | None:
    """The next finished future, None at the end; distributed's own failures are ExecutorError."""
    try:
        return next(completed, None)
    except Exception as error:
        raise ExecutorError(f"{where} failed: {_reason(error)}") from None


def _result(future: Future[R]) -> R | None:
    if future.status != "finished":  # failed after its retries, lost, or cancelled
        return None
    try:
        return future.result()
    except Exception:
        return None


def _cancel(client: Client, futures: list[Future[Any]]) -> None:
    with contextlib.suppress(Exception):
        client.cancel(futures, force=True)  # type: ignore[no-untyped-call, unused-ignore]


def _reason(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."


@contextlib.contextmanager
def _quiet(name: str) -> Iterator[None]:
    """distributed logs its connection retries: the one-line error says it all."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)
