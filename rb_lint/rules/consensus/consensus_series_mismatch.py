"""RB512 consensus-series-mismatch."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.consensus import ConsensusTask, consensus_tasks
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB512",
    "consensus-series-mismatch",
    Severity.WARNING,
    "An annotator's or the super truth's series do not match the task's series.",
    kinds=TASK_KINDS,
)
def consensus_series_mismatch(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: An annotator's (or the `superTruth`'s) `series` list has another length than the
    reference, or names a series differently at the same position. The reference is the task's own
    `series` when present, else the first annotator's.

    Why: Every annotator (and the `superTruth`) labels the same items, so their `series` lists are
    parallel to the task's `series` (the SDK fills each one's items from the task's series by
    position). A list of another length, or a series named differently at the same position, pairs
    masks with the wrong image.

    Failing:
        "series": [{"name": "T1", ...}, {"name": "T2", ...}],
        "consensusTasks": [{"updatedBy": "a@x.org", "series": [{"name": "T1", ...}]}]
    Fixed:
        "consensusTasks": [{"updatedBy": "a@x.org", "series": [{"name": "T1", ...}, {"name": "T2", ...}]}]
    """
    for task in consensus_tasks(doc):
        lists = _series_lists(task)
        if not lists:
            continue
        reference = lists[0]
        for owner, series in lists[1:]:
            yield from _compare_series(task, reference, owner, series)


def _series_lists(task: ConsensusTask) -> list[tuple[str, list[Any]]]:
    """(owner pointer, `series` list) of the task (when it has series), each annotator and the
    super truth, in that order."""
    lists: list[tuple[str, list[Any]]] = []
    own = task.task.get("series")
    if isinstance(own, list) and own:
        lists.append((task.pointer, own))
    for annotator in task.annotators:
        series = annotator.entry.get("series")
        if isinstance(series, list):
            lists.append((annotator.pointer, series))
    truth = task.task.get("superTruth")
    if isinstance(truth, dict) and isinstance(truth.get("series"), list):
        lists.append((join_pointer(task.pointer, "superTruth"), truth["series"]))
    return lists


def _owner_label(task: ConsensusTask, owner: str) -> str:
    if owner == task.pointer:
        return "the task"
    if owner.endswith("/superTruth"):
        return "`superTruth`"
    annotator = next(a for a in task.annotators if a.pointer == owner)
    return f"annotator `{annotator.name}`"


def _compare_series(
    task: ConsensusTask, reference: tuple[str, list[Any]], owner: str, series: list[Any]
) -> Iterator[Hit]:
    ref_owner, ref_series = reference
    what, against = _owner_label(task, owner), _owner_label(task, ref_owner)
    if len(series) != len(ref_series):
        yield Hit(
            f"{what} has {len(series)} series but {against} has {len(ref_series)}: "
            "everyone labels the same items, so the series lists are parallel; add or "
            "remove series to match",
            join_pointer(owner, "series"),
            key=f"series-count:{task.name}:{owner}",
        )
        return
    for index, (mine, theirs) in enumerate(zip(series, ref_series, strict=True)):
        name = mine.get("name") if isinstance(mine, dict) else None
        ref_name = theirs.get("name") if isinstance(theirs, dict) else None
        if isinstance(name, str) and isinstance(ref_name, str) and name != ref_name:
            yield Hit(
                f"series `{name}` of {what} is `{ref_name}` at the same position in "
                f"{against}: series are matched by position; reorder or rename it",
                join_pointer(owner, "series", index, "name"),
                key=f"series-name:{task.name}:{owner}:{index}",
            )
