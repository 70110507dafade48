"""RB404 archived-category."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.taxonomy import task_references
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB404",
    "archived-category",
    Severity.WARNING,
    "A category is archived in the taxonomy.",
    kinds=TASK_KINDS,
)
def archived_category(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A label uses an object type marked `archived: true`.

    Why: Archived object types keep their classId but are no longer offered to annotators in the
    RedBrick annotation tool, so such labels cannot be reproduced or corrected.

    Failing:
        "segmentMap": {"1": "Tumor core (legacy)"}
    Fixed:
        "segmentMap": {"1": ["Brain", "Tumor", "Enhancing tumor"]}
    """
    for ref in task_references(doc, ctx).categories:
        object_type = ref.resolution.object_type
        if object_type is not None and object_type.archived:
            yield Hit(
                f"category `{object_type.display()}` is archived in the taxonomy: archived "
                "categories are no longer offered to annotators; map this label to an "
                "active category or restore the category",
                ref.pointer(),
                key=ref.key(),
            )
