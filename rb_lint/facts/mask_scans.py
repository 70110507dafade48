"""What is on disk for the masks the linted documents name: which files exist, and what they hold.

Every local NIfTI mask named by any linted document is scanned once per run, the first time a rule
asks for a scan result (`rb_lint.nifti.batch`: cache, then a process pool); rules that need no
result (a missing file, a path outside the root) never start the scan. Extraction only: the RB3xx
rules judge the results. Images' headers and grids are in `rb_lint.facts.mask_grids`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rb_lint.core.context import Context
from rb_lint.facts.masks import NIFTI_SUFFIXES, SeriesMasks, document_masks
from rb_lint.formats import maskpaths
from rb_lint.formats.maskpaths import MaskRef
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS
from rb_lint.nifti.batch import BatchSettings, default_jobs, scan_masks
from rb_lint.nifti.header import Header
from rb_lint.nifti.scan import NOT_NIFTI, ScanResult


@dataclass(frozen=True)
class ScannedMask:
    """A path string of a series and the scan result of the file it names."""

    ref: MaskRef
    result: ScanResult


# -- files ---------------------------------------------------------------------------------------


def file_exists(ctx: Context, path: Path) -> bool:
    """Whether `path` is a regular file (asked of the filesystem once per run)."""
    return ctx.memo(_is_file, path)


def _is_file(path: Path) -> bool:
    return path.is_file()


def scannable(ctx: Context, ref: MaskRef) -> bool:
    """A local NIfTI path that names an existing file."""
    return (
        ref.where == maskpaths.LOCAL
        and ref.path is not None
        and ref.written.lower().endswith(NIFTI_SUFFIXES)
        and file_exists(ctx, ref.path)
    )


# -- scan results, once per run ------------------------------------------------------------------


def mask_scans(ctx: Context) -> dict[Path, ScanResult]:
    """Scan results of every local NIfTI mask named by any linted document (computed once per run)."""
    return ctx.memo(_scan_all, ctx)


def _scan_all(ctx: Context) -> dict[Path, ScanResult]:
    paths = [
        ref.path
        for doc in ctx.documents
        if isinstance(doc, Document) and doc.parsed and doc.kind in TASK_KINDS
        for series in document_masks(doc, ctx).local
        for ref in series.refs
        if ref.path is not None and scannable(ctx, ref)
    ]
    return scan_masks(paths, _settings(ctx))


def _settings(ctx: Context) -> BatchSettings:
    config = ctx.config.masks
    explicit = ctx.options.jobs or config.jobs
    cache_dir = None
    if ctx.options.use_cache:
        cache_dir = Path(config.cache_dir)
        cache_dir = cache_dir if cache_dir.is_absolute() else ctx.root / cache_dir
    return BatchSettings(
        max_bytes=config.max_uncompressed_bytes,
        cache_dir=cache_dir,
        jobs=explicit or default_jobs(),
        force_parallel=explicit is not None,
        progress=ctx.options.progress,
    )


def scan_result(ctx: Context, ref: MaskRef) -> ScanResult | None:
    """The scan result of the file a path string names; None when it is not scanned (remote, not
    NIfTI, missing). Asks for the run's scan only for a scannable path."""
    if not scannable(ctx, ref) or ref.path is None:
        return None
    return mask_scans(ctx).get(ref.path)


def scanned_masks(ctx: Context, series: SeriesMasks) -> list[ScannedMask]:
    """The series' files that were scanned, with their results (computed once per series)."""
    return series.doc.memo(_scanned_masks, ctx, series)


def _scanned_masks(ctx: Context, series: SeriesMasks) -> list[ScannedMask]:
    found = []
    for ref in series.refs:
        result = scan_result(ctx, ref)
        if result is not None:
            found.append(ScannedMask(ref, result))
    return found


def series_with_files(doc: Document, ctx: Context) -> list[SeriesMasks]:
    """Series with at least one scanned mask file (the only ones content rules look at)."""
    return doc.memo(_series_with_files, doc, ctx)


def _series_with_files(doc: Document, ctx: Context) -> list[SeriesMasks]:
    return [s for s in document_masks(doc, ctx).local if scanned_masks(ctx, s)]


def scanned_files(doc: Document, ctx: Context) -> Iterator[tuple[SeriesMasks, ScannedMask]]:
    """Every scanned mask file of the document, with its series, in document order."""
    for series in series_with_files(doc, ctx):
        for scanned in scanned_masks(ctx, series):
            yield series, scanned


# -- headers -------------------------------------------------------------------------------------


def readable_header(result: ScanResult) -> Header | None:
    """The header of a NIfTI-1/2 volume (None when the file is none, whatever was parsed)."""
    return None if result.problem(NOT_NIFTI) else result.header
