"""Tolerant iteration over task documents: rules see only what has the right shape.

Anything of the wrong type is skipped here, because the structure rules already report it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from rb_lint.io.document import Document
from rb_lint.io.jsonpos import collector_paused, join_pointer

Task = dict[str, Any]
Series = dict[str, Any]

_UNSAFE_FOR_FILE_NAMES = re.compile(r"[^\w.\s#@+(),=\[\]{}!~-]+")
_LEGACY_UNSAFE_FOR_FILE_NAMES = re.compile(r"[^\w.]+")
_WINDOWS_DEVICE_NAME = re.compile(r"^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(?:\..*)?$", re.IGNORECASE)


def tasks(doc: Document) -> list[tuple[str, Task]]:
    """(pointer, task) for every task object; computed once per document (rules share it)."""
    return doc.memo(_tasks, doc)


def _tasks(doc: Document) -> list[tuple[str, Task]]:
    data = doc.data if isinstance(doc.data, list) else []
    with collector_paused():  # a pointer and a pair per task, no cycles (see `collector_paused`)
        return [(f"/{index}", task) for index, task in enumerate(data) if isinstance(task, dict)]


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


def series_sets(doc: Document) -> list[tuple[str, Task, str, list[tuple[str, Series]]]]:
    """(task pointer, task, owner pointer, its series) for every set of series exported together
    (see `series_groups`); computed once per document, shared by `all_series`."""
    return doc.memo(_series_sets, doc)


def _series_sets(doc: Document) -> list[tuple[str, Task, str, list[tuple[str, Series]]]]:
    every_task = tasks(doc)
    with collector_paused():  # objects per series, no cycles
        return [
            (task_pointer, task, owner, group)
            for task_pointer, task in every_task
            for owner, group in series_groups(task_pointer, task)
        ]


def all_series(doc: Document) -> list[tuple[str, Series]]:
    """(pointer, series) for every series of every task, consensus annotators' included."""
    return doc.memo(_all_series, doc)


def _all_series(doc: Document) -> list[tuple[str, Series]]:
    return [pair for _task_pointer, _task, _owner, group in series_sets(doc) for pair in group]


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
