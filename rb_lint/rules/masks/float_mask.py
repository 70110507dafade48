"""RB316 float-mask."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.mask_scans import readable_header, scanned_by_result
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS
from rb_lint.nifti.scan import UNSUPPORTED


@rule("RB316", "float-mask", Severity.WARNING, "A mask stores floating-point voxels.", kinds=TASK_KINDS)
def float_mask(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A mask stores floating-point voxels (float32 or float64).

    Why: The SDK keeps uint8/uint16 masks as they are and converts every other type with
    `round(get_fdata())` to uint16: float labels survive only if they are whole numbers in
    0..65535 (RB317 and RB319 check that). Integer labels avoid the conversion.

    Failing:
        seg.nii.gz stored as float32
    Fixed:
        seg.nii.gz stored as uint8 (`img.set_data_dtype(np.uint8)`)
    """
    for result, uses in scanned_by_result(doc, ctx):
        header = readable_header(result)
        if header is None or not header.is_float or result.problem(UNSUPPORTED):
            continue
        yield from uses.hits(
            f"stores {header.dtype_name} voxels: the platform rounds "
            "them to uint16; save integer labels (uint8 or uint16) instead"
        )
