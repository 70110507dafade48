"""Scan many masks once each: cache first, then a process pool, with an optional progress bar.

Each distinct file is scanned at most once per run. Files whose result the cache holds (and
that are unchanged on disk) are answered without being opened. The rest are scanned in worker
processes, largest first; each worker hashes its file, looks the hash up, and only decompresses
on a miss, then stores the result. Small batches run in-process, because starting workers costs
more than scanning a few small files, unless the number of jobs was asked for explicitly.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import sys
import time
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from rb_lint.nifti import header
from rb_lint.nifti.cache import MaskCache, file_digest, new_hasher
from rb_lint.nifti.scan import DEFAULT_MAX_BYTES, ScanResult, scan_file
from rb_lint.nifti.stream import GZIP_MAGIC

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

PARALLEL_MIN_BYTES = 32 << 20  # below this much to scan, workers cost more than they save


@dataclass(frozen=True)
class BatchSettings:
    max_bytes: int = DEFAULT_MAX_BYTES
    cache_dir: Path | None = None  # None: no cache
    jobs: int = 1
    force_parallel: bool = False  # the number of jobs was asked for: use workers for any batch
    progress: bool = False


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def scan_masks(paths: Iterable[Path], settings: BatchSettings) -> dict[Path, ScanResult]:
    """Results keyed by the paths given (each distinct path scanned once)."""
    unique = list(dict.fromkeys(paths))
    cache = MaskCache(settings.cache_dir) if settings.cache_dir is not None else None
    results: dict[Path, ScanResult] = {}
    pending = []
    for path in unique:
        cached = cache.lookup(path) if cache is not None else None
        if cached is not None:
            results[path] = cached
        else:
            pending.append(path)
    if pending:
        results.update(_scan_pending(pending, settings))
    return {path: results[path] for path in unique}


def scan_job(path: str, max_bytes: int, cache_dir: str | None) -> ScanResult:
    """One file, in a worker: hash, look up, scan on a miss, store. Never raises for bad files."""
    if cache_dir is None:
        return scan_file(path, max_bytes)
    cache = MaskCache(Path(cache_dir))
    started = time.time_ns()
    try:
        stat = os.stat(path)
        with open(path, "rb") as handle:
            compressed = handle.read(len(GZIP_MAGIC)) == GZIP_MAGIC
        # A compressed file hashes much faster than it decompresses, so hash first and maybe
        # skip the scan; an uncompressed one is hashed during the scan, in the same read.
        digest = file_digest(path) if compressed else None
    except OSError:
        return scan_file(path, max_bytes)
    if digest is not None:
        cached = cache.load(digest, path)
        if cached is not None:
            cache.remember(path, stat, digest, started)
            return cached
        result = scan_file(path, max_bytes)
    else:
        hasher = new_hasher()
        result = scan_file(path, max_bytes, hasher=hasher)
        digest = hasher.hexdigest()
    if result.cacheable:
        cache.store(digest, result)
        cache.remember(path, stat, digest, started)
    return result


def _scan_pending(pending: list[Path], settings: BatchSettings) -> dict[Path, ScanResult]:
    sizes = {path: _size(path) for path in pending}
    order = sorted(pending, key=lambda p: sizes[p], reverse=True)
    jobs = min(settings.jobs, len(order))
    parallel = jobs > 1 and (settings.force_parallel or sum(sizes.values()) >= PARALLEL_MIN_BYTES)
    progress = Progress(len(order), sum(sizes.values()), settings.progress)
    cache_dir = None if settings.cache_dir is None else str(settings.cache_dir)
    results: dict[Path, ScanResult] = {}
    try:
        if parallel:
            _in_pool(order, settings.max_bytes, cache_dir, jobs, progress, sizes, results)
        for path in order:  # in-process: everything, or what a broken pool left over
            if path not in results:
                results[path] = scan_job(str(path), settings.max_bytes, cache_dir)
                progress.advance(sizes[path])
    finally:
        progress.close()
    return results


def _in_pool(
    order: list[Path],
    max_bytes: int,
    cache_dir: str | None,
    jobs: int,
    progress: Progress,
    sizes: dict[Path, int],
    results: dict[Path, ScanResult],
) -> None:
    context = _context()
    forking = context.get_start_method() == "fork"
    if forking:
        header.preload()  # imported once here rather than in every worker
        gc.freeze()  # forked workers must not copy the parent's heap by collecting garbage in it
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context)
    try:
        futures: dict[Future[ScanResult], Path] = {
            pool.submit(scan_job, str(path), max_bytes, cache_dir): path for path in order
        }
        waiting = set(futures)
        while waiting:
            done, waiting = wait(waiting, timeout=0.25, return_when=FIRST_COMPLETED)
            for future in done:
                path = futures[future]
                results[path] = future.result()
                progress.advance(sizes[path])
            progress.refresh()
    except BrokenProcessPool:
        pass  # a worker died (killed, out of memory): the caller scans the rest in-process
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if forking:
            gc.unfreeze()


def _context() -> BaseContext:
    """fork on Linux: workers start at once, with the scanner already imported, and never
    re-run the caller's main module (a script calling `lint()` without a `__main__` guard
    is safe); the parsed documents they inherit are shared copy-on-write, and `gc.freeze()`
    keeps garbage collection from copying them. Elsewhere fork is unsafe (macOS) or missing
    (Windows): forkserver, or spawn."""
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
        self, files: int, total_bytes: int, enabled: bool, stream: TextIO | None = None, delay: float = 1.0
    ) -> None:
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
