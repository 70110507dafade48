"""RB405 label-type-mismatch."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.taxonomy import task_references
from rb_lint.io.document import Document
from rb_lint.models.common import LIST_LABEL_TYPES, MEASUREMENT_LABEL_TYPES
from rb_lint.models.kinds import TASK_KINDS


def _homes() -> dict[str, str]:
    """Where a label of each labelType belongs, as messages name it."""
    keys: dict[str, list[str]] = {}
    for key, label_type in LIST_LABEL_TYPES.items():
        keys.setdefault(label_type, []).append(f"`{key}`")
    homes = {label_type: "/".join(names) for label_type, names in keys.items()}
    homes.update({t: f"`measurements` (type {kind})" for kind, t in MEASUREMENT_LABEL_TYPES.items()})
    return homes


LABEL_HOMES = _homes()


@rule(
    "RB405",
    "label-type-mismatch",
    Severity.ERROR,
    "A category's labelType does not fit the kind of label.",
    kinds=TASK_KINDS,
)
def label_type_mismatch(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: Every object type has one `labelType`, and each label list takes only its own:
    `segmentMap` SEGMENTATION, `boundingBoxes` BBOX, `polygons` POLYGON, `polylines` POLYLINE,
    `landmarks` and `landmarks3d` POINT, `ellipses` ELLIPSE, `cuboids` CUBOID, `measurements` of
    type length LENGTH and of type angle ANGLE.

    Why: A bounding-box category used for a segmentation cannot be shown or edited as one in the
    RedBrick annotation tool, and the export carries a label its object type does not describe.

    Failing:
        "segmentMap": {"1": ["Abdomen", "Lymph node"]}    (Lymph node is a BBOX object type)
    Fixed:
        "boundingBoxes": [{"category": ["Abdomen", "Lymph node"], ...}]
    """
    for ref in task_references(doc, ctx).categories:
        object_type, expected = ref.resolution.object_type, ref.required
        if object_type is None or expected is None:
            continue
        actual = object_type.label_type
        if actual in LABEL_HOMES and actual != expected:
            yield Hit(
                f"`{object_type.display()}` is a {actual} object type, but `{ref.list_key}` needs "
                f"{expected}: use a {expected} category here, or move this label to "
                f"{LABEL_HOMES[actual]}",
                ref.pointer(),
                key=ref.key(),
            )
