"""RB809 unmapped-roi."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.dicom import dicom_segmentations
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS

MAX_LISTED = 12


@rule(
    "RB809",
    "unmapped-roi",
    Severity.WARNING,
    "An ROI (RT-STRUCT) or segment (DICOM-SEG) of a segmentation file has no segmentMap key.",
    kinds=TASK_KINDS,
)
def unmapped_roi(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A local `.dcm` segmentation of the series holds ROIs (RT Structure Set: ROIName) or
    segments (DICOM-SEG: SegmentNumber) that no segmentMap key names. Reported once per file, at
    its path, listing them.

    Why: The SDK converts only the ROIs the segmentMap names and merely logs the others, so they are
    not uploaded; for DICOM-SEG the unnamed segment's voxels arrive without a category, as
    uneditable view-only annotations. Either is rarely what was meant: map the ROI to a category,
    or remove it from the file if it is not wanted (a `BODY` or `Couch` contour).

    Failing:
        "segmentations": "rtstruct.dcm" (ROIs Liver, Spleen), "segmentMap": {"Liver": "Liver"}
    Fixed:
        "segmentMap": {"Liver": "Liver", "Spleen": "Spleen"}
    """
    for upload in dicom_segmentations(doc, ctx):
        keys = set(upload.keys)
        for file, header in upload.headers:
            if header.kind == "rtstruct":
                missing = [f"`{r}`" for r in dict.fromkeys(header.rois) if r not in keys]
                noun = "ROI"
            else:
                missing = [
                    f"{s.number} (`{s.label}`)" if s.label else str(s.number)
                    for s in header.segments
                    if s.number and str(s.number) not in keys
                ]
                noun = "segment"
            if not missing:
                continue
            more = len(missing) - MAX_LISTED
            shown = ", ".join(missing[:MAX_LISTED]) + (f", … ({more} more)" if more > 0 else "")
            many = len(missing) != 1
            if noun == "ROI":
                effect = f"the SDK converts only mapped ROIs and leaves {'them' if many else 'it'} out"
            else:
                effect = f"{'they arrive' if many else 'it arrives'} without a category, as view-only labels"
            yield Hit(
                f"`{file.written}` has {len(missing)} {noun}{'s' if many else ''} with no segmentMap key: "
                f"{shown}; {effect}",
                file.pointer,
            )
