"""What is on disk, or in remote storage, for the masks the linted documents name: which files
exist, and what they hold.

Every local NIfTI mask named by a linted document is scanned once per run, the first time one of
that document's rules asks for a scan result (`rb_lint.nifti.batch`: cache, then a process pool or
a Dask cluster (`--executor dask`), one batch per document, as documents are read one at a time);
rules that need no result (a missing file, a path outside the root) never start the scan.
Extraction only: the RB3xx rules judge the results. Images' headers and grids are in
`rb_lint.facts.mask_grids`.

Remote masks (a storage key or a URL, when network access was asked for: `rb_lint.facts.remote`)
are streamed and scanned by the same scanner (here, or by the Dask workers, which open the URLs
themselves); their results are keyed by URL, so every content rule judges them as it judges a local
file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, ItemsView, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from rb_lint.core.config import ConfigError, cache_directory
from rb_lint.core.context import Context
from rb_lint.core.findings import Hit
from rb_lint.facts.files import content_here
from rb_lint.facts.masks import NIFTI_SUFFIXES, SeriesMasks, document_masks
from rb_lint.facts.remote import remote_scan, remote_scans, storage_map
from rb_lint.formats import maskpaths
from rb_lint.formats.maskpaths import MaskRef
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import collector_paused
from rb_lint.models.kinds import TASK_KINDS
from rb_lint.nifti.executors import DASK, EXECUTORS, LOCAL, SCHEDULER_VARIABLE, ExecutorError, UnsharedFile
from rb_lint.nifti.header import Header
from rb_lint.nifti.scan import NOT_NIFTI, ScanResult

if TYPE_CHECKING:
    from rb_lint.nifti.batch import BatchSettings


@dataclass(frozen=True, slots=True)  # one per local mask path: no `__dict__` each
class ScannedMask:
    """A path string of a series and the scan result of the file it names."""

    ref: MaskRef
    result: ScanResult


# -- files ---------------------------------------------------------------------------------------


def file_exists(ctx: Context, path: Path) -> bool:
    """Whether `path` is a regular file whose content is here: not a Git LFS pointer, and nothing
    that cannot be opened (`rb_lint.facts.files`: once per run, never raises)."""
    return content_here(ctx, path)


def scannable(ctx: Context, ref: MaskRef) -> bool:
    """A local NIfTI path that names an existing file."""
    return (
        ref.where == maskpaths.LOCAL
        and ref.path is not None
        and ref.written.lower().endswith(NIFTI_SUFFIXES)
        and file_exists(ctx, ref.path)
    )


# -- scan results, once per file per run ---------------------------------------------------------


@dataclass
class _RunScans:
    """Every scan result of the run so far: a mask named by several documents is scanned once.
    `failure`: why the executor cannot scan (said once; every later document fails the same way
    at once rather than reaching for the cluster again)."""

    results: dict[Path, ScanResult]
    failure: str | None = None


def _run_scans(ctx: Context) -> _RunScans:
    return _RunScans({})


def mask_scans(doc: Document, ctx: Context) -> dict[Path | str, ScanResult]:
    """Scan results of every NIfTI mask the document names, keyed by local path, or by URL for a
    remote one (computed once per document, the first time one of its rules asks: documents are
    read one at a time, so the masks of each are scanned in one batch, and a file scanned for an
    earlier document is not scanned again)."""
    found: dict[Path | str, ScanResult] = dict(doc.memo(_scan_document, doc, ctx).items())
    if storage_map(ctx).network:
        found.update(_on_executor(ctx, lambda settings: remote_scans(doc, ctx, settings)))
    return found


def _scan_document(doc: Document, ctx: Context) -> dict[Path, ScanResult]:
    if not (doc.parsed and doc.kind in TASK_KINDS):
        return {}
    exists: dict[Path, bool] = {}  # asked once per file, not per path string naming it
    paths = []
    for series in document_masks(doc, ctx).local:
        for ref in series.refs:
            path = ref.path
            if (
                path is None
                or ref.where != maskpaths.LOCAL
                or not ref.written.lower().endswith(NIFTI_SUFFIXES)
            ):
                continue
            found = exists.get(path)
            if found is None:
                found = exists[path] = file_exists(ctx, path)
            if found:  # `scannable`
                paths.append(path)
    run = ctx.memo(_run_scans, ctx)
    missing = [path for path in dict.fromkeys(paths) if path not in run.results]
    if missing:
        run.results.update(_scan(run, missing, ctx))
    return {path: run.results[path] for path in paths}


def _scan(run: _RunScans, paths: list[Path], ctx: Context) -> dict[Path, ScanResult]:
    """`scan_masks`; an executor that cannot scan (an unreachable Dask scheduler, workers that do
    not see the files) is a usage problem: one line, exit code 2, not a finding per mask."""
    # Imported here, and looked up when called: the scanning machinery (cache, process pool) loads
    # only when a run has masks to scan (issue 17, start-up).
    from rb_lint.nifti.batch import scan_masks

    return _on_executor(ctx, lambda settings: scan_masks(paths, settings), run)


T = TypeVar("T")


def _on_executor(ctx: Context, scan: Callable[[BatchSettings], T], run: _RunScans | None = None) -> T:
    """`scan(settings)`; the executor's failure (local or remote masks alike) said once, then
    every later scan of the run fails the same way at once."""
    run = run if run is not None else ctx.memo(_run_scans, ctx)
    if run.failure is not None:
        raise ConfigError(run.failure)
    try:
        return scan(scan_settings(ctx))
    except UnsharedFile as error:
        run.failure = error.describe(_shown(error.path, ctx.root))
    except ExecutorError as error:
        run.failure = str(error)
    raise ConfigError(run.failure)


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def scan_settings(ctx: Context) -> BatchSettings:
    """How the run scans masks (one object per run; ConfigError for a setting it refuses)."""
    return ctx.memo(_settings, ctx)


def _settings(ctx: Context) -> BatchSettings:
    from rb_lint.nifti.batch import BatchSettings, default_jobs  # only when masks are scanned

    config = ctx.config.masks
    explicit = ctx.options.jobs or config.jobs
    cache_dir = cache_directory(ctx.loaded, ctx.options.cache_dir) if ctx.options.use_cache else None
    if ctx.options.confine and config.executor:
        # A service's request must not make the server start a cluster or send work (and unpickle
        # what comes back) to an address of the requester's choosing.
        raise ConfigError("`masks.executor` is a server setting, not a request's")
    scheduler = ctx.options.scheduler or os.environ.get(SCHEDULER_VARIABLE) or None
    executor = ctx.options.executor or config.executor or (DASK if scheduler else LOCAL)
    if executor not in EXECUTORS:
        raise ConfigError(f"unknown executor `{executor}`: use one of {', '.join(EXECUTORS)}")
    return BatchSettings(
        executor=executor,
        scheduler=scheduler if executor == DASK else None,
        max_bytes=config.max_uncompressed_bytes,
        cache_dir=cache_dir,
        root=ctx.root,
        jobs=explicit or default_jobs(),
        force_parallel=explicit is not None,
        progress=ctx.options.progress,
        on_scanned=ctx.options.observer.mask_scanned if ctx.options.observer is not None else None,
    )


def scan_result(ctx: Context, ref: MaskRef) -> ScanResult | None:
    """The scan result of the file a path string names; None when it is not scanned (remote, not
    NIfTI, missing). Asks for the run's scan only for a scannable path."""
    if scannable(ctx, ref) and ref.path is not None:
        return ref.doc.memo(_scan_document, ref.doc, ctx).get(ref.path)
    if not storage_map(ctx).network:
        return None  # nothing is fetched
    return _on_executor(ctx, lambda settings: remote_scan(ref.doc, ctx, ref.pointer, settings))


def scanned_masks(ctx: Context, series: SeriesMasks) -> Sequence[ScannedMask]:
    """The series' files that were scanned, with their results (computed once per document)."""
    return series.doc.memo(_scanned_by_series, series.doc, ctx).get(series, ())


def scanned_series(doc: Document, ctx: Context) -> ItemsView[SeriesMasks, Sequence[ScannedMask]]:
    """(series, `scanned_masks`) of every series with a scanned file, in document order: a rule
    that looks at each such series' files asks the memo once, not once per series."""
    return doc.memo(_scanned_by_series, doc, ctx).items()


def _scanned_by_series(doc: Document, ctx: Context) -> dict[SeriesMasks, tuple[ScannedMask, ...]]:
    """`scanned_masks` of every series that has some, in document order: one pass, not a fact
    per series (keyed by the series itself: `SeriesMasks` hash by identity)."""
    masks = document_masks(doc, ctx)
    found: dict[SeriesMasks, tuple[ScannedMask, ...]] = {}
    if storage_map(ctx).network:
        for series in masks.series:
            if scanned := _scanned_masks(ctx, series):
                found[series] = scanned
        return found
    # Only local NIfTI paths have results: those in the document's scan (which holds exactly the
    # paths that are `scannable`, and scans nothing when none is). The scan runs first: what the
    # scanner leaves (garbage cycles) must not be frozen with the objects made per path below.
    scans = doc.memo(_scan_document, doc, ctx) if masks.local else {}
    with collector_paused():  # objects per scanned path, no cycles (see `collector_paused`)
        for series in masks.local:
            if scanned := _scanned_local_masks(series, scans):
                found[series] = scanned
    return found


def _scanned_masks(ctx: Context, series: SeriesMasks) -> tuple[ScannedMask, ...]:
    found = []
    for ref in series.refs:
        result = scan_result(ctx, ref)
        if result is not None:
            found.append(ScannedMask(ref, result))
    return tuple(found)


def _scanned_local_masks(series: SeriesMasks, scans: dict[Path, ScanResult]) -> tuple[ScannedMask, ...]:
    """`_scanned_masks` when nothing is fetched (`scans`: the document's)."""
    found = []
    for ref in series.refs:
        path = ref.path
        if path is not None and ref.where == maskpaths.LOCAL and ref.written.lower().endswith(NIFTI_SUFFIXES):
            result = scans.get(path)
            if result is not None:
                found.append(ScannedMask(ref, result))
    return tuple(found)


def content_identity(series: SeriesMasks, scanned: Sequence[ScannedMask]) -> tuple[int, ...]:
    """What a rule that compares a series' ids with its files' values decides on, as a key: a list's
    series share the same few files and sets of ids (`SeriesMasks.instances`, and the empty
    `group_members`, are shared), so such a rule can judge each set once. Identities: the
    document's objects outlive its rules."""
    shared = (series.instances, series.group_members, *[mask.result for mask in scanned])
    return (len(series.refs), *map(id, shared))


@dataclass(frozen=True, slots=True)
class FileUses:
    """The (series, file) pairs that name one scanned file, as two lists (no pair kept each)."""

    series: list[SeriesMasks] = field(default_factory=list)
    masks: list[ScannedMask] = field(default_factory=list)

    def __iter__(self) -> Iterator[tuple[SeriesMasks, ScannedMask]]:
        return zip(self.series, self.masks, strict=True)

    def hits(self, said: str) -> Iterator[Hit]:
        """A finding where each series names the file: the file as written there, then `said`."""
        for series, mask in self:
            written = mask.ref.written
            yield Hit(f"`{written}` {said}", mask.ref.pointer, key=series.key(written))


def scanned_by_result(doc: Document, ctx: Context) -> list[tuple[ScanResult, FileUses]]:
    """Every scanned mask file of the document, grouped by scan result, each result once (in the
    order first named), with every (series, file) that names it, in document order: a list of
    100,000 tasks names the same few hundred files over and over, and a rule that judges a file
    by its result alone judges each once."""
    return doc.memo(_scanned_by_result, doc, ctx)


def _scanned_by_result(doc: Document, ctx: Context) -> list[tuple[ScanResult, FileUses]]:
    with collector_paused():  # lists of what is already made, no cycles (see `collector_paused`)
        return _scanned_by_result_made(doc, ctx)


def _scanned_by_result_made(doc: Document, ctx: Context) -> list[tuple[ScanResult, FileUses]]:
    groups: dict[int, tuple[ScanResult, FileUses]] = {}
    for series, scanned in scanned_series(doc, ctx):
        for mask in scanned:
            group = groups.get(id(mask.result))  # results are kept by the run: their ids are stable
            if group is None:
                group = groups[id(mask.result)] = (mask.result, FileUses())
            group[1].series.append(series)
            group[1].masks.append(mask)
    return list(groups.values())


# -- headers -------------------------------------------------------------------------------------


def readable_header(result: ScanResult) -> Header | None:
    """The header of a NIfTI-1/2 volume (None when the file is none, whatever was parsed)."""
    return None if result.problem(NOT_NIFTI) else result.header
