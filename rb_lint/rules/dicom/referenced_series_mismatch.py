"""RB810 referenced-series-mismatch."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.dicom import dicom_segmentations, series_of
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB810",
    "referenced-series-mismatch",
    Severity.ERROR,
    "An RT-STRUCT or DICOM-SEG refers to another DICOM series than the series' items.",
    kinds=TASK_KINDS,
)
def referenced_series_mismatch(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A local `.dcm` segmentation refers to DICOM series (RT Structure Set:
    ReferencedFrameOfReferenceSequence > RTReferencedStudySequence > RTReferencedSeriesSequence >
    SeriesInstanceUID; DICOM-SEG: ReferencedSeriesSequence > SeriesInstanceUID) none of which is the
    SeriesInstanceUID of the series' items, or its contours are drawn on images
    (ContourImageSequence > ReferencedSOPInstanceUID) that are not among the items. Checked when
    every item is a local, readable DICOM file.

    Why: The SDK converts an RT-STRUCT on the series' items with rt-utils, which refuses a structure
    set that references images not in the series; contours of another series (another study, a
    re-exported scan with new UIDs) cannot be placed on these images, and a DICOM-SEG of another
    series lands on the wrong slices.

    Failing:
        "items": ["ct/001.dcm", ...] (series 1.2.3), "segmentations": "rtstruct.dcm" (refers to series 1.2.4)
    Fixed:
        "segmentations": the structure set exported with the series 1.2.3
    """
    for upload in dicom_segmentations(doc, ctx):
        series = series_of(doc, ctx, upload.series)
        if series is None or not series.complete:
            continue
        uids = {h.series_instance_uid for _f, h in series.headers if h.series_instance_uid}
        instances = {h.sop_instance_uid for _f, h in series.headers if h.sop_instance_uid}
        for file, header in upload.headers:
            referenced = list(dict.fromkeys(header.referenced_series))
            foreign = [uid for uid in dict.fromkeys(header.referenced_instances) if uid not in instances]
            if referenced and uids and not uids.intersection(referenced):
                problem = (
                    f"refers to DICOM series {', '.join(f'`{u}`' for u in referenced)}, but the items are "
                    f"series {', '.join(f'`{u}`' for u in sorted(uids))}"
                )
            elif foreign:
                problem = (
                    f"draws on {len(foreign)} image{'s' if len(foreign) != 1 else ''} that "
                    f"{'are' if len(foreign) != 1 else 'is'} not among the items (first: SOPInstanceUID "
                    f"`{foreign[0]}`)"
                )
            else:
                continue
            yield Hit(
                f"`{file.written}` {problem}: it was made on another series, and the upload cannot "
                "place it on these images",
                file.pointer,
            )
