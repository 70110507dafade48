"""RB315 unsupported-mask-dtype."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.mask_scans import scanned_by_result
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS
from rb_lint.nifti.header import COMPLEX_OR_RGB
from rb_lint.nifti.scan import UNSUPPORTED


@rule(
    "RB315",
    "unsupported-mask-dtype",
    Severity.ERROR,
    "A mask holds complex, RGB or other non-label data.",
    kinds=TASK_KINDS,
)
def unsupported_mask_dtype(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A mask stores complex, RGB/RGBA, 1-bit or 128-bit float voxels, or another datatype that
    holds no labels.

    Why: Mask voxels are integer labels. Such data cannot be turned into labels (the platform casts
    everything to uint16), and rb-lint cannot check it.

    Failing:
        seg.nii.gz stored as RGB24
    Fixed:
        seg.nii.gz stored as uint8 or uint16 labels
    """
    for result, uses in scanned_by_result(doc, ctx):
        header = result.header
        if result.problem(UNSUPPORTED) is None or header is None:
            continue
        kind = "complex or RGB" if header.datatype in COMPLEX_OR_RGB else "non-label"
        yield from uses.hits(
            f"holds {header.dtype_name} voxels ({kind} data): masks "
            "hold integer labels; save it as uint8 or uint16"
        )
