"""Tolerant iteration over task documents: rules see only what has the right shape.

Anything of the wrong type is skipped here, because the structure rules already report it.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, overload

from rb_lint.io.document import Document
from rb_lint.io.jsonpos import collector_paused, join_pointer

Task = dict[str, Any]
Series = dict[str, Any]

_UNSAFE_FOR_FILE_NAMES = re.compile(r"[^\w.\s#@+(),=\[\]{}!~-]+")
_LEGACY_UNSAFE_FOR_FILE_NAMES = re.compile(r"[^\w.]+")
_WINDOWS_DEVICE_NAME = re.compile(r"^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(?:\..*)?$", re.IGNORECASE)


V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Pairs(Generic[V]):
    """(pointer, value) pairs, kept as two sequences: read as pairs (a loop unpacks each as it is
    made), with no tuple kept per task or series (a list of 500,000 tasks has a million series)."""

    pointers: Sequence[str] = field(default_factory=list)
    values: list[V] = field(default_factory=list)

    def __iter__(self) -> Iterator[tuple[str, V]]:
        return zip(self.pointers, self.values, strict=True)

    def __len__(self) -> int:
        return len(self.pointers)

    def __getitem__(self, index: int) -> tuple[str, V]:
        return self.pointers[index], self.values[index]


class ElementPointers(Sequence[str]):
    """`/0`, `/1`, ...: the pointers of elements of the document's top-level array, made as they
    are read (a list of 500,000 tasks keeps no 500,000 strings for them)."""

    __slots__ = ("indices",)

    def __init__(self, indices: Sequence[int]) -> None:
        self.indices = indices  # each element's index in the array

    def __len__(self) -> int:
        return len(self.indices)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [f"/{element}" for element in self.indices[index]]
        return f"/{self.indices[index]}"

    def __iter__(self) -> Iterator[str]:
        return map("/{}".format, self.indices)


def tasks(doc: Document) -> Pairs[Task]:
    """(pointer, task) for every task object; computed once per document (rules share it)."""
    return doc.memo(_tasks, doc)


def task_indices(doc: Document) -> Sequence[int]:
    """The index in the document's top-level array of each task of `tasks`."""
    return doc.memo(_task_list, doc)[0]


def _tasks(doc: Document) -> Pairs[Task]:
    indices, objects = doc.memo(_task_list, doc)
    return Pairs(ElementPointers(indices), objects)


def _task_list(doc: Document) -> tuple[Sequence[int], list[Task]]:
    data = doc.data if isinstance(doc.data, list) else []
    objects = [task for task in data if isinstance(task, dict)]
    if len(objects) == len(data):  # the common case: every element is a task
        return range(len(data)), objects
    return array("q", [index for index, task in enumerate(data) if isinstance(task, dict)]), objects


def owners(task: Task) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """Whatever in a task holds its own `series` and `classification`: the task itself, each
    consensus annotator and the super truth, with their pointer tokens relative to the task."""
    yield (), task
    if "consensusTasks" not in task and "superTruth" not in task:
        return
    entries = task.get("consensusTasks")
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if isinstance(entry, dict):
            yield ("consensusTasks", index), entry
    truth = task.get("superTruth")
    if isinstance(truth, dict):
        yield ("superTruth",), truth


def series_groups(task_pointer: str, task: Task) -> Iterator[tuple[str, list[tuple[str, Series]]]]:
    """Each set of series that is exported together (see `owners`). Yields (pointer of the owner,
    [(series pointer, series)]); the task's own set comes first, under `task_pointer` itself."""
    for tokens, owner in owners(task):
        pointer = join_pointer(task_pointer, *tokens) if tokens else task_pointer
        yield pointer, _series_of(pointer, owner)


def _series_of(owner_pointer: str, owner: dict[str, Any]) -> list[tuple[str, Series]]:
    series = owner.get("series")
    if not isinstance(series, list):
        return []
    return [
        (f"{owner_pointer}/series/{index}", item)
        for index, item in enumerate(series)
        if isinstance(item, dict)
    ]


def series_spans(doc: Document) -> Iterator[tuple[int, str | None, int, int]]:
    """Each set of series exported together (see `series_groups`), in document order, as the place
    of its task in `tasks`, its owner's pointer (None: the task itself) and the range of its series
    in `all_series` (no list of pairs per set)."""
    layout = doc.memo(_series_layout, doc)
    start = 0
    for task_place, owner, end in zip(layout.tasks, layout.owners, layout.ends, strict=True):
        yield task_place, owner, start, end
        start = end


@dataclass(frozen=True, slots=True)
class _Layout:
    """Every series of a document, and its sets of series: per set, the place of its task, its
    owner's pointer (None: the task itself) and where its series end in `series`."""

    pointers: list[str] = field(default_factory=list)  # of every series
    series: list[Series] = field(default_factory=list)
    tasks: array[int] = field(default_factory=lambda: array("q"))
    owners: list[str | None] = field(default_factory=list)
    ends: array[int] = field(default_factory=lambda: array("q"))
    # `local_path_series`: the places of the series that may name a local file, and of their tasks.
    local: array[int] = field(default_factory=lambda: array("q"))
    local_tasks: array[int] = field(default_factory=lambda: array("q"))


def _series_layout(doc: Document) -> _Layout:
    from rb_lint.formats import maskpaths  # (it imports this module)

    remote = (maskpaths.COMMON_SCHEMES, maskpaths.is_remote)
    found = _Layout()
    with collector_paused():  # a pointer per series, no cycles
        for task_place, (task_pointer, task) in enumerate(tasks(doc)):
            for tokens, owner in owners(task):  # as `series_groups`, without a list per set
                owner_pointer = join_pointer(task_pointer, *tokens) if tokens else task_pointer
                _add_series(found, task_place, owner_pointer, owner.get("series"), remote)
                found.tasks.append(task_place)
                found.owners.append(owner_pointer if tokens else None)
                found.ends.append(len(found.series))
    return found


def _add_series(
    found: _Layout,
    task_place: int,
    owner_pointer: str,
    series: Any,
    remote: tuple[tuple[str, ...], Callable[[str], bool]],
) -> None:
    for index, item in enumerate(series if isinstance(series, list) else ()):
        if isinstance(item, dict):
            if _may_name_local_file(item, *remote):
                found.local.append(len(found.series))
                found.local_tasks.append(task_place)
            found.pointers.append(f"{owner_pointer}/series/{index}")
            found.series.append(item)


def _may_name_local_file(series: Series, common: tuple[str, ...], is_remote: Callable[[str], bool]) -> bool:
    """Anything but one full URL, or nothing, in `items` or `segmentations`."""
    for raw in (series.get("items"), series.get("segmentations")):
        if raw is not None and not (type(raw) is str and raw and (raw.startswith(common) or is_remote(raw))):
            return True
    return False


def local_path_series(doc: Document) -> tuple[array[int], array[int]]:
    """The places in `all_series` of the series whose `items` or `segmentations` may name a local
    file (anything but one full URL, or nothing), with the places of their tasks in `tasks`: the
    facts about local files look at those only (a list of remote data names none). Once per
    document."""
    layout = doc.memo(_series_layout, doc)
    return layout.local, layout.local_tasks


def all_series(doc: Document) -> Pairs[Series]:
    """(pointer, series) for every series of every task, consensus annotators' included."""
    return doc.memo(_all_series, doc)


def _all_series(doc: Document) -> Pairs[Series]:
    layout = doc.memo(_series_layout, doc)
    return Pairs(layout.pointers, layout.series)


def as_list(value: Any) -> list[Any]:
    """`items` and `segmentations` may be one string or a list of them."""
    if isinstance(value, str):
        return [value]
    return value if isinstance(value, list) else []


def element_pointer(series_pointer: str, key: str, value: Any, index: int) -> str:
    """Pointer to the index-th path of a string-or-list field."""
    if isinstance(value, str):
        return join_pointer(series_pointer, key)
    return join_pointer(series_pointer, key, index)


def export_file_stem(name: str) -> str:
    """The file or folder name the exporter writes for a task or series name (redbrick-sdk 2.35.4's
    `sanitize_path_name`): runs of other characters become `-`, trailing spaces and dots go, Windows
    device names get a `_` prefix. "" means nothing is left: the exporter then falls back to the
    taskId for a task and to the series' letter for a series."""
    if name.isascii() and name.isalnum():  # most names (`p000123`): nothing to replace or strip
        return "_" + name if len(name) <= 4 and _WINDOWS_DEVICE_NAME.match(name) else name
    stem = _UNSAFE_FOR_FILE_NAMES.sub("-", name).rstrip(" .")
    if stem in ("", ".", ".."):
        return ""
    return "_" + stem if _WINDOWS_DEVICE_NAME.match(stem) else stem


def export_file_stems(name: str) -> tuple[str, ...]:
    """The names exporters have written for a name: today's first, then that of SDKs before 2.35
    (every run of characters other than letters, digits, `_` and `.` replaced by `-`), so that an
    export folder written by an older SDK is still read as laid out by the exporter."""
    current, legacy = export_file_stem(name), _LEGACY_UNSAFE_FOR_FILE_NAMES.sub("-", name)
    return (current,) if legacy == current or not legacy else (current, legacy)


def series_export_name(series: Series, index: int) -> str:
    """A series' name as messages show it; unnamed series are `A`, `B`, ... by position."""
    name = series.get("name")
    if isinstance(name, str) and name:
        return name
    return series_letter(index)


def series_export_stem(series: Series, index: int) -> str:
    """The file name (without `.nii.gz`) or folder the exporter writes for a series."""
    return export_file_stem(series_export_name(series, index)) or series_letter(index)


def series_letter(index: int) -> str:
    """The exporter's name for the index-th unnamed series: `chr(ord("A") + index)`, as it writes it."""
    return chr(ord("A") + index)


def segment_map(series: Series) -> dict[str, Any]:
    value = series.get("segmentMap")
    return value if isinstance(value, dict) else {}
