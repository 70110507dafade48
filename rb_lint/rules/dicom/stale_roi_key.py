"""RB808 stale-roi-key."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.core.suggest import closest_name
from rb_lint.facts.dicom import dicom_segmentations
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS

MAX_LISTED = 12


@rule(
    "RB808",
    "stale-roi-key",
    Severity.ERROR,
    "A segmentMap key names no ROI (RT-STRUCT) or segment (DICOM-SEG) of the series' segmentation files.",
    kinds=TASK_KINDS,
)
def stale_roi_key(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: The series' `segmentations` are `.dcm` files, all local and readable, and a segmentMap
    key is none of their ROI names (RT Structure Set: StructureSetROISequence > ROIName) or segment
    numbers (DICOM-SEG: SegmentSequence > SegmentNumber, the voxel value its conversion writes). The
    message suggests the closest ROI name, or the segment number of a segment label used as a key.

    Why: In an RT-STRUCT upload the segmentMap is keyed by ROI name, and the SDK deletes every entry
    whose ROI is not in the files without a word: the structure the key was meant for is not
    uploaded, usually because the ROI was renamed (`Liver` vs `liver`, `GTV` vs `GTV_1`). A
    DICOM-SEG upload becomes a mask of segment numbers, so a key that is no segment labels nothing.

    Failing:
        "segmentations": "rtstruct.dcm" (ROIs Liver, Spleen),
        "segmentMap": {"Liver": "Liver", "Kidney": "Kidney"}
    Fixed:
        "segmentMap": {"Liver": "Liver", "Spleen": "Spleen"}
    """
    for upload in dicom_segmentations(doc, ctx):
        if not upload.complete or not upload.headers:
            continue
        rois = list(dict.fromkeys(r for _f, h in upload.headers for r in h.rois))
        segments = {str(s.number): s.label for _f, h in upload.headers for s in h.segments if s.number}
        labels = {label: number for number, label in segments.items() if label}
        files = ", ".join(f"`{f.written}`" for f, _h in upload.headers)
        for key in upload.keys:
            if key in rois or key in segments:
                continue
            if rois:
                known = ", ".join(rois[:MAX_LISTED]) + (", …" if len(rois) > MAX_LISTED else "")
                hint = closest_name(key, rois)
                detail = f"is no ROI of {files} (its ROIs: {known})" + (
                    f": did you mean `{hint}`?" if hint else ""
                )
            else:
                shown = ", ".join(f"{n} {label}".strip() for n, label in list(segments.items())[:MAX_LISTED])
                detail = f"is no segment number of {files} (its segments: {shown or 'none'})" + (
                    f": `{key}` is the label of segment {labels[key]}, key it `{labels[key]}`"
                    if key in labels
                    else ""
                )
            yield Hit(
                f"segmentMap key `{key}` {detail}; the upload drops this entry without a warning",
                join_pointer(upload.pointer, "segmentMap", key),
                at="key",
            )
