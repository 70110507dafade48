"""RB811 wrong-dicom-kind."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.dicom import dicom_segmentations, dicom_series
from rb_lint.formats.dicom import DicomHeader
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB811",
    "wrong-dicom-kind",
    Severity.ERROR,
    "A DICOM item is no image, or a `.dcm` segmentation is neither an RT-STRUCT nor a DICOM-SEG.",
    kinds=TASK_KINDS,
)
def wrong_dicom_kind(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A local DICOM item of a series is an RT Structure Set, a Segmentation or another object
    without an image (no Rows and Columns: a structured report, a presentation state); or a local
    `.dcm` segmentation is not an RT Structure Set (SOP Class 1.2.840.10008.5.1.4.1.1.481.3 or
    Modality RTSTRUCT) nor a Segmentation (1.2.840.10008.5.1.4.1.1.66.4 or Modality SEG), for
    instance one of the series' images.

    Why: The items are stacked into the image volume, so a structure set among them breaks the
    series; the SDK reads `.dcm` segmentations only as RT-STRUCT (with `--rt-struct`) or DICOM-SEG
    (with `--dicom-seg`) and fails on anything else.

    Failing:
        "items": ["ct/001.dcm", "ct/002.dcm", "ct/rtstruct.dcm"]
    Fixed:
        "items": ["ct/001.dcm", "ct/002.dcm"], "segmentations": "ct/rtstruct.dcm"
    """
    for series in dicom_series(doc, ctx):
        for file, header in series.headers:
            if header.kind in ("rtstruct", "seg"):
                yield Hit(
                    f"`{file.written}` is {_what(header)}, not an image: it belongs in `segmentations` "
                    "(with a segmentMap keyed by its ROI names or segment numbers)",
                    file.pointer,
                )
            elif header.kind == "other":
                yield Hit(
                    f"`{file.written}` is {_what(header)} without an image (no Rows and Columns): "
                    "the platform cannot show it as a slice of the series",
                    file.pointer,
                )
    for upload in dicom_segmentations(doc, ctx):
        for file in upload.files:
            found = file.header
            if found is not None and found.kind not in ("rtstruct", "seg"):
                yield Hit(
                    f"`{file.written}` is {_what(found)}, neither an RT Structure Set nor a DICOM "
                    "Segmentation: the SDK cannot convert it into a mask",
                    file.pointer,
                )


def _what(header: DicomHeader) -> str:
    if header.kind == "rtstruct":
        return "an RT Structure Set"
    if header.kind == "seg":
        return "a DICOM Segmentation"
    if header.modality:
        return f"a DICOM {header.modality} object"
    return f"a DICOM object of SOP class `{header.sop_class_uid or 'unknown'}`"
