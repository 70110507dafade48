"""RB800 unreadable-dicom."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.dicom import dicom_segmentations, dicom_series
from rb_lint.formats.dicom import NotDicom
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB800",
    "unreadable-dicom",
    Severity.ERROR,
    "A local DICOM item or segmentation is not a readable DICOM file.",
    kinds=TASK_KINDS,
)
def unreadable_dicom(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A local file the series names as a DICOM instance (an item ending in `.dcm`, `.dicom`,
    `.ima`, or with no extension) or as an RT-STRUCT / DICOM-SEG segmentation (`.dcm`) is not a
    DICOM file that can be read: a directory, an empty or a text file, a file cut short (its header
    or its pixel data needs more bytes than the file holds), a header over 16 MiB, or an image
    instance with no pixel data. Only the header is read (pydicom, stopping before the pixel data),
    so a header that claims gigabytes is reported, not read. Paths that do not exist locally
    (storage keys, URLs) are not checked.

    Why: The upload sends the file as it is; the platform cannot build the series from an
    instance that is no DICOM image, and the RT-STRUCT / DICOM-SEG conversion of the SDK stops at
    the first file pydicom cannot read, failing the whole task.

    Failing:
        "items": ["ct/001.dcm", "ct/002.dcm"]   (ct/002.dcm: an interrupted copy, 300 of 525,000 bytes)
    Fixed:
        "items": ["ct/001.dcm", "ct/002.dcm"]   (ct/002.dcm copied again in full)
    """
    items = [(f, True) for s in dicom_series(doc, ctx) for f in s.files]
    segmentations = [(f, False) for s in dicom_segmentations(doc, ctx) for f in s.files]
    for file, is_item in items + segmentations:
        if isinstance(file.read, NotDicom):
            reason = file.read.reason
        elif is_item and file.read.kind == "image" and not file.read.pixel_data:
            reason = "has no pixel data: the file is cut short before its image, or holds none"
        else:
            continue
        effect = "the series cannot be built from it" if is_item else "the SDK's conversion fails on it"
        yield Hit(f"`{file.written}` {reason}: {effect}", file.pointer)
