"""RB108 mask-flag-in-segmentmap."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.structure import series_census
from rb_lint.formats import walk
from rb_lint.formats.validation import SERIES_FLAGS
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB108",
    "mask-flag-in-segmentmap",
    Severity.ERROR,
    "`binaryMask`/`semanticMask`/`pngMask` inside `segmentMap`.",
    kinds=TASK_KINDS,
)
def mask_flag_in_segmentmap(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: `binaryMask`, `semanticMask` or `pngMask`, boolean flags of the series, written inside
    `segmentMap` (as in one RedBrick docs example).

    Fix: safe — moves the flag, as written, out of `segmentMap` to right after it on the series,
    unless the series has that flag already.

    Why: Inside `segmentMap` the flag is read as an instance id and a category, and the masks are
    not treated as binary.

    Failing:
        "segmentMap": {"1": {"category": "Liver", "mask": "liver.nii.gz"}, "binaryMask": true}
    Fixed:
        "segmentMap": {"1": {"category": "Liver", "mask": "liver.nii.gz"}}, "binaryMask": true
    """
    for pointer, series in series_census(doc).flags_in_map:
        segment_map = walk.segment_map(series)
        if not segment_map:
            continue
        for flag in SERIES_FLAGS:
            if flag in segment_map:
                from rb_lint.io.edits import MoveMember  # fix plans: with a finding (start-up)

                flag_pointer = join_pointer(pointer, "segmentMap", flag)
                yield Hit(
                    f"`{flag}` is a series flag, not a segmentMap entry: move "
                    f'`"{flag}": true` out of `segmentMap`, next to it',
                    flag_pointer,
                    at="key",
                    fix=None if flag in series else MoveMember(flag_pointer, pointer, after="segmentMap"),
                )
