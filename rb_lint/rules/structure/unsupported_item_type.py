"""RB111 unsupported-item-type."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.structure import item_extension, series_census
from rb_lint.formats import walk
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS

# What `redbrick upload` accepts (a trailing .gz is stripped first; no extension is DICOM).
UPLOAD_EXTENSIONS = frozenset(
    {"png", "jpg", "jpeg", "bmp", "dcm", "mp4", "avi", "ima", "dicom", "json", "nii", "nrrd", "txt", "html"}
)
_NIFTI_ENDINGS = (".nii.gz", ".nii")  # extension `nii`, whatever comes before


@rule(
    "RB111",
    "unsupported-item-type",
    Severity.ERROR,
    "An item's file type cannot be uploaded.",
    kinds=TASK_KINDS,
)
def unsupported_item_type(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: An item's file type is not one the RedBrick CLI uploads: png, jpg, jpeg, bmp, dcm, dicom,
    ima, nii, nrrd, mp4, avi, json, txt and extension-less (DICOM) files, optionally gzipped.

    Why: Anything else (a `.mha`, a `.zip`) is rejected by `redbrick upload`.

    Failing:
        {"items": "scan.mha"}
    Fixed:
        {"items": "scan.nii.gz"}
    """
    for pointer, series in series_census(doc).odd_items:
        raw = series.get("items")
        for index, item in enumerate(walk.as_list(raw)):
            if not isinstance(item, str) or item.endswith(_NIFTI_ENDINGS):
                continue  # `.nii` is uploaded: most items of a large list need no more
            extension = item_extension(item)
            if extension and extension not in UPLOAD_EXTENSIONS:
                yield Hit(
                    f"`.{extension}` files cannot be uploaded: convert `{item}` to NIfTI, "
                    "DICOM, NRRD, an image or a video format",
                    walk.element_pointer(pointer, "items", raw, index),
                )
