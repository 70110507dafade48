"""RB105 segmentations-without-segmentmap."""

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
    "RB105",
    "segmentations-without-segmentmap",
    Severity.ERROR,
    "A series has `segmentations` but no `segmentMap`.",
    kinds=TASK_KINDS,
)
def segmentations_without_segmentmap(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A series names segmentation files but has no `segmentMap`. The historical RedBrick JSON
    Schema requires the two together.

    Why: No mask value maps to a taxonomy category, so every annotation uploads as an uneditable,
    view-only label.

    Failing:
        {"items": "ct.nii.gz", "segmentations": "seg.nii.gz"}
    Fixed:
        {"items": "ct.nii.gz", "segmentations": "seg.nii.gz", "segmentMap": {"1": "Liver"}}
    """
    for pointer, series in series_census(doc).without_map:
        if walk.as_list(series.get("segmentations")) and "segmentMap" not in series:
            yield Hit(
                "`segmentations` without `segmentMap`: the mask values map to no category "
                'and upload as view-only labels; add `"segmentMap": {"1": "..."}`',
                join_pointer(pointer, "segmentations"),
                at="key",
            )
