"""RB313 mask-compression-mismatch."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.mask_scans import scanned_by_result
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS
from rb_lint.nifti.scan import COMPRESSION


@rule(
    "RB313",
    "mask-compression-mismatch",
    Severity.ERROR,
    "A mask's gzip compression does not match its file name.",
    kinds=TASK_KINDS,
)
def mask_compression_mismatch(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A mask named `.nii.gz` is not gzip-compressed, or a gzip-compressed mask is named
    `.nii`.

    Why: nibabel, which the platform uses, decides from the name whether to decompress: such a
    file fails to load on the platform although other tools open it.

    Failing:
        "segmentations": "seg.nii"   (gzip-compressed)
    Fixed:
        "segmentations": "seg.nii.gz"   (the file renamed)
    """
    for result, uses in scanned_by_result(doc, ctx):
        problem = result.problem(COMPRESSION)
        if problem is not None and problem.message:
            yield from uses.hits(problem.message)
