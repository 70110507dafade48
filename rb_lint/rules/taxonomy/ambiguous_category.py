"""RB403 ambiguous-category."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.taxonomy import task_references
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB403",
    "ambiguous-category",
    Severity.ERROR,
    "A bare category name exists under several parents.",
    kinds=TASK_KINDS,
)
def ambiguous_category(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A category written as a bare leaf name that the taxonomy nests under several parents
    (e.g. `Metastasis` under both `Brain > Tumor` and `Abdomen`).

    Why: Only the `[parent..., leaf]` path says which object type is meant. The object types
    behind one leaf name differ in classId, label type and attributes, so a bare name leaves it
    to chance which one the label gets on the RedBrick platform and in every export.

    Failing:
        "segmentMap": {"1": "Metastasis"}
    Fixed:
        "segmentMap": {"1": ["Abdomen", "Metastasis"]}
    """
    for ref in task_references(doc, ctx).categories:
        found = ref.resolution
        if found.status == "ambiguous":
            paths = " and ".join(f"`{c.display()}`" for c in found.candidates)
            yield Hit(
                f"category `{ref.value}` exists under several parents ({paths}): write its "
                f"full path, e.g. `{found.candidates[0].display()}`",
                ref.pointer(),
                key=ref.key(),
            )
