"""Remote references of the linted documents: where each item and segmentation lives, whether the
objects exist, and what remote masks hold.

Where: `rb_lint.formats.locations` decides, from the run's storages (`[tool.rb-lint.storage]`,
`--storage`, `--label-storage`, `--remote`) and what exists locally. Whether the objects exist: one
bulk existence check per document for the URLs not yet told in the run (`Stores.exist`: paged
listings, not a request per object). What remote masks hold: streamed scans (`scan_remote`), once
per URL per run, cached by URL + version + size in the run's mask cache; with `--executor dask` the
cluster's workers open and scan them (`rb_lint.storage.cluster`), the client keeps the cache. Nothing
is fetched unless network access was asked for (`StorageMap.network`). Extraction only: RB900,
RB901, RB301, RB303 and the mask content rules judge.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rb_lint.core.config import ConfigError, cache_directory
from rb_lint.core.context import Context
from rb_lint.facts.files import local_file, outside_root
from rb_lint.formats import maskpaths
from rb_lint.formats.locations import (
    ITEM,
    SEGMENTATION,
    Location,
    PathString,
    Place,
    StorageMap,
    is_full_url,
    is_local_form,
    path_strings,
    resolve,
    storage_of,
)
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import collector_paused
from rb_lint.models.kinds import TASKS_EXPORT
from rb_lint.nifti.executors import DASK
from rb_lint.nifti.scan import ScanResult
from rb_lint.storage.faults import MissingExtra, StorageProblem
from rb_lint.storage.urls import parse_url

if TYPE_CHECKING:  # imported where used: the scanning and storage machinery loads only when needed
    from rb_lint.nifti.batch import BatchSettings
    from rb_lint.nifti.cache import MaskCache
    from rb_lint.storage.access import RemoteObject, Stores
    from rb_lint.storage.settings import StorageSettings

NIFTI_SUFFIXES = (".nii", ".nii.gz")


# -- the run's storages --------------------------------------------------------------------------


def storage_map(ctx: Context) -> StorageMap:
    """The run's storages: the command line's `--storage` / `--label-storage` over the config's
    `default` / `labels`, the storage ids, and `remote` (once per run; ConfigError for a prefix of
    an unsupported scheme)."""
    return ctx.memo(_storage_map, ctx)


def _storage_map(ctx: Context) -> StorageMap:
    table, options = ctx.config.storage, ctx.options
    default = options.storage or table.default
    labels = options.label_storage or table.labels
    by_id = tuple(sorted(table.by_id.items()))
    named = [("--storage" if options.storage else "storage.default", default)]
    named += [("--label-storage" if options.label_storage else "storage.labels", labels)]
    named += [(f"storage.{key}", prefix) for key, prefix in by_id]
    for where, prefix in named:
        if prefix is not None and parse_url(prefix) is None:
            raise ConfigError(
                f"`{where}`: `{prefix}` is not a URL of a supported storage "
                "(s3://bucket/prefix, gs://bucket, az://container, https://host/path)"
            )
    return StorageMap(default, labels, by_id, options.remote or table.remote)


def storage_settings(ctx: Context) -> StorageSettings:
    from rb_lint.storage.settings import StorageSettings

    table = ctx.config.storage
    return StorageSettings(
        endpoint_url=table.endpoint_url,
        anonymous=table.anonymous,
        timeout=table.timeout,
        retries=table.retries,
    )


def stores(ctx: Context) -> Stores:
    """The run's filesystems (one per bucket), made on first use: only when something is fetched."""
    return ctx.memo(_stores, ctx)


def _stores(ctx: Context) -> Stores:
    from rb_lint.storage.access import Stores

    return Stores(storage_settings(ctx))


# -- where each path lives -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Located:
    ref: PathString
    location: Location
    path: Path | None  # the local path the string names (None for a full URL)
    fetched: bool  # its existence (and a mask's content) is asked of its storage


@dataclass(frozen=True)
class DocumentLocations:
    items: list[Located]
    segmentations: list[Located]
    items_local: bool  # some item exists locally: a direct-upload list for items
    any_local: bool  # some item or segmentation exists locally: a direct-upload list for masks
    by_pointer: dict[str, Located] = field(repr=False)

    @property
    def fetched(self) -> list[Located]:
        return [found for found in (*self.items, *self.segmentations) if found.fetched]


def document_locations(doc: Document, ctx: Context) -> DocumentLocations:
    """Where each `items` and `segmentations` string of the document leads (once per document).
    Without network access (`StorageMap.network`), full URLs are left out: they are not fetched."""
    return doc.memo(_document_locations, doc, ctx)


def _document_locations(doc: Document, ctx: Context) -> DocumentLocations:
    with collector_paused():  # an object per path string, no cycles (see `collector_paused`)
        return _document_locations_made(doc, ctx)


def _document_locations_made(doc: Document, ctx: Context) -> DocumentLocations:
    storages = storage_map(ctx)
    # Without network access full URLs are not listed: nothing is asked of them (RB303 counts them
    # from the mask facts), and a list of 500,000 tasks names a million.
    strings = path_strings(doc, full_urls=storages.network)
    base = os.path.abspath(doc.directory)
    folders: dict[str, bool] = {}  # whether the first folder of a path is here, once per folder
    table = maskpaths.resolutions(doc, ctx.root)
    # A list names the same file from many tasks: where a string leads, and whether something is
    # there, is worked out once per role and string.
    known: dict[tuple[str, str], tuple[Path | None, bool]] = {}
    pairs = []
    for ref in strings:
        place = known.get((ref.role, ref.written))
        if place is None:
            path = _local_path(doc, ctx, base, ref, table)
            place = known[ref.role, ref.written] = (
                path,
                path is not None and _here(ctx, base, ref, path, folders),
            )
        pairs.append((ref, *place))

    def local(role: str) -> bool:  # something of the role is here, or shows it would be
        chosen = [(ref, path, found) for ref, path, found in pairs if ref.role == role]
        return any(found for _ref, _path, found in chosen) or any(
            _local_evidence(ctx, base, ref, path, folders) for ref, path, _found in chosen if path is not None
        )

    items_local = local(ITEM)
    # An export's masks are files the exporter wrote next to it.
    any_local = items_local or doc.kind == TASKS_EXPORT or local(SEGMENTATION)
    located = []
    # Once per distinct string: where it leads, and whether it is fetched (`url` may parse it).
    locations: dict[tuple[str, str, str | None, bool], tuple[Location, bool]] = {}
    network = storages.network
    for ref, path, found in pairs:
        key = (ref.role, ref.written, ref.storage_id, found)
        known_location = locations.get(key)
        if known_location is None:
            direct = items_local if ref.role == ITEM else any_local
            location = resolve(ref, found, direct, storages)
            fetched = (location.place is Place.STORAGE or network) and location.url is not None
            known_location = locations[key] = (location, fetched)
        located.append(Located(ref, known_location[0], path, known_location[1]))
    return DocumentLocations(
        items=[found for found in located if found.ref.role == ITEM],
        segmentations=[found for found in located if found.ref.role == SEGMENTATION],
        items_local=items_local,
        any_local=any_local,
        by_pointer={found.ref.pointer: found for found in located},
    )


def _first_folder(base: str, ref: PathString, folders: dict[str, bool]) -> bool | None:
    """Whether the first folder of a relative path (`masks` of `masks/p1/seg.nii.gz`) is here;
    None for a path without one (a file in the document's folder, or an absolute path)."""
    if is_local_form(ref.written):
        return None
    top, slash, _rest = ref.written.replace("\\", "/").partition("/")
    if not (slash and top):
        return None
    found = folders.get(top)
    if found is None:
        found = folders[top] = os.path.isdir(os.path.join(base, top))
    return found


def _here(ctx: Context, base: str, ref: PathString, path: Path, folders: dict[str, bool]) -> bool:
    """Something is at the path. A storage key's first folder is usually not here: then nothing
    below it is either, and the file is not asked for (100,000 keys cost a few folder checks).
    In a confined run, a path leading outside the root is not looked at (`local_file`)."""
    if ctx.options.confine and outside_root(ctx, path):
        return local_file(ctx, path).present
    if _first_folder(base, ref, folders) is False:
        return False
    return local_file(ctx, path).present


def _local_path(
    doc: Document, ctx: Context, base: str, ref: PathString, table: dict[str, maskpaths.Resolution]
) -> Path | None:
    """The local file a string names (None for a full URL). Segmentations as the mask facts resolve
    them (symbolic links, once per document and string); items by joining to the document's folder
    (string work: an items list of 100,000 keys in as many folders asks nothing more)."""
    if is_full_url(ref.written):
        return None
    if ref.role == SEGMENTATION:
        return maskpaths.locate_in(table, doc, ref.written, ctx.root)[1]
    text = ref.written[7:] if ref.written[:7].lower() == "file://" else ref.written
    return Path(os.path.normpath(os.path.join(base, text)))


def _local_evidence(ctx: Context, base: str, ref: PathString, path: Path, folders: dict[str, bool]) -> bool:
    """A path that is not here still shows the document is laid out locally: its deletion is
    staged (`Options.removed`), its first folder is here (`masks/` of `masks/p1/seg.nii.gz`), or a
    symbolic link is there (dangling, or a loop)."""
    if ctx.options.removed and path in ctx.options.removed:
        return True
    folder = _first_folder(base, ref, folders)
    if folder is not None:
        return folder
    return os.path.islink(path)


def segmentation_at(doc: Document, ctx: Context, pointer: str) -> Located | None:
    found = document_locations(doc, ctx).by_pointer.get(pointer)
    return found if found is not None and found.ref.role == SEGMENTATION else None


# -- what is there ---------------------------------------------------------------------------------


@dataclass
class _RunRemote:
    """Everything told about remote objects in the run: an object named by several documents is
    asked for once."""

    objects: dict[str, RemoteObject] = field(default_factory=dict)
    scans: dict[str, ScanResult] = field(default_factory=dict)


def _run_remote(ctx: Context) -> _RunRemote:
    return _RunRemote()


def remote_objects(doc: Document, ctx: Context) -> dict[str, RemoteObject]:
    """Existence, size and version of every object the document names remotely (once per document:
    one bulk check for the URLs not yet told in the run)."""
    return doc.memo(_remote_objects, doc, ctx)


def _remote_objects(doc: Document, ctx: Context) -> dict[str, RemoteObject]:
    urls = [found.location.url for found in document_locations(doc, ctx).fetched if found.location.url]
    run = ctx.memo(_run_remote, ctx)
    wanted = [url for url in dict.fromkeys(urls) if url not in run.objects]
    if wanted:
        try:
            run.objects.update(stores(ctx).exist(wanted))
        except MissingExtra as error:
            raise ConfigError(str(error)) from None
    return {url: run.objects[url] for url in urls}


def remote_object(doc: Document, ctx: Context, found: Located) -> RemoteObject | None:
    """What is at a fetched path's URL (None when it is not fetched)."""
    if not found.fetched or found.location.url is None:
        return None
    return remote_objects(doc, ctx).get(found.location.url)


def remote_scans(doc: Document, ctx: Context, settings: BatchSettings) -> dict[str, ScanResult]:
    """Scan results of the document's remote NIfTI masks that exist (once per document; an object
    scanned for an earlier document is not fetched again). `settings`: the run's (one object per
    run), for its executor. Raises ExecutorError when the chosen cluster cannot be used."""
    return doc.memo(_remote_scans, doc, ctx, settings)


def _remote_scans(doc: Document, ctx: Context, settings: BatchSettings) -> dict[str, ScanResult]:
    objects = remote_objects(doc, ctx)
    urls = [
        found.location.url
        for found in document_locations(doc, ctx).segmentations
        if found.fetched and found.location.url and _nifti(found.location.url)
    ]
    present = [url for url in dict.fromkeys(urls) if objects[url].exists and objects[url].problem is None]
    run = ctx.memo(_run_remote, ctx)
    wanted = [objects[url] for url in present if url not in run.scans]
    if wanted:
        run.scans.update(_scan_objects(ctx, wanted, settings))
        _tell_scanned(ctx, wanted)
    return {url: run.scans[url] for url in present}


def _scan_objects(ctx: Context, wanted: list[RemoteObject], settings: BatchSettings) -> dict[str, ScanResult]:
    """Streamed here in threads, or (`--executor dask`) opened and scanned by the cluster's workers."""
    max_bytes, cache = settings.max_bytes, ctx.memo(_cache, ctx)
    if settings.executor == DASK:
        from rb_lint.storage.cluster import scan_on_cluster

        return scan_on_cluster(stores(ctx), wanted, max_bytes, cache, settings.scheduler, settings.jobs)
    from rb_lint.storage.scanning import scan_remote  # threads and the scanner: only when needed

    return scan_remote(stores(ctx), wanted, max_bytes, cache, ctx.options.jobs)


def _tell_scanned(ctx: Context, scanned: list[RemoteObject]) -> None:
    """The run's observer hears of each remote mask scanned (per batch; it may raise RunCancelled)."""
    observer = ctx.options.observer
    if observer is not None:
        for item in scanned:
            observer.mask_scanned(item.size)


def _cache(ctx: Context) -> MaskCache | None:
    if not ctx.options.use_cache:
        return None
    from rb_lint.nifti.cache import MaskCache

    return MaskCache(cache_directory(ctx.loaded, ctx.options.cache_dir), protected=[ctx.root])


def _nifti(url: str) -> bool:
    return url.split("?", 1)[0].lower().endswith(NIFTI_SUFFIXES)


def remote_scan(doc: Document, ctx: Context, pointer: str, settings: BatchSettings) -> ScanResult | None:
    """The scan result of the remote mask a `segmentations` string names (None: not remote, not
    fetched, not NIfTI, missing or not told)."""
    found = segmentation_at(doc, ctx, pointer)
    if found is None or not found.fetched or found.location.url is None:
        return None
    return remote_scans(doc, ctx, settings).get(found.location.url)


# -- the run as a whole -----------------------------------------------------------------------------


def unusable_storage(ctx: Context) -> str | None:
    """A one-line reason when every object asked for in the run failed with no credentials or
    access denied: the storage is unusable as a whole (exit 2); None otherwise."""
    run = ctx.memo(_run_remote, ctx)
    if not run.objects:  # nothing was asked for (no storage access module loaded)
        return None
    from rb_lint.storage.access import unusable

    found: StorageProblem | None = unusable(run.objects.values())
    if found is None:
        return None
    storages = sorted({storage_of(url) for url in run.objects})
    named = ", ".join(storages[:3]) + (f" and {len(storages) - 3} more" if len(storages) > 3 else "")
    return (
        f"cannot use the storage {named}: {found.reason} for every object asked for; check the "
        "credentials (the provider's standard chain and environment) or set `anonymous = true` "
        "in [tool.rb-lint.storage] for a public bucket"
    )
