"""RB500 empty-consensus-tasks."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.consensus import consensus_tasks
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB500",
    "empty-consensus-tasks",
    Severity.ERROR,
    "A consensus task must have at least one `consensusTasks` entry.",
    kinds=TASK_KINDS,
)
def empty_consensus_tasks(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A task marked `consensus: true` whose `consensusTasks` is an empty list. (A missing
    `consensusTasks` is reported by RB101.)

    Why: The export writes one entry per annotator, so an empty list means the annotations were lost
    (typically a filtered or hand-edited export): nothing of the task's labels is left, and an upload
    or an analysis of the file sees a consensus task that nobody labeled.

    Failing:
        {"name": "p1", "consensus": true, "consensusTasks": []}
    Fixed:
        {"name": "p1", "consensus": true, "consensusTasks": [{"updatedBy": "a@x.org",
         "series": [...]}]}
    """
    for task in consensus_tasks(doc):
        if not task.task["consensusTasks"]:
            yield Hit(
                "`consensus: true` but `consensusTasks` is empty: a consensus export has one "
                "entry per annotator; re-export the task, or drop `consensus` if it was "
                "labeled once",
                join_pointer(task.pointer, "consensusTasks"),
                key=f"consensus:{task.name}",
            )
