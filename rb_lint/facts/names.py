"""What the RB2xx rules share: every named task of the documents linted together, each set of series
exported together with the name of its owner, and where a value is, to cite it in a message
(extraction only: each rule decides what is a clash and what it says)."""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import repeat
from typing import NamedTuple

from rb_lint.core.findings import Part
from rb_lint.formats import walk
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import collector_paused
from rb_lint.models.kinds import TASK_KINDS


class TaskName(NamedTuple):
    doc: Document
    pointer: str  # the task's pointer
    name: str


def task_names(docs: list[Document]) -> Iterator[TaskName]:
    """Every task whose `name` is a string, in every parsed task document, in order (from
    `document_task_names`, which project rules declare in `needs=`: it is kept after the document
    is released)."""
    for doc in docs:
        if doc.parsed and doc.kind in TASK_KINDS:
            yield from document_task_names(doc)


@dataclass(frozen=True, slots=True)
class DocumentTaskNames:
    """The named tasks of one document, as their indices in its top-level array and their names
    (no object kept per task: a list of 500,000 tasks); read as `TaskName`s, made as they are read."""

    doc: Document
    indices: array[int]  # the tasks' indices in the document's top-level array
    names: list[str]

    def __iter__(self) -> Iterator[TaskName]:
        # `tuple.__new__` of each (doc, pointer, name): a `TaskName` without a Python call each.
        pointers = map("/{}".format, self.indices)
        return map(partial(tuple.__new__, TaskName), zip(repeat(self.doc), pointers, self.names))

    def __len__(self) -> int:
        return len(self.names)


def document_task_names(doc: Document) -> DocumentTaskNames:
    """The named tasks of one task document, computed once per document; they hold names and
    indices only, not the parsed tasks."""
    return doc.memo(_document_task_names, doc)


def _document_task_names(doc: Document) -> DocumentTaskNames:
    with collector_paused():  # an entry per task, no cycles (see `collector_paused`)
        return _document_task_names_made(doc)


def _document_task_names_made(doc: Document) -> DocumentTaskNames:
    found = DocumentTaskNames(doc, array("q"), [])
    for index, task in zip(walk.task_indices(doc), walk.tasks(doc).values, strict=True):
        name = task.get("name")
        if isinstance(name, str):
            found.indices.append(index)
            found.names.append(name)
    return found


@dataclass(frozen=True, slots=True)  # one per task: no `__dict__` each
class SeriesGroup:
    """A set of series exported together: a task's own, a consensus annotator's, the super truth's."""

    owner_pointer: str
    owner_name: str  # the task's name (its pointer when it has none), plus the owner's pointer within it
    series: list[tuple[str, walk.Series]]  # (series pointer, series)


def series_groups(doc: Document) -> list[SeriesGroup]:
    """Every set of series of a task document that is exported together and may hold a clash (see
    `_may_clash`), computed once per document: a list of 500,000 tasks whose series' names,
    file names and instance ids are distinct keeps nothing."""
    return doc.memo(_series_groups, doc)


def _series_groups(doc: Document) -> list[SeriesGroup]:
    with collector_paused():  # objects per task, no cycles (see `collector_paused`)
        return _series_groups_made(doc)


def _series_groups_made(doc: Document) -> list[SeriesGroup]:
    every_task, every_series = walk.tasks(doc), walk.all_series(doc)
    groups = []
    names_clash: dict[tuple[object, ...], bool] = {}  # `_may_clash`'s, per tuple of names
    for task_place, owner, start, end in walk.series_spans(doc):
        if end - start < 2 or not _may_clash(every_series.values[start:end], names_clash):
            continue
        task_pointer, task = every_task[task_place]
        name = task.get("name")
        name = name if isinstance(name, str) else task_pointer
        owner_name = name if owner is None else f"{name}{owner[len(task_pointer) :]}"
        series = every_series.pointers[start:end], every_series.values[start:end]
        groups.append(SeriesGroup(owner or task_pointer, owner_name, list(zip(*series, strict=True))))
    return groups


def _may_clash(members: list[walk.Series], names_clash: dict[tuple[object, ...], bool]) -> bool:
    """Whether two of a set's series share a `name` string, an export file name (as
    `walk.series_export_stem`, case aside) or a segmentMap key: what RB202, RB203 and RB204 look
    for, each in its own way. `names_clash`: the verdict on the names, per tuple of names (a
    list's tasks repeat the same few)."""
    names = tuple([series.get("name") for series in members])
    try:
        clash = names_clash.get(names)
    except TypeError:  # a name that is an array or an object: looked at each time
        clash = _names_clash(names)
    if clash is None:
        clash = names_clash[names] = _names_clash(names)
    if clash:
        return True
    keys = [key for series in members for key in walk.segment_map(series)]
    return len(set(keys)) < len(keys)


def _names_clash(names: tuple[object, ...]) -> bool:
    strings = [name for name in names if isinstance(name, str)]
    if len(set(strings)) < len(strings):
        return True
    stems = set()
    for index, name in enumerate(names):
        shown = name if isinstance(name, str) and name else walk.series_letter(index)
        stems.add((walk.export_file_stem(shown) or walk.series_letter(index)).lower())
    return len(stems) < len(names)


class UnlocatedPointer(LookupError):
    """A pointer a rule wants to cite is not in the document: a bug in the rule or its facts."""


# (id of the document, pointer) -> (line, column) of the value at the pointer.
Positions = dict[tuple[int, str], tuple[int, int]]


def value_positions(wanted: Iterable[tuple[Document, str]]) -> Positions:
    """Line and column of the value at each (document, pointer), one locator pass per document."""
    requests: dict[int, set[tuple[str, Part]]] = defaultdict(set)
    by_id: dict[int, Document] = {}
    for doc, pointer in wanted:
        requests[id(doc)].add((pointer, "value"))
        by_id[id(doc)] = doc
    positions: Positions = {}
    for key, doc_requests in requests.items():
        for (pointer, _part), place in by_id[key].line_columns(doc_requests).items():
            positions[(key, pointer)] = place
    return positions


def cite(doc: Document, pointer: str, positions: Positions) -> str:
    """`path:line:column` of the value at a pointer that `value_positions` located."""
    try:
        line, column = positions[(id(doc), pointer)]
    except KeyError:
        raise UnlocatedPointer(f"cannot locate `{pointer}` in {doc.display_path}") from None
    return f"{doc.display_path}:{line}:{column}"
