"""RB606 labels-on-skipped-task."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.datagym import export
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import DATAGYM


@rule("RB606", "labels-on-skipped-task", Severity.WARNING, "A skipped task carries labels.", kinds=(DATAGYM,))
def labels_on_skipped_task(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A task with `status: "skipped"` has labels.

    Why: DataGym exports skipped tasks with whatever was drawn before the labeler skipped the
    image - unfinished and unreviewed work that is usually not meant for training. Filter tasks on
    `status`, or finish the task in DataGym.

    Failing:
        {"status": "skipped", "labels": {"car": [{"polygon": [...], "classifications": {}}]}}
    Fixed:
        {"status": "completed", "labels": {"car": [{"polygon": [...], "classifications": {}}]}}
    """
    for task in export(doc).tasks:
        labels = task.fields.get("labels")
        if task.fields.get("status") != "skipped" or not isinstance(labels, dict):
            continue
        count = sum(len(objects) for objects in labels.values() if isinstance(objects, list))
        if count:
            yield Hit(
                f"this task is skipped but has {count} labelled object(s): a skipped "
                "task's labels are unfinished work; drop them when training, or complete "
                "the task in DataGym",
                join_pointer(task.pointer, "labels"),
                at="key",
            )
