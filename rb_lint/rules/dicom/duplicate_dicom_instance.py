"""RB804 duplicate-dicom-instance."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.dicom import DicomFile, dicom_series
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB804",
    "duplicate-dicom-instance",
    Severity.ERROR,
    "A DICOM instance (SOPInstanceUID) appears twice in a series.",
    kinds=TASK_KINDS,
)
def duplicate_dicom_instance(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: Two local items of one series are the same DICOM instance: they have the same
    SOPInstanceUID (0008,0018), whether the same file is listed twice or a copy under another name.
    Reported at the second item.

    Why: The platform builds the volume from the instances: a repeated instance is either dropped
    (the series then has fewer slices than items, and every frame or slice index after it is off by
    one) or stacked twice, a slice with no spacing that distorts the volume.

    Failing:
        "items": ["ct/001.dcm", "ct/002.dcm", "ct/copy-of-002.dcm"]
    Fixed:
        "items": ["ct/001.dcm", "ct/002.dcm"]
    """
    for series in dicom_series(doc, ctx):
        seen: dict[str, DicomFile] = {}
        for file, header in series.headers:
            uid = header.sop_instance_uid
            if uid is None:
                continue
            if uid not in seen:
                seen[uid] = file
                continue
            first = seen[uid]
            what = "lists the same file as" if first.path == file.path else "is the same instance as"
            yield Hit(
                f"`{file.written}` {what} `{first.written}` (SOPInstanceUID `{uid}`): the instance is "
                "in the series twice; remove one",
                file.pointer,
            )
