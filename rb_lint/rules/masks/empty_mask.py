"""RB320 empty-mask."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.mask_scans import scanned_by_result
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule("RB320", "empty-mask", Severity.WARNING, "A mask holds no non-zero voxel.", kinds=TASK_KINDS)
def empty_mask(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: Every voxel of a mask (read completely) is 0.

    Why: An empty mask carries no annotation; the SDK skips it silently (`Skipping empty
    labels`), which usually means the wrong file or a failed export.

    Failing:
        seg.nii.gz with every voxel 0
    Fixed:
        the series without that file in `segmentations` (or the right file)
    """
    for result, uses in scanned_by_result(doc, ctx):
        values = result.values
        if values is None or not result.complete or not values.empty:
            continue
        yield from uses.hits(
            "holds no non-zero voxel: the platform skips empty masks "
            "silently; name the right file or remove it"
        )
