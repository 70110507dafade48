"""Scan many masks once each: cache first, then a process pool, with an optional progress bar.

Each distinct file is scanned at most once per run. Files whose result the cache holds (and
that are unchanged on disk) are answered without being opened (their memos read many per
query). The rest are scanned in worker processes, largest first; each worker hashes its file,
looks the hash up, and only decompresses on a miss, then stores the result (in batches, one
transaction each; the cache's database connection is closed before the workers are forked,
and each opens its own). A small file is read once (hashed and scanned from memory).
Small files go to the pool in tasks of several files, and only a few tasks per worker are
submitted at a time, so the pool's bookkeeping grows with the number of tasks, not its square.
Small batches run in-process, because starting workers costs more than scanning a few small
files, unless the number of jobs was asked for explicitly.

With `executor="dask"` the same tasks go to a Dask cluster instead (`_on_cluster`, any batch
size): the client consults the cache first, workers scan files they must see at the same path
(`scan_shared`: one they cannot see is `UnsharedFile`, not a missing mask), send back small
results and content digests, and the client writes those into its own cache.

Workers die with the run: on Linux the kernel kills them when their parent dies (even by
`kill -9`), elsewhere a watchdog thread in each worker notices it has been orphaned. SIGTERM
during the scan stops the workers, then ends the run as SIGTERM would (exit status 143).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from rb_lint.nifti import header
from rb_lint.nifti.cache import MaskCache, bytes_digest, content_digest
from rb_lint.nifti.executors import DASK, LOCAL, UnsharedFile
from rb_lint.nifti.scan import DEFAULT_MAX_BYTES, ScanResult, read_small, scan_file
from rb_lint.nifti.stream import GZIP_MAGIC

if TYPE_CHECKING:  # imported where used: a lint that scans no mask loads no process pool
    from concurrent.futures import Future
    from concurrent.futures.process import ProcessPoolExecutor
    from multiprocessing.context import BaseContext

    from click._termui_impl import ProgressBar

PARALLEL_MIN_BYTES = 32 << 20  # below this much to scan, workers cost more than they save
PR_SET_PDEATHSIG = 1  # linux/prctl.h
WATCHDOG_SECONDS = 0.5
SMALL_FILE_BYTES = 4 << 20  # files up to this size are read whole, hashed and scanned from memory
TASK_BYTES = 8 << 20  # a pool task holds one file of this size or more, or small files up to it
TASK_FILES = 32  # ...and at most this many
TASKS_PER_JOB = 8  # ...and at most 1/8 of a worker's share of the bytes
IN_FLIGHT = 2  # tasks submitted per worker at a time


@dataclass(frozen=True)
class BatchSettings:
    max_bytes: int = DEFAULT_MAX_BYTES
    cache_dir: Path | None = None  # None: no cache
    root: Path | None = None  # the project root: the cache folder must be neither it nor hold it
    jobs: int = 1
    force_parallel: bool = False  # the number of jobs was asked for: use workers for any batch
    progress: bool = False
    # Called in the calling process with each scanned file's size (a service's job progress); it
    # may raise a BaseException (a cancelled run) to stop the scan, which leaves no worker behind.
    on_scanned: Callable[[int], None] | None = None
    executor: str = LOCAL  # `executors.EXECUTORS`: the process pool, or a Dask cluster
    scheduler: str | None = None  # dask: the scheduler's address; None: a LocalCluster of `jobs` workers


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def scan_masks(paths: Iterable[Path], settings: BatchSettings) -> dict[Path, ScanResult]:
    """Results keyed by the paths given (each distinct path scanned once)."""
    unique = list(dict.fromkeys(paths))
    cache = open_cache(settings)
    try:
        results = cache.lookup_many(unique) if cache is not None else {}
        pending = [path for path in unique if path not in results]
        if pending:
            results.update(_scan_pending(pending, settings, cache))
    finally:
        if cache is not None:
            cache.close()  # every entry written
    return {path: results[path] for path in unique}


def open_cache(settings: BatchSettings, stream: TextIO | None = None) -> MaskCache | None:
    """The run's cache, or None: no cache asked for, or a folder the cache may not use (then one
    warning line on stderr says why, and the run goes on without it)."""
    if settings.cache_dir is None:
        return None
    protected = [settings.root] if settings.root is not None else []
    cache = MaskCache(settings.cache_dir, protected=protected)
    refused = cache.open()
    if refused is None:
        return cache
    with contextlib.suppress(OSError, ValueError):
        print(f"rb-lint: warning: {refused}; scanning without a cache", file=stream or sys.stderr, flush=True)
    return None


def scan_job(path: str, max_bytes: int, cache: MaskCache | None) -> ScanResult:
    """One file, in a worker: hash, look up, scan on a miss, store. Never raises for bad files.
    Hashing costs far less than scanning (a gzip file is hashed, not decompressed; of an
    uncompressed one only what the scan reads is hashed), so a hit skips the scan. A small file
    is read once: its bytes are hashed and scanned from memory."""
    started = time.time_ns()
    small = read_small(path, SMALL_FILE_BYTES)
    if small is None or (cache is not None and not small[0].startswith(GZIP_MAGIC)):
        return _scan_on_disk(path, max_bytes, cache)
    content, stat = small
    if cache is None:
        return scan_file(path, max_bytes, content=content)
    digest = bytes_digest(content)
    cached = cache.load(digest, path)
    if cached is not None:
        cache.remember(path, stat, digest, started, cached)
        return cached
    result = scan_file(path, max_bytes, content=content)  # the very bytes hashed
    cache.record(path, stat, digest, started, result)  # one write
    return result


def scan_jobs(paths: list[str], max_bytes: int, cache: MaskCache | None) -> list[ScanResult]:
    """Several files in one task (small files: one task per file would cost more in the pool's
    bookkeeping than the scan). `cache` None in a worker: the one it was started with."""
    cache = cache if cache is not None else _WORKER_CACHE
    with _deferred(cache):
        return [scan_job(path, max_bytes, cache) for path in paths]


def _deferred(cache: MaskCache | None) -> contextlib.AbstractContextManager[None]:
    """Cache writes made in batches (a transaction each), all done when the block ends."""
    return cache.deferred() if cache is not None else contextlib.nullcontext()


def _scan_on_disk(path: str, max_bytes: int, cache: MaskCache | None) -> ScanResult:
    """A large or uncompressed file: streamed from disk, hashed by `content_digest`."""
    if cache is None:
        return scan_file(path, max_bytes)
    started = time.time_ns()
    try:
        stat = os.stat(path)
        digest = content_digest(path)
    except OSError:
        return scan_file(path, max_bytes)
    cached = cache.load(digest, path)
    if cached is not None:
        cache.remember(path, stat, digest, started, cached)
        return cached
    result = scan_file(path, max_bytes)
    if _unchanged(path, stat):  # not edited between the hash and the scan
        cache.record(path, stat, digest, started, result)
    return result


def _unchanged(path: str, before: os.stat_result) -> bool:
    try:
        after = os.stat(path)
    except OSError:
        return False
    fields = ("st_size", "st_mtime_ns", "st_ctime_ns", "st_ino", "st_dev")
    return all(getattr(before, name) == getattr(after, name) for name in fields)


def _scan_pending(
    pending: list[Path], settings: BatchSettings, cache: MaskCache | None
) -> dict[Path, ScanResult]:
    sizes = {path: _size(path) for path in pending}
    order = sorted(pending, key=lambda p: sizes[p], reverse=True)
    jobs = min(settings.jobs, len(order))
    parallel = jobs > 1 and (settings.force_parallel or sum(sizes.values()) >= PARALLEL_MIN_BYTES)
    progress = Progress(len(order), sum(sizes.values()), settings.progress, on_scanned=settings.on_scanned)
    results: dict[Path, ScanResult] = {}
    with _terminate_cleanly():
        try:
            if settings.executor == DASK:  # the user chose the cluster: used for any batch
                _on_cluster(order, settings, cache, progress, sizes, results)
            elif parallel:
                _in_pool(order, settings.max_bytes, cache, jobs, progress, sizes, results)
            with _deferred(cache):
                for path in order:  # in-process: everything, or what a broken pool left over
                    if path not in results:
                        results[path] = scan_job(str(path), settings.max_bytes, cache)
                        progress.advance(sizes[path])
        finally:
            progress.close()
    return results


class _Terminated(BaseException):
    """SIGTERM arrived during the scan (raised by the handler `_terminate_cleanly` installs)."""


@contextlib.contextmanager
def _terminate_cleanly() -> Iterator[None]:
    """During the scan, SIGTERM unwinds (the pool stops its workers, the progress bar is closed),
    then is delivered again to the previous handler: by default the run ends with status 143,
    as it would have, but leaves no worker behind."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) in (
        signal.SIG_IGN,
        None,
    ):
        yield  # signals are the main thread's; an ignored SIGTERM stays ignored
        return

    def handler(_signum: int, _frame: object) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    except _Terminated:
        signal.signal(signal.SIGTERM, previous)
        signal.raise_signal(signal.SIGTERM)
        raise KeyboardInterrupt from None  # a handler that did not end the process: stop the run
    finally:
        if signal.getsignal(signal.SIGTERM) is handler:
            signal.signal(signal.SIGTERM, previous)


def _in_pool(
    order: list[Path],
    max_bytes: int,
    cache: MaskCache | None,
    jobs: int,
    progress: Progress,
    sizes: dict[Path, int],
    results: dict[Path, ScanResult],
) -> None:
    """Tasks of one large file or of several small ones (`_tasks`), at most `IN_FLIGHT` per
    worker submitted at a time: waiting looks at those few futures only, so the bookkeeping is
    proportional to the number of tasks, and the workers never run dry."""
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures import process as futures_process

    context = _context()
    forking = context.get_start_method() == "fork"
    if cache is not None:
        cache.close()  # a database connection must not cross fork(): each worker opens its own
    if forking:
        header.preload()  # imported once here rather than in every worker
        gc.freeze()  # forked workers must not copy the parent's heap by collecting garbage in it
    pool = futures_process.ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_worker_started, initargs=(os.getpid(), cache)
    )
    finished = False
    try:
        tasks = iter(_tasks(order, sizes, jobs))
        running: dict[Future[list[ScanResult]], list[Path]] = {}
        while True:
            while len(running) < jobs * IN_FLIGHT and (task := next(tasks, None)) is not None:
                running[pool.submit(scan_jobs, [str(path) for path in task], max_bytes, None)] = task
            if not running:
                break
            done, _ = wait(running, timeout=0.25, return_when=FIRST_COMPLETED)
            for future in done:
                for path, result in zip(running.pop(future), future.result(), strict=True):
                    results[path] = result
                    progress.advance(sizes[path])
            progress.refresh()
        finished = True
    except futures_process.BrokenProcessPool:
        finished = True  # a worker died (killed, out of memory): the caller scans the rest in-process
    finally:
        if not finished:  # interrupted (Ctrl-C, SIGTERM) or failed: do not wait for running scans
            _stop_workers(pool)
        pool.shutdown(wait=finished, cancel_futures=True)
        if forking:
            gc.unfreeze()


@dataclass(frozen=True)
class SharedScan:
    """What a cluster worker sends back for one file: its small result, the content digest the
    client's cache keys it by (None without a cache), and whether the worker could see the file."""

    result: ScanResult
    digest: str | None = None
    unseen: bool = False
    host: str = ""


def scan_shared(
    paths: list[str], max_bytes: int = DEFAULT_MAX_BYTES, digests: bool = False
) -> list[SharedScan]:
    """A task on a cluster worker (`--executor dask`): files on a filesystem the worker shares
    with the client, absolute paths. No cache here (the client's may not be visible): the
    client consulted it before sending, and writes the results into it."""
    return [_scan_shared(path, max_bytes, digests) for path in paths]


def _scan_shared(path: str, max_bytes: int, digests: bool) -> SharedScan:
    if not os.path.lexists(path):  # the client saw it: this worker does not share its filesystem
        import socket

        return SharedScan(ScanResult(path), unseen=True, host=socket.gethostname())
    small = read_small(path, SMALL_FILE_BYTES)
    if small is not None and not (digests and not small[0].startswith(GZIP_MAGIC)):
        content = small[0]  # read once: hashed and scanned from memory, as `scan_job` does
        return SharedScan(
            scan_file(path, max_bytes, content=content), bytes_digest(content) if digests else None
        )
    digest = None
    if digests:
        with contextlib.suppress(OSError):
            digest = content_digest(path)
    return SharedScan(scan_file(path, max_bytes), digest)


def _on_cluster(
    order: list[Path],
    settings: BatchSettings,
    cache: MaskCache | None,
    progress: Progress,
    sizes: dict[Path, int],
    results: dict[Path, ScanResult],
) -> None:
    """The files on a Dask cluster, in the pool's tasks. The client stats each file before
    sending it and writes the worker's result into its own cache when the file is unchanged
    after (stat on the client: another machine's device numbers would never match here)."""
    from rb_lint.nifti import dask_executor

    if cache is not None:
        cache.close()  # a cluster may fork local workers: reopened here when results come back
    cluster = dask_executor.session(settings.scheduler, settings.jobs)
    tasks = _tasks(order, sizes, cluster.workers())
    before = {path: _stat(path) for path in order} if cache is not None else {}
    sent_ns = time.time_ns()  # before any worker hashed: the cache's racy-file check stays safe

    def done(index: int, scanned: list[SharedScan] | None) -> None:
        if scanned is None:
            return  # the cluster could not: scanned in-process by the caller
        for path, shared in zip(tasks[index], scanned, strict=True):
            if shared.unseen:
                if path.exists():
                    raise UnsharedFile(path, shared.host)
                continue  # gone here too (deleted meanwhile): scanned in-process, as the pool would
            result = dataclasses.replace(shared.result, path=str(path))
            results[path] = result
            _write_back(cache, path, before.get(path), sent_ns, shared.digest, result)
            progress.advance(sizes[path])

    work = [[os.path.abspath(path) for path in task] for task in tasks]
    scan = functools.partial(scan_shared, max_bytes=settings.max_bytes, digests=cache is not None)
    with _deferred(cache):
        cluster.run(scan, work, done)


def _write_back(
    cache: MaskCache | None,
    path: Path,
    before: os.stat_result | None,
    sent_ns: int,
    digest: str | None,
    result: ScanResult,
) -> None:
    if cache is not None and before is not None and digest is not None and _unchanged(str(path), before):
        cache.record(path, before, digest, sent_ns, result)


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def _tasks(order: list[Path], sizes: dict[Path, int], jobs: int) -> list[list[Path]]:
    """`order` (largest first) cut into tasks: a file of `TASK_BYTES` or more alone, smaller ones
    grouped up to `TASK_BYTES` and `TASK_FILES`, and no task over 1/`TASKS_PER_JOB` of a
    worker's share (so that the last tasks end together)."""
    limit = max(1, min(TASK_BYTES, sum(sizes[path] for path in order) // (jobs * TASKS_PER_JOB)))
    tasks: list[list[Path]] = []
    task: list[Path] = []
    held = 0
    for path in order:
        task.append(path)
        held += sizes[path]
        if held >= limit or len(task) >= TASK_FILES:
            tasks.append(task)
            task, held = [], 0
    if task:
        tasks.append(task)
    return tasks


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            process.kill()
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AttributeError, AssertionError):
            process.join(timeout=5)


_WORKER_CACHE: MaskCache | None = None  # the run's cache, in a worker


def _worker_started(parent: int, cache: MaskCache | None = None) -> None:
    """Pool initializer: the worker dies with its parent, and leaves Ctrl-C to the parent (which
    stops the workers itself) rather than printing a traceback of its own. It keeps the run's
    cache (given once, not with every task)."""
    global _WORKER_CACHE
    _WORKER_CACHE = cache
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, inherited by fork
    if not _die_with_parent():
        threading.Thread(target=_watch_parent, args=(parent,), name="rb-lint-watchdog", daemon=True).start()
    if os.getppid() != parent:  # the parent died before the worker got here
        os._exit(1)


def _die_with_parent() -> bool:
    """Linux: the kernel sends SIGKILL to this process when its parent exits (PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        return False  # pragma: no cover - not Linux
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)) == 0
    except (OSError, AttributeError):  # pragma: no cover - no libc, no prctl
        return False


def _watch_parent(parent: int) -> None:  # pragma: no cover - used where prctl is missing
    while os.getppid() == parent:
        time.sleep(WATCHDOG_SECONDS)
    os._exit(1)


def _context() -> BaseContext:
    """fork on Linux: workers start at once, with the scanner already imported, and never
    re-run the caller's main module (a script calling `lint()` without a `__main__` guard
    is safe); the parsed documents they inherit are shared copy-on-write, and `gc.freeze()`
    keeps garbage collection from copying them. Elsewhere fork is unsafe (macOS) or missing
    (Windows): forkserver, or spawn."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:  # pragma: no cover - macOS
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["rb_lint.nifti.batch", "nibabel"])
        return context
    return multiprocessing.get_context("spawn")  # pragma: no cover - Windows


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class Progress:
    """click's progress bar on stderr, only when it is a terminal and once the scan has taken
    `delay` seconds (short scans print nothing); the bar measures bytes, the text files and MB:
    `rb-lint: scanning masks  [########----------------]   33%  00:00:08  3/8 files, 120/400 MB`."""

    LABEL = "rb-lint: scanning masks"
    WIDTH = 24

    def __init__(
        self,
        files: int,
        total_bytes: int,
        enabled: bool,
        stream: TextIO | None = None,
        delay: float = 1.0,
        on_scanned: Callable[[int], None] | None = None,
    ) -> None:
        self.on_scanned = on_scanned
        self.files, self.total = files, max(total_bytes, 1)
        self.stream = stream if stream is not None else sys.stderr
        self.enabled, self.delay = enabled and _is_terminal(self.stream), delay
        self.done_files = self.done_bytes = 0
        self.started = time.monotonic()
        self.shown = contextlib.ExitStack()
        self.bar: ProgressBar[int] | None = None

    def advance(self, nbytes: int) -> None:
        self.done_files += 1
        self.done_bytes += nbytes
        if self.on_scanned is not None:
            self.on_scanned(nbytes)
        self.refresh()

    def refresh(self) -> None:
        try:
            self._draw()
        except (OSError, ValueError):  # stderr closed or gone during the scan: go on without a bar
            self.enabled, self.bar = False, None
            self.shown.pop_all()

    def _draw(self) -> None:
        bar = self.bar
        if bar is None:
            waited = time.monotonic() - self.started
            if not self.enabled or waited < self.delay:
                return
            bar = self._new_bar()
            bar.start -= waited  # the estimate of the time left counts from the scan's start
            bar.update(self.done_bytes)  # drawn here, so entering does not draw an empty bar first
            self.bar = self.shown.enter_context(bar)
            return
        bar.update(self.done_bytes - bar.pos)

    def _new_bar(self) -> ProgressBar[int]:
        import click

        return click.progressbar(
            length=self.total,
            label=self.LABEL,
            width=self.WIDTH,
            file=self.stream,
            item_show_func=self._counts,
            update_min_steps=0,
        )

    def _counts(self, _item: int | None) -> str:
        return (
            f"{self.done_files}/{self.files} files, {self.done_bytes / 1e6:,.0f}/{self.total / 1e6:,.0f} MB"
        )

    def close(self) -> None:
        """Leave the bar's last state on its line and give the cursor back."""
        with contextlib.suppress(OSError, ValueError):
            self.shown.close()
        self.bar = None


def _is_terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):  # a closed or detached stream
        return False
