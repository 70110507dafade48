"""RB3xx: segmentation files exist, are NIfTI volumes the platform reads, and hold what
`segmentMap` says.

Paths resolve relative to the JSON file that names them (`rb_lint.formats.maskpaths`). Every local NIfTI
mask named by any linted document is scanned once per run, the first time a rule needs a result
(`rb_lint.nifti.batch`: cache, then a process pool); results live in `ctx.shared`. Findings about
a file's content point at the path string that names it and name the file.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.formats import maskpaths, walk
from rb_lint.formats.maskpaths import MaskRef
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer, split_pointer
from rb_lint.models.kinds import TASK_KINDS
from rb_lint.nifti.batch import BatchSettings, default_jobs, scan_masks
from rb_lint.nifti.header import COMPLEX_OR_RGB, Header
from rb_lint.nifti.scan import (
    COMPRESSION,
    CORRUPT,
    NOT_NIFTI,
    UNREADABLE,
    UNSUPPORTED,
    ScanResult,
    read_header,
)

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
NIFTI_SUFFIXES = (".nii", ".nii.gz")
MAX_LISTED = 12


# -- what a document names ---------------------------------------------------------------------

@dataclass
class SeriesMasks:
    """One series: its segmentation paths (in order) and its segmentMap."""

    doc: Document
    pointer: str
    series: dict[str, Any]
    refs: list[MaskRef]
    scanned: list[tuple[MaskRef, ScanResult]] | None = None  # filled on first use

    @property
    def segment_map(self) -> dict[str, Any]:
        return walk.segment_map(self.series)

    @property
    def binary(self) -> bool:
        return self.series.get("binaryMask") is True

    @cached_property
    def instances(self) -> dict[int, str]:
        """Instance id -> its segmentMap key, for keys that are instance ids."""
        return {int(key): key for key in self.segment_map if _instance_id(key) is not None}

    def key(self, suffix: str) -> str:
        """A fingerprint key that survives reformatting and reordering of tasks."""
        tokens = split_pointer(self.pointer)
        task = self.doc.data[int(tokens[0])] if isinstance(self.doc.data, list) else {}
        name = task.get("name") if isinstance(task, dict) else None
        return f"{name if isinstance(name, str) else tokens[0]}/{'/'.join(tokens[1:])}:{suffix}"


def _instance_id(key: str) -> int | None:
    if key.isascii() and key.isdigit() and not key.startswith("0") and int(key) <= 65535:
        return int(key)
    return None


@dataclass
class DocumentMasks:
    """A document's series, sorted once into the groups the rules look at (so that a list of
    100,000 tasks with remote masks costs each rule only a glance)."""

    series: list[SeriesMasks]  # with `segmentations` or a `segmentMap`
    local: list[SeriesMasks]  # with at least one local path
    binary: list[SeriesMasks]  # `binaryMask: true`
    with_masks: list[SeriesMasks]  # with an entry that has `mask`
    with_groups: list[SeriesMasks]  # with an entry that has `overlappingGroups`
    with_files: list[SeriesMasks] | None = None  # with at least one scanned file (after scanning)


def _document_masks(doc: Document, ctx: Context) -> DocumentMasks:
    return doc.memo(_build_document_masks, doc, ctx.root)


def _build_document_masks(doc: Document, root: Path) -> DocumentMasks:
    by_series: dict[str, list[MaskRef]] = defaultdict(list)
    for ref in maskpaths.segmentation_refs(doc, root):
        by_series[ref.series_pointer].append(ref)
    every = [SeriesMasks(doc, pointer, series, by_series.get(pointer, []))
             for pointer, series in walk.all_series(doc)
             if pointer in by_series or walk.segment_map(series)]
    return DocumentMasks(
        series=every,
        local=[s for s in every if any(r.where == maskpaths.LOCAL for r in s.refs)],
        binary=[s for s in every if s.binary],
        with_masks=[s for s in every if _has_entry_key(s, "mask")],
        with_groups=[s for s in every if _has_entry_key(s, "overlappingGroups")],
    )


def _has_entry_key(series: SeriesMasks, key: str) -> bool:
    return any(isinstance(entry, dict) and key in entry for entry in series.segment_map.values())


def _series_masks(doc: Document, ctx: Context) -> list[SeriesMasks]:
    return _document_masks(doc, ctx).series


def _with_files(doc: Document, ctx: Context) -> list[SeriesMasks]:
    """Series with at least one scanned mask file (the only ones content rules look at)."""
    masks = _document_masks(doc, ctx)
    if masks.with_files is None:
        masks.with_files = [s for s in masks.local if _scanned(ctx, s)]
    return masks.with_files


def _is_file(ctx: Context, path: Path) -> bool:
    known = ctx.memo(_file_checks)
    if path not in known:
        known[path] = path.is_file()
    return known[path]


def _file_checks() -> dict[Path, bool]:
    return {}


def _image_headers() -> dict[Path, Header | None]:
    return {}


def _scannable(ctx: Context, ref: MaskRef) -> bool:
    return (ref.where == maskpaths.LOCAL and ref.path is not None
            and ref.written.lower().endswith(NIFTI_SUFFIXES) and _is_file(ctx, ref.path))


# -- scanning, once per run ----------------------------------------------------------------------

def _settings(ctx: Context) -> BatchSettings:
    config = ctx.config.masks
    explicit = ctx.options.jobs or config.jobs
    cache_dir = None
    if ctx.options.use_cache:
        cache_dir = Path(config.cache_dir)
        cache_dir = cache_dir if cache_dir.is_absolute() else ctx.root / cache_dir
    return BatchSettings(max_bytes=config.max_uncompressed_bytes, cache_dir=cache_dir,
                         jobs=explicit or default_jobs(), force_parallel=explicit is not None,
                         progress=ctx.options.progress)


def mask_scans(ctx: Context) -> dict[Path, ScanResult]:
    """Scan results of every local NIfTI mask named by any linted document (computed once)."""
    return ctx.memo(_scan_all, ctx)


def _scan_all(ctx: Context) -> dict[Path, ScanResult]:
    paths = [ref.path for doc in ctx.documents if doc.parsed and doc.kind in TASK_KINDS
             for series in _document_masks(doc, ctx).local for ref in series.refs  # type: ignore[arg-type]
             if ref.path is not None and _scannable(ctx, ref)]
    return scan_masks(paths, _settings(ctx))


def _result(ctx: Context, ref: MaskRef) -> ScanResult | None:
    if not _scannable(ctx, ref):
        return None
    return mask_scans(ctx).get(ref.path) if ref.path is not None else None


def _scanned(ctx: Context, series: SeriesMasks) -> list[tuple[MaskRef, ScanResult]]:
    """The series' files that were scanned, with their results (computed once per series)."""
    if series.scanned is None:
        pairs = [(ref, _result(ctx, ref)) for ref in series.refs]
        series.scanned = [(ref, result) for ref, result in pairs if result is not None]
    return series.scanned


def _file_hits(doc: Document, ctx: Context,
               check: Callable[[ScanResult], str | None]) -> Iterator[Hit]:
    """A finding at each path string whose file's scan result `check` objects to."""
    for series in _with_files(doc, ctx):
        for ref, result in _scanned(ctx, series):
            message = check(result)
            if message:
                yield Hit(f"`{ref.written}` {message}", ref.pointer, key=series.key(ref.written))


def _readable_header(result: ScanResult) -> Header | None:
    return None if result.problem(NOT_NIFTI) else result.header


def _listed(values: list[Any], limit: int = MAX_LISTED) -> str:
    shown = ", ".join(str(v) for v in values[:limit])
    return shown + (f", … ({len(values) - limit} more)" if len(values) > limit else "")


def _category(entry: Any) -> str:
    if isinstance(entry, dict):
        entry = entry.get("category")
    if isinstance(entry, list):
        return " > ".join(str(part) for part in entry)
    return str(entry)


# -- RB301–RB303: where the files are ------------------------------------------------------------

@rule("RB301", "mask-file-missing", ERROR, "A segmentation file does not exist or cannot be read.",
      kinds=TASK_KINDS)
def mask_file_missing(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A local path in `segmentations` names no readable file. Paths are relative to the directory
    of the JSON file that names them, as the RedBrick CLI reads them (for a tasks.json, the
    export folder). The SDK rejects the whole series (`Files do not exist`).

    Failing (labels/items.json):
        {"items": "ct.nii.gz", "segmentations": "labels/seg.nii.gz", "segmentMap": {"1": "Liver"}}
    Fixed:
        {"items": "ct.nii.gz", "segmentations": "seg.nii.gz", "segmentMap": {"1": "Liver"}}
    """
    for series in _document_masks(doc, ctx).local:
        for ref in series.refs:
            if ref.where != maskpaths.LOCAL or ref.path is None:
                continue
            problem = _missing(ctx, ref.path)
            if problem:
                yield Hit(f"segmentation file `{ref.written}` {problem}", ref.pointer,
                          key=series.key(ref.written))


def _missing(ctx: Context, path: Path) -> str | None:
    if _is_file(ctx, path):
        return None if os.access(path, os.R_OK) else "cannot be read (permission denied)"
    if path.is_dir():
        return "is a directory, not a mask file"
    if path.exists():
        return "is not a regular file"
    return (f"does not exist (looked for `{path}`; paths are relative to the directory of this "
            "JSON file)")


@rule("RB302", "mask-outside-root", WARNING, "A segmentation path leads outside the linted root.",
      kinds=TASK_KINDS)
def mask_outside_root(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A segmentation path climbs out of the linted root (`..`) or is absolute elsewhere. The
    dataset is then not self-contained: it breaks when the folder is moved, shared or uploaded
    from another machine, and a linter run on the folder alone cannot check the file.

    Failing:
        "segmentations": "../../shared/seg.nii.gz"
    Fixed:
        "segmentations": "labels/seg.nii.gz"   (the file moved inside the dataset)
    """
    for series in _document_masks(doc, ctx).local:
        for ref in series.refs:
            if ref.where == maskpaths.LOCAL and ref.escapes_root:
                yield Hit(f"`{ref.written}` is outside the linted root `{ctx.root}`: the dataset "
                          "is not self-contained; move the file inside it (or lint from a folder "
                          "that contains both)", ref.pointer, key=series.key(ref.written))


@rule("RB303", "remote-mask-not-checked", INFO, "Remote segmentation files are not checked.",
      kinds=TASK_KINDS)
def remote_mask_not_checked(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    Segmentation paths are URIs (`s3://`, `gs://`, `http(s)://`, Azure blob storage). rb-lint
    does not download masks, so those files' existence, headers and values are not checked. One
    finding per JSON file, at its first remote path, counts them (a list of 100,000 tasks should
    not print 100,000 notes). Lint a local copy of the masks to check them, or ignore this rule
    (`ignore = ["RB303"]`).

    Failing (informational):
        "segmentations": "s3://bucket/labels/seg.nii.gz"
    Fixed:
        "segmentations": "labels/seg.nii.gz"   (a local copy, linted before upload)
    """
    remote = [(series, ref) for series in _series_masks(doc, ctx) for ref in series.refs
              if ref.where == maskpaths.REMOTE]
    if remote:
        series, first = remote[0]
        others = (f" (and {len(remote) - 1} more remote segmentation file"
                  f"{'s' if len(remote) > 2 else ''} in this file)" if len(remote) > 1 else "")
        yield Hit(f"`{first.written}` is remote{others}: rb-lint does not download masks, so "
                  "remote masks are not checked", first.pointer, key=series.key(first.written))


# -- RB304–RB305: segmentMap against the values in the files -------------------------------------

def _group_members(series: SeriesMasks) -> dict[int, set[int]]:
    """overlappingGroups: group id -> the instance ids it stands for (a voxel value)."""
    groups: dict[int, set[int]] = defaultdict(set)
    for instance, key in series.instances.items():
        entry = series.segment_map[key]
        raw = entry.get("overlappingGroups") if isinstance(entry, dict) else None
        for group in raw if isinstance(raw, list) else []:
            if isinstance(group, int) and not isinstance(group, bool):
                groups[group].add(instance)
    return groups


def _complete_results(ctx: Context, series: SeriesMasks) -> list[tuple[MaskRef, ScanResult]] | None:
    """Results of every file of the series, or None unless every one was read completely."""
    pairs = _scanned(ctx, series)
    if not pairs or len(pairs) != len(series.refs):
        return None
    if any(not result.complete or result.values is None for _ref, result in pairs):
        return None
    return pairs


@rule("RB304", "segment-id-not-in-masks", ERROR,
      "A segmentMap instance id appears in none of the series' mask files.", kinds=TASK_KINDS)
def segment_id_not_in_masks(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A `segmentMap` key is an instance id: the voxel value that marks the instance in the masks.
    An id whose value is in none of the series' segmentation files maps a category to nothing:
    the annotation is missing after upload, silently (the SDK only compares ids and values with
    `--label-validate`, which is off by default). With `binaryMask: true`, the id's own `mask`
    file must hold at least one non-zero voxel. An id reached through an `overlappingGroups`
    group value counts as present. The finding is at the key and lists what the files hold.
    Checked only when every file of the series is local and was read completely.

    Failing (seg.nii.gz holds 0, 1, 2):
        "segmentations": "seg.nii.gz", "segmentMap": {"1": "Liver", "2": "Spleen", "3": "Kidney"}
    Fixed:
        "segmentations": "seg.nii.gz", "segmentMap": {"1": "Liver", "2": "Spleen"}
    """
    for series in _with_files(doc, ctx):
        instances = series.instances
        if not instances:
            continue
        if series.binary:
            yield from _empty_binary_instances(ctx, series, instances)
            continue
        pairs = _complete_results(ctx, series)
        if pairs is None:
            continue
        present: set[int] = set()
        for _ref, result in pairs:
            present.update(result.values.present if result.values else [])
        for group, members in _group_members(series).items():
            if group in present:
                present |= members
        holdings = "; ".join(
            f"`{ref.written}` holds {_listed(result.values.present if result.values else [])}"
            for ref, result in pairs)
        files = "file" if len(pairs) == 1 else "files"
        for instance, key in instances.items():
            if instance not in present:
                category = _category(series.segment_map[key])
                yield Hit(f"instance id `{key}` (`{category}`) is in none of the series' "
                          f"segmentation {files} ({holdings}): the category gets no annotation; "
                          "remove the entry or fix the mask",
                          join_pointer(series.pointer, "segmentMap", key), at="key",
                          key=series.key(f"id {key}"))


def _empty_binary_instances(ctx: Context, series: SeriesMasks,
                            instances: dict[int, str]) -> Iterator[Hit]:
    by_string = {ref.written: ref for ref in series.refs}
    for key in instances.values():
        entry = series.segment_map[key]
        mask = entry.get("mask") if isinstance(entry, dict) else None
        ref = by_string.get(mask) if isinstance(mask, str) else None
        result = None if ref is None else _result(ctx, ref)
        if result is None or not result.complete or result.values is None:
            continue
        if not result.values.nonzero and not result.values.non_integral:
            yield Hit(f"instance id `{key}` (`{_category(entry)}`): its mask `{mask}` holds no "
                      "non-zero voxel, so the instance is empty and the platform skips it; "
                      "remove the entry or fix the mask",
                      join_pointer(series.pointer, "segmentMap", key), at="key",
                      key=series.key(f"id {key}"))


@rule("RB305", "unmapped-mask-values", WARNING,
      "A mask holds values that segmentMap does not map.", kinds=TASK_KINDS)
def unmapped_mask_values(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A segmentation file holds non-zero values that are neither a `segmentMap` instance id nor an
    `overlappingGroups` group id. They map to no taxonomy category and upload as uneditable,
    view-only annotations (RedBrick's importing guide). Not checked with `binaryMask: true`,
    where values do not matter (RB308 and RB309 cover those files).

    Failing (seg.nii.gz holds 0, 1, 2, 4):
        "segmentations": "seg.nii.gz", "segmentMap": {"1": "Liver", "2": "Spleen"}
    Fixed:
        "segmentations": "seg.nii.gz", "segmentMap": {"1": "Liver", "2": "Spleen", "4": "Kidney"}
    """
    for series in _with_files(doc, ctx):
        if series.binary or not isinstance(series.series.get("segmentMap"), dict):
            continue
        known = set(series.instances) | set(_group_members(series))
        for ref, result in _scanned(ctx, series):
            if result.values is None:
                continue
            extra = [v for v in result.values.present if v and v not in known]
            if extra:
                many = len(extra) > 1
                yield Hit(f"`{ref.written}` holds {'values' if many else 'value'} "
                          f"{_listed(extra)} that `segmentMap` does not map: "
                          f"{'they upload' if many else 'it uploads'} as uneditable, view-only "
                          f"annotations; add {'them' if many else 'it'} to `segmentMap` or erase "
                          f"{'them' if many else 'it'} from the mask", ref.pointer,
                          key=series.key(ref.written))


# -- RB306–RB311: binary masks and overlapping groups --------------------------------------------

def _entry_masks(series: SeriesMasks) -> Iterator[tuple[str, Any, Any]]:
    """(key, entry, its `mask` or None) for each instance entry."""
    for key in series.instances.values():
        entry = series.segment_map[key]
        yield key, entry, entry.get("mask") if isinstance(entry, dict) else None


def _segmentation_strings(series: SeriesMasks) -> list[str]:
    return [s for s in walk.as_list(series.series.get("segmentations")) if isinstance(s, str)]


@rule("RB306", "binary-mask-entry-unmatched", ERROR,
      "A binary-mask entry's `mask` is not one of the series' `segmentations`.", kinds=TASK_KINDS)
def binary_mask_entry_unmatched(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    With `binaryMask: true`, each `segmentMap` entry names its file in `mask`, and the SDK
    matches it to the series' `segmentations` by exact string: `./seg-1.nii.gz` is not
    `seg-1.nii.gz`. An entry without `mask`, or whose `mask` is not one of the strings, gets no
    voxels.

    Failing:
        "segmentations": ["masks/liver.nii.gz"], "binaryMask": true,
        "segmentMap": {"1": {"category": "Liver", "mask": "./masks/liver.nii.gz"}}
    Fixed:
        "segmentMap": {"1": {"category": "Liver", "mask": "masks/liver.nii.gz"}}
    """
    for series in _document_masks(doc, ctx).binary:
        strings = _segmentation_strings(series)
        for key, _entry, mask in _entry_masks(series):
            if not isinstance(mask, str):
                yield Hit(f"instance id `{key}` names no `mask` file, but the series has "
                          "`binaryMask: true`: the platform cannot tell which file holds it; add "
                          "`\"mask\"` with one of the `segmentations` paths",
                          join_pointer(series.pointer, "segmentMap", key), at="key",
                          key=series.key(f"id {key}"))
            elif mask not in strings:
                hint = _same_file(doc, ctx, mask, strings)
                yield Hit(f"`mask` `{mask}` of instance id `{key}` is not one of this series' "
                          "`segmentations` strings: the platform matches them by exact string, "
                          f"so the instance gets no voxels{hint}",
                          join_pointer(series.pointer, "segmentMap", key, "mask"),
                          key=series.key(f"id {key} mask"))


def _same_file(doc: Document, ctx: Context, mask: str, strings: list[str]) -> str:
    """A suggestion when the `mask` names the same file as one of the strings, written otherwise."""
    where, path, _ = maskpaths.resolve(doc, mask, ctx.root)
    for candidate in strings:
        if where == maskpaths.LOCAL and maskpaths.resolve(doc, candidate, ctx.root)[1] == path:
            return f"; write it exactly as `{candidate}`"
    same_name = [c for c in strings if c.rsplit("/", 1)[-1] == mask.rsplit("/", 1)[-1]]
    return f"; did you mean `{same_name[0]}`?" if same_name else ""


@rule("RB307", "binary-mask-file-claimed-twice", ERROR,
      "Two binary-mask entries name the same file.", kinds=TASK_KINDS)
def binary_mask_file_claimed_twice(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    With `binaryMask: true` a file is one instance: every non-zero voxel of it is that instance.
    The SDK refuses a file named by two entries (`Binary mask upload only supports single
    instance per file`) and the series is not imported.

    Failing:
        "1": {"category": "Liver", "mask": "organs.nii.gz"},
        "2": {"category": "Spleen", "mask": "organs.nii.gz"}
    Fixed:
        "1": {"category": "Liver", "mask": "liver.nii.gz"},
        "2": {"category": "Spleen", "mask": "spleen.nii.gz"}
    """
    for series in _document_masks(doc, ctx).binary:
        first: dict[str, str] = {}
        for key, _entry, mask in _entry_masks(series):
            if not isinstance(mask, str):
                continue
            if mask in first:
                yield Hit(f"`{mask}` is already the mask of instance id `{first[mask]}`: with "
                          "`binaryMask` the platform takes one instance per file and rejects the "
                          "series (`Binary mask upload only supports single instance per "
                          "file`); give each instance its own file",
                          join_pointer(series.pointer, "segmentMap", key, "mask"),
                          key=series.key(f"id {key} mask"))
            else:
                first[mask] = key


@rule("RB308", "binary-mask-file-unclaimed", WARNING,
      "A binary-mask series has a file that no segmentMap entry names.", kinds=TASK_KINDS)
def binary_mask_file_unclaimed(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    With `binaryMask: true`, a segmentation file that no entry's `mask` names is not what it
    seems: the SDK passes the raw values of the first file through unmapped (view-only labels),
    and silently ignores any other unclaimed file.

    Failing:
        "segmentations": ["liver.nii.gz", "spleen.nii.gz"], "binaryMask": true,
        "segmentMap": {"1": {"category": "Liver", "mask": "liver.nii.gz"}}
    Fixed:
        "segmentMap": {"1": {"category": "Liver", "mask": "liver.nii.gz"},
                       "2": {"category": "Spleen", "mask": "spleen.nii.gz"}}
    """
    for series in _document_masks(doc, ctx).binary:
        claimed = {mask for _key, _entry, mask in _entry_masks(series) if isinstance(mask, str)}
        for index, ref in enumerate(series.refs):
            if ref.written in claimed:
                continue
            fate = ("as the series' first file, its raw values are imported unmapped, as "
                    "view-only labels" if index == 0 else "the platform silently ignores it")
            yield Hit(f"no `segmentMap` entry names `{ref.written}` in its `mask`: {fate}; add an "
                      "entry with `\"mask\"` for it, or remove it from `segmentations`",
                      ref.pointer, key=series.key(ref.written))


@rule("RB309", "binary-mask-not-binary", ERROR,
      "A file of a binary-mask series holds several non-zero values.", kinds=TASK_KINDS)
def binary_mask_not_binary(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    With `binaryMask: true`, every non-zero voxel of a file becomes the one instance that names
    the file, so a file holding several labels (1, 2, ...) silently merges them into one.

    Failing (organs.nii.gz holds 0, 1, 2):
        "segmentations": ["organs.nii.gz"], "binaryMask": true,
        "segmentMap": {"1": {"category": "Liver", "mask": "organs.nii.gz"}}
    Fixed (one file per instance, or no binaryMask):
        "segmentations": ["organs.nii.gz"], "segmentMap": {"1": "Liver", "2": "Spleen"}
    """
    for series in _document_masks(doc, ctx).binary:
        owner = {mask: key for key, _entry, mask in _entry_masks(series) if isinstance(mask, str)}
        for ref, result in _scanned(ctx, series):
            nonzero = result.values.nonzero if result.values else []
            if len(nonzero) < 2:
                continue
            merged = (f"instance `{owner[ref.written]}`" if ref.written in owner
                      else "one instance")
            yield Hit(f"`{ref.written}` holds {len(nonzero)} different non-zero values "
                      f"({_listed(nonzero)}), but with `binaryMask: true` all of them become "
                      f"{merged}: split the file into one file per value, or drop `binaryMask` "
                      "and map the values in `segmentMap`", ref.pointer,
                      key=series.key(ref.written))


@rule("RB310", "mask-entry-without-binarymask", WARNING,
      "A segmentMap entry has `mask` but the series is not `binaryMask`.", kinds=TASK_KINDS)
def mask_entry_without_binarymask(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    The SDK reads an entry's `mask` only when the series has `binaryMask: true`. Without it,
    `mask` is ignored and the values of every file are mapped through `segmentMap`, which is
    rarely what a file-per-instance layout means.

    Failing:
        "segmentations": ["liver.nii.gz"],
        "segmentMap": {"1": {"category": "Liver", "mask": "liver.nii.gz"}}
    Fixed:
        "segmentations": ["liver.nii.gz"], "binaryMask": true,
        "segmentMap": {"1": {"category": "Liver", "mask": "liver.nii.gz"}}
    """
    for series in _document_masks(doc, ctx).with_masks:
        if series.binary:
            continue
        for key, entry, _mask in _entry_masks(series):
            if isinstance(entry, dict) and "mask" in entry:
                yield Hit("`mask` is read only with `binaryMask: true` on the series: without it "
                          "the platform ignores `mask` and maps the values of every file through "
                          "`segmentMap`; add `\"binaryMask\": true` or remove `mask`",
                          join_pointer(series.pointer, "segmentMap", key, "mask"), at="key",
                          key=series.key(f"id {key} mask"))


@rule("RB311", "overlapping-group-collision", ERROR,
      "An `overlappingGroups` id is also an instance id.", kinds=TASK_KINDS)
def overlapping_group_collision(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    `overlappingGroups` ids are the voxel values that stand for several instances at once where
    they overlap. A group id equal to an instance id of the same `segmentMap` is ambiguous; the
    SDK rejects the series (`Found common instance and group ids`).

    Failing:
        "segmentMap": {"1": {"category": "Liver", "overlappingGroups": [2]}, "2": "Tumor"}
    Fixed:
        "segmentMap": {"1": {"category": "Liver", "overlappingGroups": [3]}, "2": "Tumor"}
    """
    for series in _document_masks(doc, ctx).with_groups:
        instances = series.instances
        for key in instances.values():
            entry = series.segment_map[key]
            groups = entry.get("overlappingGroups") if isinstance(entry, dict) else None
            for index, group in enumerate(groups if isinstance(groups, list) else []):
                if isinstance(group, int) and not isinstance(group, bool) and group in instances:
                    yield Hit(f"group id {group} is also an instance id of this `segmentMap`: "
                              "the platform rejects the series (`Found common instance and group "
                              "ids`); give the group an id no instance uses",
                              join_pointer(series.pointer, "segmentMap", key, "overlappingGroups",
                                           index), key=series.key(f"id {key} group {group}"))


# -- RB312–RB323: each file's header and data ----------------------------------------------------

@rule("RB312", "not-a-nifti-volume", ERROR, "A mask is not a NIfTI-1/2 volume.", kinds=TASK_KINDS)
def not_a_nifti_volume(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    The platform loads masks with nibabel and accepts only NIfTI-1 and NIfTI-2 images: a CIFTI
    file with a `.nii` name, an Analyze or two-file (.hdr/.img) pair, NRRD, DICOM, text or a
    damaged header are rejected (`Invalid base mask type`). The message says what the file is.

    Failing:
        "segmentations": "seg.nii.gz"   (an NRRD file renamed to .nii.gz)
    Fixed:
        "segmentations": "seg.nii.gz"   (converted, e.g. with SimpleITK.WriteImage)
    """
    def check(result: ScanResult) -> str | None:
        problem = result.problem(NOT_NIFTI)
        return None if problem is None else f"is not a NIfTI-1/2 volume: {problem.message}"

    yield from _file_hits(doc, ctx, check)


@rule("RB313", "mask-compression-mismatch", ERROR,
      "A mask's gzip compression does not match its file name.", kinds=TASK_KINDS)
def mask_compression_mismatch(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    nibabel decides from the name whether to decompress: a `.nii.gz` that is not gzipped, or a
    gzipped `.nii`, fails to load on the platform although other tools open it.

    Failing:
        "segmentations": "seg.nii"   (gzip-compressed)
    Fixed:
        "segmentations": "seg.nii.gz"   (the file renamed)
    """
    def check(result: ScanResult) -> str | None:
        problem = result.problem(COMPRESSION)
        return None if problem is None else problem.message

    yield from _file_hits(doc, ctx, check)


@rule("RB314", "mask-not-3d", ERROR, "A mask is not exactly 3-D.", kinds=TASK_KINDS)
def mask_not_3d(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    The platform accepts exactly 3-D masks (`Invalid base mask shape`): a 2-D array, a 4-D file,
    even one shaped (X, Y, Z, 1), is rejected. 2-D masks are stored as (X, Y, 1).

    Failing:
        seg.nii.gz with shape (240, 240, 155, 1)
    Fixed:
        seg.nii.gz with shape (240, 240, 155)   (e.g. `nib.squeeze_image(img)`)
    """
    def check(result: ScanResult) -> str | None:
        header = _readable_header(result)
        if header is None or header.ndim == 3:
            return None
        hint = ("save a 2-D mask with shape (X, Y, 1)" if header.ndim < 3
                else "drop the extra axes (e.g. `nib.squeeze_image`) or split the volumes")
        return (f"is {header.ndim}-D (shape {header.shape}): the platform accepts exactly 3-D "
                f"masks (`Invalid base mask shape`); {hint}")

    yield from _file_hits(doc, ctx, check)


@rule("RB315", "unsupported-mask-dtype", ERROR, "A mask holds complex, RGB or other non-label data.",
      kinds=TASK_KINDS)
def unsupported_mask_dtype(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    Mask voxels are integer labels. Complex, RGB/RGBA, 1-bit and 128-bit float data cannot be
    turned into labels (the platform casts everything to uint16), and rb-lint cannot check them.

    Failing:
        seg.nii.gz stored as RGB24
    Fixed:
        seg.nii.gz stored as uint8 or uint16 labels
    """
    def check(result: ScanResult) -> str | None:
        header = result.header
        if result.problem(UNSUPPORTED) is None or header is None:
            return None
        kind = "complex or RGB" if header.datatype in COMPLEX_OR_RGB else "non-label"
        return (f"holds {header.dtype_name} voxels ({kind} data): masks hold integer labels; "
                "save it as uint8 or uint16")

    yield from _file_hits(doc, ctx, check)


@rule("RB316", "float-mask", WARNING, "A mask stores floating-point voxels.", kinds=TASK_KINDS)
def float_mask(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    The SDK keeps uint8/uint16 masks as they are and converts every other type with
    `round(get_fdata())` to uint16: float labels survive only if they are whole numbers in
    0..65535 (RB317 and RB319 check that). Integer labels avoid the conversion.

    Failing:
        seg.nii.gz stored as float32
    Fixed:
        seg.nii.gz stored as uint8 (`img.set_data_dtype(np.uint8)`)
    """
    def check(result: ScanResult) -> str | None:
        header = _readable_header(result)
        if header is None or not header.is_float or result.problem(UNSUPPORTED):
            return None
        return (f"stores {header.dtype_name} voxels: the platform rounds them to uint16; save "
                "integer labels (uint8 or uint16) instead")

    yield from _file_hits(doc, ctx, check)


@rule("RB317", "non-integral-mask-values", ERROR,
      "A mask holds fractional, NaN or infinite values.", kinds=TASK_KINDS)
def non_integral_mask_values(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    Labels are whole numbers. The platform rounds fractional values (0.5 becomes 0, 1.5 becomes
    2: round half to even) and casts NaN and infinities to undefined values, so an interpolated
    or resampled mask changes its labels on upload. Values are the raw stored ones (before
    scl_slope/scl_inter, see RB318).

    Failing:
        seg.nii.gz holding 0.0, 0.49, 1.0, NaN   (resampled with linear interpolation)
    Fixed:
        seg.nii.gz holding 0, 1   (resampled with nearest-neighbour interpolation)
    """
    def check(result: ScanResult) -> str | None:
        values = result.values
        if values is None or not (values.non_integral or values.non_finite):
            return None
        parts = []
        if values.non_integral:
            parts.append(f"fractional values (e.g. {_listed(values.non_integral, 5)})")
        if values.non_finite:
            parts.append(f"non-finite values ({', '.join(values.non_finite)})")
        return (f"holds {' and '.join(parts)}: the platform rounds labels to whole numbers and "
                "NaN/inf become arbitrary labels; resample with nearest-neighbour interpolation "
                "and store integer labels")

    yield from _file_hits(doc, ctx, check)


@rule("RB318", "mask-scaling", WARNING, "A mask's scl_slope/scl_inter is not the identity.",
      kinds=TASK_KINDS)
def mask_scaling(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    `scl_slope`/`scl_inter` rescale stored values. The platform applies them on upload but not
    on export, so labels change in a round trip, and rb-lint (like most label tools) checks the
    stored values. Labels need no scaling: set slope 1 and intercept 0 (or slope 0/NaN, which
    means none).

    Failing:
        seg.nii.gz with scl_slope 2.0, scl_inter 0.0
    Fixed:
        seg.nii.gz with scl_slope 1.0, scl_inter 0.0 (or NaN)
    """
    def check(result: ScanResult) -> str | None:
        header = _readable_header(result)
        if header is None or not header.scaled:
            return None
        return (f"has scl_slope {header.scl_slope:g} and scl_inter {header.scl_inter:g}: the "
                "platform applies them on upload but not on export, and rb-lint checks the "
                "stored values; save the labels unscaled (slope 1, intercept 0)")

    yield from _file_hits(doc, ctx, check)


@rule("RB319", "mask-values-out-of-range", ERROR,
      "A mask holds negative values or values above 65535.", kinds=TASK_KINDS)
def mask_values_out_of_range(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    Instance ids are 1..65535: the platform casts labels to uint16, so -1 wraps to 65535 and
    65536 to 0 (erasing the voxel), silently. Image intensities (a CT's negative Hounsfield
    units) in a segmentation path are a common cause.

    Failing:
        seg.nii.gz holding -1, 0, 1
    Fixed:
        seg.nii.gz holding 0, 1, 2
    """
    def check(result: ScanResult) -> str | None:
        values = result.values
        if values is None or not (values.negative or values.above):
            return None
        parts = []
        if values.negative:
            parts.append(f"negative values (e.g. {_listed(values.negative, 5)})")
        if values.above:
            parts.append(f"values above 65535 (e.g. {_listed(values.above, 5)})")
        return (f"holds {' and '.join(parts)}: the platform casts labels to uint16 and they "
                "wrap around silently; labels must be 0..65535 (is this an image rather than a "
                "mask?)")

    yield from _file_hits(doc, ctx, check)


@rule("RB320", "empty-mask", WARNING, "A mask holds no non-zero voxel.", kinds=TASK_KINDS)
def empty_mask(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A mask whose voxels are all 0 carries no annotation; the SDK skips it silently (`Skipping
    empty labels`), which usually means the wrong file or a failed export.

    Failing:
        seg.nii.gz with every voxel 0
    Fixed:
        the series without that file in `segmentations` (or the right file)
    """
    def check(result: ScanResult) -> str | None:
        values = result.values
        if values is None or not result.complete or not values.empty:
            return None
        return ("holds no non-zero voxel: the platform skips empty masks silently; name the "
                "right file or remove it")

    yield from _file_hits(doc, ctx, check)


@rule("RB321", "mask-without-orientation", WARNING, "A mask's qform and sform codes are both 0.",
      kinds=TASK_KINDS)
def mask_without_orientation(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    With qform_code and sform_code both 0 a NIfTI file has no orientation: readers fall back to
    a guessed grid (voxel size only, no origin or direction), so the mask may appear flipped or
    shifted against its image. Write the mask with the image's affine.

    Failing:
        nib.Nifti1Image(labels, affine=None)
    Fixed:
        nib.Nifti1Image(labels, image.affine, image.header)
    """
    def check(result: ScanResult) -> str | None:
        header = _readable_header(result)
        if header is None or header.qform_code or header.sform_code:
            return None
        return ("has qform_code and sform_code 0, so it has no orientation and may be shown "
                "flipped or shifted against its image; save it with the image's affine")

    yield from _file_hits(doc, ctx, check)


@rule("RB322", "corrupt-mask-data", ERROR, "A mask's data is truncated or damaged.",
      kinds=TASK_KINDS)
def corrupt_mask_data(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    The file holds less voxel data than its header promises, its gzip stream is truncated, or
    its gzip checksum does not match (an interrupted copy or download, a full disk). nibabel
    fails on it, or, worse, reads garbage.

    Failing:
        seg.nii.gz cut short by an interrupted `aws s3 cp`
    Fixed:
        seg.nii.gz copied again (compare its checksum with the original)
    """
    def check(result: ScanResult) -> str | None:
        problem = result.problem(CORRUPT) or result.problem(UNREADABLE)
        return None if problem is None else f"is damaged: {problem.message}"

    yield from _file_hits(doc, ctx, check)


@rule("RB323", "mask-too-large", ERROR,
      "A mask's header promises more voxel data than the configured limit.", kinds=TASK_KINDS)
def mask_too_large(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    The header claims more voxel data than `max-uncompressed-bytes` (`[tool.rb-lint.masks]`,
    default 4 GiB): usually a damaged header, or an image where a mask belongs. The file is not
    read (decompressing it would take minutes). Raise the limit if the mask is real.

    Failing:
        seg.nii.gz whose header says shape (51200, 51200, 3000)
    Fixed:
        seg.nii.gz with the real shape (512, 512, 300)
    """
    limit = ctx.config.masks.max_uncompressed_bytes

    def check(result: ScanResult) -> str | None:
        header = _readable_header(result)
        if header is None or header.nbytes <= limit:
            return None
        return (f"promises {header.nbytes:,} bytes of voxel data (shape {header.shape}, "
                f"{header.dtype_name}), over `max-uncompressed-bytes` ({limit:,}): it was not "
                "read; check its header, or raise the limit in `[tool.rb-lint.masks]`")

    yield from _file_hits(doc, ctx, check)


# -- RB324–RB325: grids --------------------------------------------------------------------------

def _grid_difference(header: Header, other: Header, tolerance: float) -> str | None:
    if header.spatial_shape() != other.spatial_shape():
        return f"shape {header.shape} where {{other}} has {other.shape}"
    worst, where = 0.0, (0, 0)
    for i in range(3):
        for j in range(4):
            difference = abs(header.affine[i][j] - other.affine[i][j])
            if difference > worst:
                worst, where = difference, (i, j)
    if worst > tolerance:
        return (f"an affine that differs from {{other}}'s by {worst:.4g} (row {where[0]}, "
                f"column {where[1]}; tolerance {tolerance:g})")
    return None


@rule("RB324", "mask-grid-mismatch", ERROR,
      "The masks of one series do not share shape and affine.", kinds=TASK_KINDS)
def mask_grid_mismatch(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    The SDK merges a series' masks by writing each file's non-zero voxels into the first
    file's array by index, with no shape or affine check: a smaller file lands in the wrong
    place, a larger one fails with an IndexError, and a shifted affine mislabels anatomy. Every
    file is compared with the series' first (affine tolerance: `affine-tolerance`).

    Failing:
        "segmentations": ["a.nii.gz", "b.nii.gz"]   shapes (240, 240, 155) and (240, 240, 154)
    Fixed:
        both resampled onto the image's grid, shape (240, 240, 155)
    """
    tolerance = ctx.config.masks.affine_tolerance
    for series in _with_files(doc, ctx):
        first: tuple[MaskRef, Header] | None = None
        for ref, result in _scanned(ctx, series):
            header = _readable_header(result)
            if header is None:
                continue
            if first is None:
                first = (ref, header)
                continue
            difference = _grid_difference(header, first[1], tolerance)
            if difference:
                other = f"`{first[0].written}`, the series' first mask,"
                yield Hit(f"`{ref.written}` has {difference.format(other=other)}: the platform "
                          "merges a series' masks voxel by voxel, so this one lands in the wrong "
                          "place; resample every mask onto the image's grid", ref.pointer,
                          key=series.key(ref.written))


def _image_header(ctx: Context, doc: Document, series: SeriesMasks) -> tuple[str, Header] | None:
    """The header of the series' image when `items` is one local NIfTI file."""
    items = walk.as_list(series.series.get("items"))
    if len(items) != 1 or not isinstance(items[0], str):
        return None
    written = items[0]
    where, path, _ = maskpaths.resolve(doc, written, ctx.root)
    if where != maskpaths.LOCAL or path is None or not written.lower().endswith(NIFTI_SUFFIXES):
        return None
    headers = ctx.memo(_image_headers)
    if path not in headers:
        result = read_header(path) if _is_file(ctx, path) else None
        headers[path] = None if result is None else _readable_header(result)
    header = headers[path]
    return None if header is None else (written, header)


@rule("RB325", "mask-image-grid-mismatch", ERROR,
      "A mask's grid differs from its image's grid.", kinds=TASK_KINDS)
def mask_image_grid_mismatch(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    When the series' `items` is one local NIfTI image, each mask must lie on the image's grid:
    same shape and affine (within `affine-tolerance`). A mask on another grid (a different
    scan, a crop, a resampled copy) is drawn at the wrong place, or rejected.

    Failing:
        "items": "ct.nii.gz" (512, 512, 300), "segmentations": "seg.nii.gz" (512, 512, 299)
    Fixed:
        "segmentations": "seg.nii.gz" resampled onto ct.nii.gz's grid
    """
    tolerance = ctx.config.masks.affine_tolerance
    for series in _with_files(doc, ctx):
        scanned = _scanned(ctx, series)
        image = _image_header(ctx, doc, series) if scanned else None
        if image is None:
            continue
        image_name, image_header = image
        for ref, result in scanned:
            header = _readable_header(result)
            difference = None if header is None else _grid_difference(header, image_header,
                                                                       tolerance)
            if difference:
                other = f"the image `{image_name}`"
                yield Hit(f"`{ref.written}` has {difference.format(other=other)}: the mask is "
                          "not on its image's grid and is drawn at the wrong place; resample it "
                          "onto the image", ref.pointer, key=series.key(ref.written))


RULES = [
    mask_file_missing, mask_outside_root, remote_mask_not_checked, segment_id_not_in_masks,
    unmapped_mask_values, binary_mask_entry_unmatched, binary_mask_file_claimed_twice,
    binary_mask_file_unclaimed, binary_mask_not_binary, mask_entry_without_binarymask,
    overlapping_group_collision, not_a_nifti_volume, mask_compression_mismatch, mask_not_3d,
    unsupported_mask_dtype, float_mask, non_integral_mask_values, mask_scaling,
    mask_values_out_of_range, empty_mask, mask_without_orientation, corrupt_mask_data,
    mask_too_large, mask_grid_mismatch, mask_image_grid_mismatch,
]
