"""RB100 not-a-task-list."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.common import json_type
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB100",
    "not-a-task-list",
    Severity.ERROR,
    "An items list must be a JSON array of task objects.",
    kinds=TASK_KINDS,
)
def not_a_task_list(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: The file must be a JSON array whose elements are task objects.

    Why: The RedBrick SDK silently skips a file that is not a list of objects, so a single task
    written as a bare object, or a list of strings, uploads nothing and says nothing.

    Failing:
        {"name": "patient-001", "series": [{"items": "ct.nii.gz"}]}
    Fixed:
        [{"name": "patient-001", "series": [{"items": "ct.nii.gz"}]}]
    """
    if isinstance(doc.data, dict):
        yield Hit(
            "the file holds one task object, but an items list is an array of tasks (the "
            "CLI skips this file silently): wrap it in `[ ... ]`"
        )
        return
    if not isinstance(doc.data, list):
        return
    for index, element in enumerate(doc.data):
        if not isinstance(element, dict):
            yield Hit(
                f"element {index} is {_a(json_type(element))}, not a task object "
                '`{"name": ..., "series": [...]}`',
                join_pointer("", index),
            )


def _a(type_name: str | None) -> str:
    name = type_name or "value"
    return ("an " if name[0] in "aeiou" else "a ") + name
