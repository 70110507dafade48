"""Where the items and segmentations a document names live: a local file, an object in a mapped
storage, a full URL, or unknown.

RedBrick names remote data in three ways: with a storage integration, items are keys relative to the
storage (`root/sub/f.dcm` in S3 or GCS, `container/path` in Azure); with public storage, full URLs;
some teams write `s3://bucket/key` URLs themselves. A storage is the project's default or is named
by its id (`storageId` on an exported task). The rules, as the RedBrick CLI's `--storage` /
`--label-storage` pair:

- a full URL is itself (fetched only when network access was asked for: a mapping or `remote`);
- a path that exists locally (relative to its document) stays local, and so does one no storage
  key looks like (absolute, `file://`, `./…`, `../…`);
- otherwise an item joins the task's `storageId` mapping, else `default`; a segmentation joins the
  task's `storageId` mapping, else `labels`, else `default` (`prefix/key`);
- otherwise, in a direct-upload list (some of the document's paths are local: see
  `rb_lint.facts.remote`), it is a local file that is missing; else its location is unknown and
  it is not checked.

Pure decisions: whether a path exists locally is the caller's fact (`rb_lint.facts.remote`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum

from rb_lint.formats import maskpaths, walk
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import collector_paused
from rb_lint.models.kinds import TASK_KINDS
from rb_lint.storage.urls import join_prefix, parse_url

ITEM = "item"
SEGMENTATION = "segmentation"


class Place(Enum):
    LOCAL = "local"  # a local file (it may be missing: a direct-upload list, or an absolute path)
    STORAGE = "storage"  # a key joined to a mapped storage's prefix
    URL = "url"  # a full URL, as written
    UNKNOWN = "unknown"  # relative, not here, nothing mapped: not checked


@dataclass(frozen=True)
class StorageMap:
    """The run's storages: URL prefixes for the default (items), labels and storage ids."""

    default: str | None = None
    labels: str | None = None  # None: the default's
    by_id: tuple[tuple[str, str], ...] = ()  # (storage id, lower case; prefix)
    remote: bool = False  # full URLs are fetched even without a mapping

    @property
    def mapped(self) -> bool:
        return bool(self.default or self.labels or self.by_id)

    @property
    def network(self) -> bool:
        """Network access was asked for: a mapping, or `remote`."""
        return self.mapped or self.remote

    def prefix(self, role: str, storage_id: str | None) -> str | None:
        """The prefix a key of this role joins: the task's storage id first, then labels (for a
        segmentation), then the default."""
        if storage_id:
            wanted = storage_id.lower()
            for known, prefix in self.by_id:
                if known == wanted:
                    return prefix
        if role == SEGMENTATION and self.labels:
            return self.labels
        return self.default


@dataclass(frozen=True, slots=True)
class PathString:
    """One path string of an `items` or `segmentations` field."""

    series_pointer: str
    pointer: str
    written: str
    role: str  # ITEM or SEGMENTATION
    storage_id: str | None  # the task's `storageId`, when an export names one


@dataclass(frozen=True, slots=True)
class Location:
    place: Place
    joined: str | None = None  # STORAGE: the key joined to its storage's prefix
    prefix: str | None = None  # STORAGE: the storage prefix the key joined
    # URL: the URL as written. Its canonical form is made when asked: a list of a million URLs
    # that are not fetched parses none, nor keeps a second copy of each.
    written: str | None = None

    @property
    def url(self) -> str | None:
        """STORAGE and URL: the object's canonical URL (None: an unsupported scheme)."""
        if self.written is not None:
            parsed = parse_url(self.written)
            return str(parsed) if parsed is not None and parsed.bucket else None
        return self.joined


# Locations without a URL are all alike: shared, not one per path string.
_LOCAL = Location(Place.LOCAL)
_UNKNOWN = Location(Place.UNKNOWN)


def path_strings(doc: Document, full_urls: bool = True) -> list[PathString]:
    """Every `items` and `segmentations` string of every series (consensus annotators' too), in
    document order, with its task's `storageId` (once per document). `full_urls=False` leaves out
    full URLs (`s3://…`): a run without network access asks nothing of them, and a list of 500,000
    tasks names a million."""
    return doc.memo(_path_strings, doc, full_urls)


def _path_strings(doc: Document, full_urls: bool) -> list[PathString]:
    with collector_paused():  # an object per path string, no cycles (see `collector_paused`)
        return _path_strings_made(doc, full_urls)


def _path_strings_made(doc: Document, full_urls: bool) -> list[PathString]:
    if doc.kind not in TASK_KINDS:
        return []
    found: list[PathString] = []
    # `is_full_url`: the common schemes (most strings of a large list) without a call.
    is_url, common = maskpaths.is_remote, maskpaths.COMMON_SCHEMES
    every_task, every_series = walk.tasks(doc).values, walk.all_series(doc)
    pointers, values = every_series.pointers, every_series.values
    for place, task_place in _places(doc, full_urls):
        series_pointer, series = pointers[place], values[place]
        raw_id = every_task[task_place].get("storageId")
        storage_id = raw_id if isinstance(raw_id, str) and raw_id else None
        # `items`, then `segmentations`: written out (a list has a million series).
        raw = series.get("items")
        if type(raw) is str:  # the common case, without a list and an index
            if raw and (full_urls or not (raw.startswith(common) or is_url(raw))):
                found.append(PathString(series_pointer, f"{series_pointer}/items", raw, ITEM, storage_id))
        elif raw is not None:
            found += _strings(series_pointer, raw, "items", ITEM, storage_id, full_urls)
        raw = series.get("segmentations")
        if type(raw) is str:
            if raw and (full_urls or not (raw.startswith(common) or is_url(raw))):
                pointer = f"{series_pointer}/segmentations"
                found.append(PathString(series_pointer, pointer, raw, SEGMENTATION, storage_id))
        elif raw is not None:
            found += _strings(series_pointer, raw, "segmentations", SEGMENTATION, storage_id, full_urls)
    return found


def _places(doc: Document, full_urls: bool) -> Iterable[tuple[int, int]]:
    """(place in `walk.all_series`, place of its task in `walk.tasks`) of each series that may hold
    a string `path_strings` lists: every series, or, without full URLs, those with a local path."""
    if not full_urls:
        return zip(*walk.local_path_series(doc), strict=True)
    spans = walk.series_spans(doc)
    return ((place, task) for task, _owner, start, end in spans for place in range(start, end))


def _strings(
    pointer: str, raw: object, key: str, role: str, storage_id: str | None, full_urls: bool
) -> Iterator[PathString]:
    for index, written in enumerate(walk.as_list(raw)):
        if isinstance(written, str) and written and (full_urls or not is_full_url(written)):
            yield PathString(
                pointer, walk.element_pointer(pointer, key, raw, index), written, role, storage_id
            )


def is_full_url(written: str) -> bool:
    """A URL (`s3://`, `https://`, ...): not a local path, not a storage key."""
    return maskpaths.is_remote(written)


def is_local_form(written: str) -> bool:
    """A path no storage key looks like: absolute, a `file://` URL, or one with a `.` or `..`
    component (`./seg.nii.gz`, `../masks/seg.nii.gz`): a local file whatever is mapped."""
    if written[:7].lower() == "file://" or os.path.isabs(written):
        return True
    return any(part in (".", "..") for part in written.replace("\\", "/").split("/"))


def resolve(ref: PathString, here: bool, direct_upload: bool, storages: StorageMap) -> Location:
    """Where a path string leads. `here`: something exists at its local path; `direct_upload`: the
    document is a direct-upload list for this role (some of its paths exist locally)."""
    if is_full_url(ref.written):
        return Location(Place.URL, written=ref.written)
    if here or is_local_form(ref.written):
        return _LOCAL
    prefix = storages.prefix(ref.role, ref.storage_id)
    if prefix is not None:
        return Location(Place.STORAGE, join_prefix(prefix, ref.written.replace("\\", "/")), prefix)
    return _LOCAL if direct_upload else _UNKNOWN


def storage_of(url: str) -> str:
    """The storage a URL is in, for messages and grouping: `s3://bucket`, `https://host`."""
    parsed = parse_url(url)
    return url if parsed is None else f"{parsed.scheme}://{parsed.bucket}"
