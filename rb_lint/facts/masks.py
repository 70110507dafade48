"""What a task document says about its segmentations: each series with its mask paths and segmentMap.

Extraction only (the RB3xx rules judge). Paths resolve relative to the JSON file that names them
(`rb_lint.formats.maskpaths`). What is on disk (file checks, scan results, image headers) is in
`rb_lint.facts.mask_scans`.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from rb_lint.core.context import Context
from rb_lint.formats import maskpaths, walk
from rb_lint.formats.maskpaths import MaskRef
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import collector_paused, join_pointer, split_pointer
from rb_lint.models.common import instance_id
from rb_lint.models.kinds import TASK_KINDS

NIFTI_SUFFIXES = (".nii", ".nii.gz")
MAX_LISTED = 12
# Shared by the series without groups: read-only, so that no rule can add to every series' groups.
_NO_GROUPS: Mapping[int, frozenset[int]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class EntryMask:
    """One path of a segmentMap entry's `mask`: the string, or one string of a list `mask`."""

    pointer: str  # `/…/segmentMap/<key>/mask`, or `/…/segmentMap/<key>/mask/<index>` in a list
    written: str  # the path as written
    index: int | None  # its position in a list `mask`; None for a string `mask`

    @property
    def tail(self) -> str:
        """`mask`, or `mask/<index>` in a list (for fingerprint keys)."""
        return "mask" if self.index is None else f"mask/{self.index}"


@dataclass(frozen=True, slots=True)
class InstanceEntry:
    """One segmentMap entry whose key is an instance id."""

    key: str  # the key as written
    value: Any  # a category (string or path list) or an object with `category`, `mask`, ...
    masks: tuple[EntryMask, ...]  # its `mask` paths (a string `mask`, or the strings of a list); may be ()


class SeriesMasks:
    """One series with `segmentations` or a `segmentMap`: its mask paths, in order, and its segmentMap.
    `instances`, `entries` and `group_members` are computed when first asked. Slots, not a
    `__dict__` per series (a list of 500,000 tasks has a million series); compared by identity."""

    __slots__ = (
        "__weakref__",
        "_entries",
        "_group_members",
        "_instance_table",
        "_instances",
        "doc",
        "pointer",
        "refs",
        "segment_map",
        "series",
    )

    def __init__(
        self,
        doc: Document,
        pointer: str,
        series: dict[str, Any],
        refs: tuple[MaskRef, ...],
        segment_map: dict[str, Any] | None = None,
        instance_table: dict[tuple[str, ...], dict[int, str]] | None = None,
    ) -> None:
        self.doc = doc
        self.pointer = pointer
        self.series = series
        self.refs = refs  # the `segmentations` path strings
        # Its segmentMap ({} when it has none that is an object): read by most mask rules, per series.
        self.segment_map: dict[str, Any] = walk.segment_map(series) if segment_map is None else segment_map
        self._instance_table = {} if instance_table is None else instance_table  # the document's, shared
        self._instances: dict[int, str] | None = None
        self._entries: tuple[InstanceEntry, ...] | None = None
        self._group_members: Mapping[int, Set[int]] | None = None

    def __repr__(self) -> str:
        return f"SeriesMasks({self.pointer!r}, refs={self.refs!r})"

    @property
    def binary(self) -> bool:
        return self.series.get("binaryMask") is True

    @property
    def instances(self) -> dict[int, str]:
        """Instance id -> its segmentMap key, for keys that are instance ids."""
        if self._instances is None:
            self._instances = _instances_of(self._instance_table, tuple(self.segment_map))
        return self._instances

    @property
    def entries(self) -> tuple[InstanceEntry, ...]:
        """The entries whose keys are instance ids, in segmentMap order."""
        if self._entries is None:
            self._entries = self._instance_entries()
        return self._entries

    def _instance_entries(self) -> tuple[InstanceEntry, ...]:
        found = []
        for key in self.instances.values():
            value = self.segment_map[key]
            raw = value.get("mask") if isinstance(value, dict) else None
            entry_pointer = join_pointer(self.pointer, "segmentMap", key)
            masks = tuple(
                EntryMask(
                    walk.element_pointer(entry_pointer, "mask", raw, index),
                    mask,
                    None if isinstance(raw, str) else index,
                )
                for index, mask in enumerate(walk.as_list(raw))
                if isinstance(mask, str)
            )
            found.append(InstanceEntry(key, value, masks))
        return tuple(found)

    @property
    def group_members(self) -> Mapping[int, Set[int]]:
        """overlappingGroups: group id -> the instance ids it stands for (a voxel value)."""
        if self._group_members is None:
            self._group_members = self._groups()
        return self._group_members

    def _groups(self) -> dict[int, set[int]]:
        groups: dict[int, set[int]] = defaultdict(set)
        for instance, key in self.instances.items():
            entry = self.segment_map[key]
            raw = entry.get("overlappingGroups") if isinstance(entry, dict) else None
            for group in raw if isinstance(raw, list) else []:
                if isinstance(group, int) and not isinstance(group, bool):
                    groups[group].add(instance)
        return dict(groups)

    @property
    def segmentation_strings(self) -> list[str]:
        """The `segmentations` strings as written (the SDK matches binary-mask `mask`s against them)."""
        return [s for s in walk.as_list(self.series.get("segmentations")) if isinstance(s, str)]

    def key(self, suffix: str) -> str:
        """A fingerprint key that survives reformatting and reordering of tasks."""
        tokens = split_pointer(self.pointer)
        task = self.doc.data[int(tokens[0])] if isinstance(self.doc.data, list) else {}
        name = task.get("name") if isinstance(task, dict) else None
        return f"{name if isinstance(name, str) else tokens[0]}/{'/'.join(tokens[1:])}:{suffix}"


def _instances_of(table: dict[tuple[str, ...], dict[int, str]], keys: tuple[str, ...]) -> dict[int, str]:
    """Instance ids by segmentMap keys, from the document's table of them, shared between its series
    (never modified): a list's series repeat the same few sets of keys (`"1"`, `"2"`), and a dict
    per series costs ~160 bytes (a million series in a list). Per document, not per process: a
    long-lived process (the service) keeps nothing of a document once its run is over."""
    found = table.get(keys)
    if found is None:
        found = table[keys] = {value: key for key in keys if (value := instance_id(key)) is not None}
    return found


@dataclass(frozen=True, slots=True)
class RemoteRefs:
    """The `segmentations` URLs of a document's series, counted (not one object each: a list of
    500,000 tasks names a million), and the first of them."""

    count: int
    first: tuple[int, SeriesMasks, MaskRef] | None  # (its series' place in the document, series, path)


class DocumentMasks:
    """A document's series, sorted once into the groups the rules look at (so that a list of
    100,000 tasks with remote masks costs each rule only a glance). Only the series in a group get
    a `SeriesMasks` at first: one whose paths are all URLs and whose segmentMap is plain (most of a
    large list's) has nothing a rule looks into without network access; `series`, every one, is
    made when first asked (with the same objects for the series in a group)."""

    __slots__ = (
        "_all",
        "_doc",
        "_root",
        "binary",
        "instance_table",
        "local",
        "local_places",
        "remote",
        "with_groups",
        "with_masks",
    )

    def __init__(self, doc: Document, root: Path) -> None:
        self._doc, self._root = doc, root
        self.instance_table: dict[tuple[str, ...], dict[int, str]] = {}  # shared (`_instances_of`)
        self._all: list[SeriesMasks] | None = None
        self.local: list[SeriesMasks] = []  # with at least one local path
        self.local_places = array("q")  # each local series' place among the document's series
        self.binary: list[SeriesMasks] = []  # `binaryMask: true`
        self.with_masks: list[SeriesMasks] = []  # with an entry that has `mask`
        self.with_groups: list[SeriesMasks] = []  # with an entry that has `overlappingGroups`
        self.remote = RemoteRefs(0, None)  # the `segmentations` URLs of every series

    @property
    def series(self) -> list[SeriesMasks]:
        """Every series with `segmentations` or a `segmentMap`, in document order."""
        if self._all is None:
            with collector_paused():  # objects per series and path, no cycles
                self._all = _every_series(self, self._doc, self._root)
        return self._all


def document_masks(doc: Document, ctx: Context) -> DocumentMasks:
    """The document's series and their mask paths (computed once per document)."""
    return doc.memo(_document_masks, doc, ctx.root)


def _document_masks(doc: Document, root: Path) -> DocumentMasks:
    walk.all_series(doc)
    with collector_paused():  # objects per series and path, no cycles (see `collector_paused`)
        return _sorted_masks(doc, root)


def _sorted_masks(doc: Document, root: Path) -> DocumentMasks:
    """One pass over the series (a list of 500,000 tasks has a million): each is sorted into its
    groups as it is met."""
    found = DocumentMasks(doc, root)
    task_kind = doc.kind in TASK_KINDS  # `maskpaths.segmentation_refs`, one series at a time
    table = maskpaths.resolutions(doc, root)
    instance_table = found.instance_table
    series_refs, local, is_remote = maskpaths.series_segmentation_refs, maskpaths.LOCAL, maskpaths.is_remote
    common = maskpaths.COMMON_SCHEMES  # `is_remote` of most URLs, without a call
    urls, first_url = 0, None
    for place, (pointer, series) in enumerate(walk.all_series(doc)):
        raw = series.get("segmentations") if task_kind else None
        segment_map = series.get("segmentMap")
        if not isinstance(segment_map, dict):
            segment_map = {}
        # Most series: one URL, no `binaryMask` and a segmentMap of category strings (no object
        # entry, which a group would look into). Nothing to keep. Written out: a million series.
        if (
            type(raw) is str
            and (raw.startswith(common) or is_remote(raw))
            and series.get("binaryMask") is not True
        ):
            for entry in segment_map.values():
                if isinstance(entry, dict):
                    break
            else:
                urls += 1
                if first_url is None:
                    refs = series_refs(doc, pointer, series, root, table)
                    masks = SeriesMasks(doc, pointer, series, refs, segment_map, instance_table)
                    first_url = (place, masks, refs[0])
                continue
        refs = series_refs(doc, pointer, series, root, table) if raw is not None else ()
        if not (refs or segment_map):
            continue
        masks = SeriesMasks(doc, pointer, series, refs, segment_map, instance_table)
        remote = [r for r in refs if r.where != local]
        if remote:
            urls += len(remote)
            if first_url is None:
                first_url = (place, masks, remote[0])
        if len(remote) < len(refs):
            found.local.append(masks)
            found.local_places.append(place)
        if series.get("binaryMask") is True:
            found.binary.append(masks)
        # Most segmentMaps map ids to category strings: only those with object entries are looked into.
        objects = [entry for entry in segment_map.values() if isinstance(entry, dict)]
        if objects and any("mask" in entry for entry in objects):
            found.with_masks.append(masks)
        if objects and any("overlappingGroups" in entry for entry in objects):
            found.with_groups.append(masks)
        else:
            masks._group_members = _NO_GROUPS  # known without a look at each entry
    found.remote = RemoteRefs(urls, first_url)
    return found


def _every_series(found: DocumentMasks, doc: Document, root: Path) -> list[SeriesMasks]:
    """`DocumentMasks.series`: the series in a group as they are, the others made now."""
    made = (*found.local, *found.binary, *found.with_masks, *found.with_groups)
    grouped = {id(masks.series): masks for masks in made}  # parsed objects: one per series
    first = found.remote.first
    if first is not None:
        grouped.setdefault(id(first[1].series), first[1])
    table, instance_table = maskpaths.resolutions(doc, root), found.instance_table
    every = []
    for pointer, series in walk.all_series(doc):
        masks = grouped.get(id(series))
        if masks is None:
            refs = maskpaths.series_segmentation_refs(doc, pointer, series, root, table)
            segment_map = walk.segment_map(series)
            if not (refs or segment_map):
                continue
            masks = SeriesMasks(doc, pointer, series, refs, segment_map, instance_table)
        every.append(masks)
    return every


def listed(values: Sequence[object], limit: int = MAX_LISTED) -> str:
    """Values for a message: `1, 2, 3`, or the first `limit` of them and how many more."""
    shown = ", ".join(str(v) for v in values[:limit])
    return shown + (f", … ({len(values) - limit} more)" if len(values) > limit else "")
