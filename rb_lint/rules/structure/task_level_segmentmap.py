"""RB107 task-level-segmentmap."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.formats import walk
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS

if TYPE_CHECKING:
    from rb_lint.io.edits import MoveMember


@rule(
    "RB107",
    "task-level-segmentmap",
    Severity.WARNING,
    "`segmentMap` belongs on a series, not a task.",
    kinds=TASK_KINDS,
)
def task_level_segmentmap(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A `segmentMap` on the task instead of on a series (as in one RedBrick notebook).

    Fix: unsafe — when the task has exactly one series and that series has no `segmentMap`, moves
    the mapping onto it (last, re-indented): the series' masks then map to categories.

    Why: The historical JSON Schema rejects it, and the mapping does not reach the series' masks:
    their values map to no category.

    Failing:
        {"name": "p1", "segmentMap": {"1": "Liver"}, "series": [{"items": "ct.nii.gz",
         "segmentations": "seg.nii.gz"}]}
    Fixed:
        {"name": "p1", "series": [{"items": "ct.nii.gz", "segmentations": "seg.nii.gz",
         "segmentMap": {"1": "Liver"}}]}
    """
    for pointer, task in walk.tasks(doc):
        if "segmentMap" in task:
            yield Hit(
                "`segmentMap` on the task: it belongs on the series that holds the "
                "`segmentations`; move it there",
                join_pointer(pointer, "segmentMap"),
                at="key",
                fix=_onto_the_only_series(pointer, task),
            )


def _onto_the_only_series(pointer: str, task: dict[str, Any]) -> MoveMember | None:
    series = task.get("series")
    if not isinstance(series, list) or len(series) != 1 or not isinstance(series[0], dict):
        return None
    if "segmentMap" in series[0]:
        return None
    from rb_lint.io.edits import MoveMember  # fix plans: with a finding (start-up)

    return MoveMember(join_pointer(pointer, "segmentMap"), join_pointer(pointer, "series", 0), safe=False)
