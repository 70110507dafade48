"""RB321 mask-without-orientation."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.mask_scans import readable_header, scanned_by_result
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB321",
    "mask-without-orientation",
    Severity.WARNING,
    "A mask's qform and sform codes are both 0.",
    kinds=TASK_KINDS,
)
def mask_without_orientation(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A mask's qform_code and sform_code are both 0: the NIfTI file has no orientation.

    Why: Readers fall back to a guessed grid (voxel size only, no origin or direction), so the mask
    may appear flipped or shifted against its image. Write the mask with the image's affine.

    Failing:
        nib.Nifti1Image(labels, affine=None)
    Fixed:
        nib.Nifti1Image(labels, image.affine, image.header)
    """
    for result, uses in scanned_by_result(doc, ctx):
        header = readable_header(result)
        if header is None or header.qform_code or header.sform_code:
            continue
        yield from uses.hits(
            "has qform_code and sform_code 0, so it has no "
            "orientation and may be shown flipped or shifted against its image; save it "
            "with the image's affine"
        )
