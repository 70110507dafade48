"""RB322 corrupt-mask-data."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.mask_scans import scanned_by_result
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS
from rb_lint.nifti.scan import CORRUPT, UNREADABLE


@rule(
    "RB322", "corrupt-mask-data", Severity.ERROR, "A mask's data is truncated or damaged.", kinds=TASK_KINDS
)
def corrupt_mask_data(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A mask holds less voxel data than its header promises, its gzip stream is truncated or
    its gzip checksum does not match (an interrupted copy or download, a full disk), or reading it
    failed.

    Why: nibabel, which the platform uses, fails on such a file, or, worse, reads garbage into the
    labels.

    Failing:
        seg.nii.gz cut short by an interrupted `aws s3 cp`
    Fixed:
        seg.nii.gz copied again (compare its checksum with the original)
    """
    for result, uses in scanned_by_result(doc, ctx):
        problem = result.problem(CORRUPT) or result.problem(UNREADABLE)
        if problem is not None:
            yield from uses.hits(f"is damaged: {problem.message}")
