"""RB114 invalid-instance-id."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.structure import is_key_pattern, validation_errors
from rb_lint.formats import walk
from rb_lint.formats.dicom import dicom_segmentations_only
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB114",
    "invalid-instance-id",
    Severity.ERROR,
    "segmentMap keys must be integer strings from 1 to 65535.",
    kinds=TASK_KINDS,
)
def invalid_instance_id(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A segmentMap key is not an instance id: "1" to "65535" written as a string. Names, "0",
    negative or fractional numbers and leading zeros are not instance ids. Series whose
    `segmentations` are all `.dcm` files (RT-STRUCT or DICOM-SEG uploads, keyed by ROI name or
    segment number) are not checked here: RB808 checks their keys against the files.

    Why: segmentMap keys are the voxel values of the mask, written as strings: 0 is background and
    masks are stored as uint16. A key that is no such value labels no voxel, so its category never
    reaches the platform.

    Failing:
        "segmentMap": {"liver": "Liver", "0": "Background"}
    Fixed:
        "segmentMap": {"1": "Liver"}
    """
    reported: set[str] = set()
    dicom_maps: tuple[str, ...] | None = None  # segmentMap pointers of RT-STRUCT / DICOM-SEG series
    for error in validation_errors(doc):
        if is_key_pattern(error) and error.pointer not in reported:
            if dicom_maps is None:
                dicom_maps = tuple(
                    f"{p}/segmentMap/" for p, s in walk.all_series(doc) if dicom_segmentations_only(s)
                )
            if error.pointer.startswith(dicom_maps):
                continue
            reported.add(error.pointer)
            yield Hit(
                f"segmentMap key `{error.name}` is not an instance id: keys are the mask values as "
                'integer strings from "1" to "65535" (0 is background)',
                error.pointer,
                at="key",
            )
