"""RB205 task-folder-collision."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.names import TaskName, cite, document_task_names, task_names, value_positions
from rb_lint.formats import walk
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import collector_paused
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB205",
    "task-folder-collision",
    Severity.WARNING,
    "Different task names that export to the same folder.",
    kinds=TASK_KINDS,
    scope="project",
    needs=(document_task_names,),
)
def task_folder_collision(docs: list[Document], ctx: Context) -> Iterator[Hit]:
    """
    What: Two different task names export to the same folder. The exporter (redbrick-sdk 2.35.4)
    names each task's folder after the task name with every run of characters other than letters,
    digits, whitespace and `_ . # @ + ( ) , = [ ] { } ! ~ -` replaced by `-` and trailing spaces and
    dots removed, so `patient:7` and `patient/7` both export to `segmentations/patient-7/`, and
    `case 7.` lands in `case 7/`.

    Why: One task's masks overwrite the other's in the export, and nothing says so.

    Failing:
        [{"name": "patient:7", ...}, {"name": "patient/7", ...}]
    Fixed:
        [{"name": "patient 7a", ...}, {"name": "patient 7b", ...}]
    """
    first: dict[str, TaskName] = {}
    clashes: list[tuple[TaskName, str]] = []
    with collector_paused():  # a `TaskName` per task, no cycles (see `collector_paused`)
        for task in task_names(docs):
            folder = walk.export_file_stem(task.name)
            if not folder:
                continue  # the exporter falls back to the task's id, which is unique
            earlier = first.setdefault(folder, task)
            if earlier.name != task.name:
                clashes.append((task, folder))
    if not clashes:
        return
    positions = value_positions((first[f].doc, f"{first[f].pointer}/name") for _task, f in clashes)
    for task, folder in clashes:
        earlier = first[folder]
        where = cite(earlier.doc, f"{earlier.pointer}/name", positions)
        yield Hit(
            f"task `{task.name}` exports to folder `{folder}/`, as does `{earlier.name}` at "
            f"{where}: their masks would overwrite each other; rename one",
            f"{task.pointer}/name",
            doc=task.doc,
            key=f"task-folder:{task.name}",
        )
