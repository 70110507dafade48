"""RB604 duplicate-media-id."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.datagym import lines_of, repeated_task_values
from rb_lint.io.document import Document
from rb_lint.models.kinds import DATAGYM


@rule(
    "RB604",
    "duplicate-media-id",
    Severity.ERROR,
    "Two tasks have the same internal media id.",
    kinds=(DATAGYM,),
)
def duplicate_media_id(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: Two tasks share `internal_media_ID` (older exports: `internal_image_ID`).

    Why: DataGym exports one task per media, and its API addresses images by that id, so a repeat
    means tasks were duplicated or two exports merged: readers keyed by the id keep only one of them.

    Failing:
        [{"label_classes": []}, {"internal_media_ID": "a1", ...}, {"internal_media_ID": "a1", ...}]
    Fixed:
        [{"label_classes": []}, {"internal_media_ID": "a1", ...}, {"internal_media_ID": "b2", ...}]
    """
    repeats = repeated_task_values(doc, "internal_media_ID", "internal_image_ID")
    lines = lines_of(doc, (repeat.first for repeat in repeats))
    for repeat in repeats:
        yield Hit(
            f"internal id `{repeat.value}` is also used by the task at line {lines[repeat.first]}: "
            "readers keyed by the id keep one task only; remove the duplicate task",
            repeat.pointer,
            key=f"internal_media_ID:{repeat.value}",
        )
