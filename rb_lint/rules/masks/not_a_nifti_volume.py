"""RB312 not-a-nifti-volume."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.mask_scans import scanned_by_result
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS
from rb_lint.nifti.scan import NOT_NIFTI


@rule("RB312", "not-a-nifti-volume", Severity.ERROR, "A mask is not a NIfTI-1/2 volume.", kinds=TASK_KINDS)
def not_a_nifti_volume(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A mask file is not a NIfTI-1/2 volume: a CIFTI file with a `.nii` name, an Analyze or
    two-file (.hdr/.img) pair, NRRD, DICOM, text or a damaged header. The message says what the
    file is.

    Why: The platform loads masks with nibabel and accepts only NIfTI-1 and NIfTI-2 images; it
    rejects anything else (`Invalid base mask type`), and the series' annotations are not
    imported.

    Failing:
        "segmentations": "seg.nii.gz"   (an NRRD file renamed to .nii.gz)
    Fixed:
        "segmentations": "seg.nii.gz"   (converted, e.g. with SimpleITK.WriteImage)
    """
    for result, uses in scanned_by_result(doc, ctx):
        problem = result.problem(NOT_NIFTI)
        if problem is not None:
            yield from uses.hits(f"is not a NIfTI-1/2 volume: {problem.message}")
