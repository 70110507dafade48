"""RB107 task-level-segmentmap."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.formats import walk
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS


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
            )
