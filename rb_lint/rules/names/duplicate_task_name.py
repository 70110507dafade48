"""RB201 duplicate-task-name."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.names import TaskName, cite, document_task_names, task_names, value_positions
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import collector_paused
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB201",
    "duplicate-task-name",
    Severity.ERROR,
    "Task names must be unique across every file linted together.",
    kinds=TASK_KINDS,
    scope="project",
    needs=(document_task_names,),
)
def duplicate_task_name(docs: list[Document], ctx: Context) -> Iterator[Hit]:
    """
    What: Two tasks share a `name`. Items lists are often split over many files, so names are
    compared across every file linted together; the finding is at each repeat and names the first
    occurrence.

    Why: The platform keys tasks by name: the RedBrick SDK keeps the first and silently drops the
    other ("Skipping duplicate item name"), so its images and labels never arrive.

    Failing:
        a.json: [{"name": "patient-007", "series": [{"items": "a/ct.nii.gz"}]}]
        b.json: [{"name": "patient-007", "series": [{"items": "b/ct.nii.gz"}]}]
    Fixed:
        b.json: [{"name": "patient-007-followup", "series": [{"items": "b/ct.nii.gz"}]}]
    """
    first: dict[str, TaskName] = {}
    repeats: list[TaskName] = []
    with collector_paused():  # a `TaskName` per task, no cycles (see `collector_paused`)
        for task in task_names(docs):
            earlier = first.setdefault(task.name, task)
            if earlier is not task:
                repeats.append(task)
    if not repeats:
        return
    positions = value_positions((first[t.name].doc, f"{first[t.name].pointer}/name") for t in repeats)
    for task in repeats:
        earlier = first[task.name]
        where = cite(earlier.doc, f"{earlier.pointer}/name", positions)
        yield Hit(
            f"task name `{task.name}` is already used at {where}: the platform keeps the first "
            "task and silently drops this one; give it a unique name",
            f"{task.pointer}/name",
            doc=task.doc,
            key=f"task:{task.name}",
        )
