"""What the RB2xx rules share: every named task of the documents linted together, each set of series
exported together with the name of its owner, and where a value is, to cite it in a message
(extraction only: each rule decides what is a clash and what it says)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from rb_lint.core.findings import Part
from rb_lint.formats import walk
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


class TaskName(NamedTuple):
    doc: Document
    pointer: str  # the task's pointer (the shared string of `walk.tasks`)
    name: str


def task_names(docs: list[Document]) -> Iterator[TaskName]:
    """Every task whose `name` is a string, in every parsed task document, in order (from
    `document_task_names`, which project rules declare in `needs=`: it is kept after the document
    is released)."""
    for doc in docs:
        if doc.parsed and doc.kind in TASK_KINDS:
            yield from document_task_names(doc)


def document_task_names(doc: Document) -> list[TaskName]:
    """The named tasks of one task document, computed once per document; they hold strings only
    (a 100,000-task file allocates no new pointer strings: they are those of `walk.tasks`), not
    the parsed tasks."""
    return doc.memo(_document_task_names, doc)


def _document_task_names(doc: Document) -> list[TaskName]:
    found = []
    for task_pointer, task in walk.tasks(doc):
        name = task.get("name")
        if isinstance(name, str):
            found.append(TaskName(doc, task_pointer, name))
    return found


@dataclass(frozen=True, slots=True)  # one per task: no `__dict__` each
class SeriesGroup:
    """A set of series exported together: a task's own, a consensus annotator's, the super truth's."""

    owner_pointer: str
    owner_name: str  # the task's name (its pointer when it has none), plus the owner's pointer within it
    series: list[tuple[str, walk.Series]]  # (series pointer, series)


def series_groups(doc: Document) -> list[SeriesGroup]:
    """Every set of series of a task document that is exported together, computed once per document."""
    return doc.memo(_series_groups, doc)


def _series_groups(doc: Document) -> list[SeriesGroup]:
    groups = []
    for task_pointer, task, owner, group in walk.series_sets(doc):
        name = task.get("name")
        name = name if isinstance(name, str) else task_pointer
        owner_name = name if owner is task_pointer else f"{name}{owner[len(task_pointer) :]}"
        groups.append(SeriesGroup(owner, owner_name, group))
    return groups


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
