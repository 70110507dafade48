"""RB314 mask-not-3d."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.mask_scans import readable_header, scanned_by_result
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule("RB314", "mask-not-3d", Severity.ERROR, "A mask is not exactly 3-D.", kinds=TASK_KINDS)
def mask_not_3d(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A mask's header gives it other than three dimensions: a 2-D array, or a 4-D file, even
    one shaped (X, Y, Z, 1).

    Why: The platform accepts exactly 3-D masks and rejects the others (`Invalid base mask
    shape`). 2-D masks are stored as (X, Y, 1).

    Failing:
        seg.nii.gz with shape (240, 240, 155, 1)
    Fixed:
        seg.nii.gz with shape (240, 240, 155)   (e.g. `nib.squeeze_image(img)`)
    """
    for result, uses in scanned_by_result(doc, ctx):
        header = readable_header(result)
        if header is None or header.ndim == 3:
            continue
        hint = (
            "save a 2-D mask with shape (X, Y, 1)"
            if header.ndim < 3
            else "drop the extra axes (e.g. `nib.squeeze_image`) or split the volumes"
        )
        yield from uses.hits(
            f"is {header.ndim}-D (shape {header.shape}): the platform "
            f"accepts exactly 3-D masks (`Invalid base mask shape`); {hint}"
        )
