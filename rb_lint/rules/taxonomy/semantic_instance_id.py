"""RB409 semantic-instance-id."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.taxonomy import task_references
from rb_lint.formats.taxonomy_index import taxonomy_for
from rb_lint.io.document import Document
from rb_lint.models.common import instance_id
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB409",
    "semantic-instance-id",
    Severity.ERROR,
    "With `semanticMask: true`, a segmentMap key must be its category's classId + 1.",
    kinds=TASK_KINDS,
)
def semantic_instance_id(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: In a semantic mask every voxel of a category holds classId + 1 (0 is background), and
    the segmentMap keys are those values. An integer category means the classId itself, so
    `"3": 3` is off by one: the key must be `"4"`. Needs Taxonomy V2. (Mask values themselves
    are the mask scanner's business; keys that are no instance id are RB114's.)

    Why: In a semantic mask the taxonomy fixes each category's voxel value (classId + 1), and the
    segmentMap key says which value the category's voxels carry. A key that is not classId + 1
    makes the two disagree: the upload shows those voxels under another category (or none), and
    a semantic export writes them with another value.

    Failing:
        "semanticMask": true, "segmentMap": {"3": ["Brain", "Tumor", "Enhancing tumor"]}
        (classId 3)
    Fixed:
        "semanticMask": true, "segmentMap": {"4": ["Brain", "Tumor", "Enhancing tumor"]}
    """
    index = taxonomy_for(ctx)
    if index is None or index.version != 2:
        return
    for ref in task_references(doc, ctx).categories:
        object_type = ref.resolution.object_type
        if not ref.semantic_mask or ref.instance is None or object_type is None:
            continue
        key = instance_id(ref.instance)
        if object_type.class_id is None or key is None or key == object_type.class_id + 1:
            continue
        note = (
            " (an integer category is the classId itself, the key is one more)"
            if isinstance(ref.value, int)
            else ""
        )
        yield Hit(
            f"semantic mask: key `{ref.instance}` maps to `{object_type.display()}` (classId "
            f"{object_type.class_id}), but semantic masks store classId + 1: expected key "
            f"`{object_type.class_id + 1}`{note}",
            ref.holder_pointer(),
            at="key",
            key=ref.holder_key(),
        )
