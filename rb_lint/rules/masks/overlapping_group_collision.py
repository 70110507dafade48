"""RB311 overlapping-group-collision."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.masks import document_masks
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB311",
    "overlapping-group-collision",
    Severity.ERROR,
    "An `overlappingGroups` id is also an instance id.",
    kinds=TASK_KINDS,
)
def overlapping_group_collision(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A `segmentMap` entry's `overlappingGroups` lists an id that is also an instance id of the
    same `segmentMap`. (Group ids are the voxel values that stand for several instances at once
    where they overlap.)

    Why: A group id equal to an instance id is ambiguous: a voxel with that value could be the
    instance alone or the group. The SDK rejects the series (`Found common instance and group
    ids`), so none of its masks are imported.

    Failing:
        "segmentMap": {"1": {"category": "Liver", "overlappingGroups": [2]}, "2": "Tumor"}
    Fixed:
        "segmentMap": {"1": {"category": "Liver", "overlappingGroups": [3]}, "2": "Tumor"}
    """
    for series in document_masks(doc, ctx).with_groups:
        instances = series.instances
        for entry in series.entries:
            groups = entry.value.get("overlappingGroups") if isinstance(entry.value, dict) else None
            for index, group in enumerate(groups if isinstance(groups, list) else []):
                if isinstance(group, int) and not isinstance(group, bool) and group in instances:
                    yield Hit(
                        f"group id {group} is also an instance id of this `segmentMap`: "
                        "the platform rejects the series (`Found common instance and group "
                        "ids`); give the group an id no instance uses",
                        join_pointer(series.pointer, "segmentMap", entry.key, "overlappingGroups", index),
                        key=series.key(f"id {entry.key} group {group}"),
                    )
