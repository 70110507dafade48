"""RB106 segmentmap-without-segmentations."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.structure import series_census
from rb_lint.formats import walk
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB106",
    "segmentmap-without-segmentations",
    Severity.ERROR,
    "A series has a `segmentMap` but no `segmentations`.",
    kinds=TASK_KINDS,
)
def segmentmap_without_segmentations(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A series maps mask values to categories but names no mask file. The historical RedBrick
    JSON Schema requires the two together.

    Why: With no mask file nothing is imported: the labels the map describes never reach the
    platform, and the upload does not say so.

    Failing:
        {"items": "ct.nii.gz", "segmentMap": {"1": "Liver"}}
    Fixed:
        {"items": "ct.nii.gz", "segmentations": "seg.nii.gz", "segmentMap": {"1": "Liver"}}
    """
    for pointer, series in series_census(doc).without_segmentations:
        if walk.segment_map(series) and not walk.as_list(series.get("segmentations")):
            yield Hit(
                "`segmentMap` without `segmentations`: no mask file is named, so nothing "
                'is imported; add `"segmentations": "path/to/mask.nii.gz"`',
                join_pointer(pointer, "segmentMap"),
                at="key",
            )
