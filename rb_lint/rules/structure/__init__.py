"""RB1xx: items lists and tasks.json conform to the RedBrick format."""

from __future__ import annotations

import re
from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.formats import walk
from rb_lint.formats.validation import (
    CATEGORY,
    INSTANCE_ID,
    INVALID_VALUE,
    METADATA,
    MISSING,
    PRIORITY,
    SERIES_FLAGS,
    UNKNOWN_KEY,
    WRONG_TYPE,
    schema_issues,
)
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.common import json_type
from rb_lint.models.kinds import DATAGYM, ITEMS_LIST, TASK_KINDS, TASKS_EXPORT, TAXONOMY

ERROR, WARNING = Severity.ERROR, Severity.WARNING
VALIDATED_KINDS = (ITEMS_LIST, TASKS_EXPORT, TAXONOMY, DATAGYM)

# What `redbrick upload` accepts (a trailing .gz is stripped first; no extension is DICOM).
UPLOAD_EXTENSIONS = frozenset(
    {"png", "jpg", "jpeg", "bmp", "dcm", "mp4", "avi", "ima", "dicom", "json", "nii", "nrrd", "txt"}
)
SINGLE_FILE_EXTENSIONS = frozenset({"nii", "nrrd", "mp4", "avi"})
_URL_SUFFIX = re.compile(r"[?#].*$")


def _issues_of(doc: Document, kind: str) -> Iterator[Hit]:
    for issue in schema_issues(doc):
        if issue.kind == kind:
            yield Hit(issue.message, issue.pointer, at=issue.at)


@rule("RB100", "not-a-task-list", ERROR, "An items list must be a JSON array of task objects.",
      kinds=TASK_KINDS)
def not_a_task_list(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    The file must be a JSON array whose elements are task objects.

    Why: the RedBrick SDK silently skips a file that is not a list of objects, so a single task
    written as a bare object, or a list of strings, uploads nothing and says nothing.

    Failing:
        {"name": "patient-001", "series": [{"items": "ct.nii.gz"}]}
    Fixed:
        [{"name": "patient-001", "series": [{"items": "ct.nii.gz"}]}]
    """
    if isinstance(doc.data, dict):
        yield Hit("the file holds one task object, but an items list is an array of tasks (the "
                  "CLI skips this file silently): wrap it in `[ ... ]`")
        return
    if not isinstance(doc.data, list):
        return
    for index, element in enumerate(doc.data):
        if not isinstance(element, dict):
            yield Hit(f"element {index} is {_a(json_type(element))}, not a task object "
                      "`{\"name\": ..., \"series\": [...]}`", join_pointer("", index))


def _a(type_name: str | None) -> str:
    name = type_name or "value"
    return ("an " if name[0] in "aeiou" else "a ") + name


@rule("RB101", "missing-required-key", ERROR, "A required key is missing.", kinds=VALIDATED_KINDS)
def missing_required_key(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A key the format requires is absent: a task's `name` or `series`, a series' `items`, a
    label's `category`, a taxonomy object type's `classId`, ...

    Why: the platform rejects the whole upload batch for one such task, with a message that does
    not say which task. The finding points at the object that lacks the key.

    Failing:
        [{"name": "patient-001"}]
    Fixed:
        [{"name": "patient-001", "series": [{"items": "ct.nii.gz"}]}]
    """
    yield from _issues_of(doc, MISSING)


@rule("RB102", "wrong-type", ERROR, "A value has the wrong JSON type.", kinds=VALIDATED_KINDS)
def wrong_type(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A value has the wrong JSON type: a number where a string is expected, a string where a list
    is, `"true"` for `true`. rb-lint does not coerce, because the platform does not either.

    Failing:
        {"name": 7, "series": [{"items": "ct.nii.gz", "binaryMask": "true"}]}
    Fixed:
        {"name": "7", "series": [{"items": "ct.nii.gz", "binaryMask": true}]}
    """
    yield from _issues_of(doc, WRONG_TYPE)


@rule("RB103", "unknown-key", WARNING, "A key the format does not define (often a typo).",
      kinds=VALIDATED_KINDS)
def unknown_key(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A key the format does not define. Usually a typo (`segmentmap`, `segmentation`), which the
    platform ignores, so the data it held is silently lost. The message suggests the closest
    known key.

    Failing:
        {"items": "ct.nii.gz", "segmentations": "seg.nii.gz", "segmentmap": {"1": "Liver"}}
    Fixed:
        {"items": "ct.nii.gz", "segmentations": "seg.nii.gz", "segmentMap": {"1": "Liver"}}
    """
    yield from _issues_of(doc, UNKNOWN_KEY)


@rule("RB104", "invalid-value", ERROR, "A value is outside what the format allows.",
      kinds=VALIDATED_KINDS)
def invalid_value(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A value of the right type that the format still does not allow: an empty `items` list, an
    unknown enumeration value (`labelType: "MASK"`), `consensus: false` on a consensus task.

    Failing:
        {"name": "patient-001", "series": [{"items": []}]}
    Fixed:
        {"name": "patient-001", "series": [{"items": ["ct.nii.gz"]}]}
    """
    yield from _issues_of(doc, INVALID_VALUE)


@rule("RB105", "segmentations-without-segmentmap", ERROR,
      "A series has `segmentations` but no `segmentMap`.", kinds=TASK_KINDS)
def segmentations_without_segmentmap(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A series names segmentation files but has no `segmentMap`, so no mask value maps to a
    taxonomy category: every annotation uploads as an uneditable, view-only label. The historical
    RedBrick JSON Schema requires the two together.

    Failing:
        {"items": "ct.nii.gz", "segmentations": "seg.nii.gz"}
    Fixed:
        {"items": "ct.nii.gz", "segmentations": "seg.nii.gz", "segmentMap": {"1": "Liver"}}
    """
    for pointer, series in walk.all_series(doc):
        if walk.as_list(series.get("segmentations")) and "segmentMap" not in series:
            yield Hit("`segmentations` without `segmentMap`: the mask values map to no category "
                      "and upload as view-only labels; add `\"segmentMap\": {\"1\": \"...\"}`",
                      join_pointer(pointer, "segmentations"), at="key")


@rule("RB106", "segmentmap-without-segmentations", ERROR,
      "A series has a `segmentMap` but no `segmentations`.", kinds=TASK_KINDS)
def segmentmap_without_segmentations(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A series maps mask values to categories but names no mask file, so nothing is imported. The
    historical RedBrick JSON Schema requires the two together.

    Failing:
        {"items": "ct.nii.gz", "segmentMap": {"1": "Liver"}}
    Fixed:
        {"items": "ct.nii.gz", "segmentations": "seg.nii.gz", "segmentMap": {"1": "Liver"}}
    """
    for pointer, series in walk.all_series(doc):
        if walk.segment_map(series) and not walk.as_list(series.get("segmentations")):
            yield Hit("`segmentMap` without `segmentations`: no mask file is named, so nothing "
                      "is imported; add `\"segmentations\": \"path/to/mask.nii.gz\"`",
                      join_pointer(pointer, "segmentMap"), at="key")


@rule("RB107", "task-level-segmentmap", WARNING, "`segmentMap` belongs on a series, not a task.",
      kinds=TASK_KINDS)
def task_level_segmentmap(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A `segmentMap` on the task instead of on a series (as in one RedBrick notebook). The
    historical JSON Schema rejects it and the mapping does not reach the series' masks.

    Failing:
        {"name": "p1", "segmentMap": {"1": "Liver"}, "series": [{"items": "ct.nii.gz",
         "segmentations": "seg.nii.gz"}]}
    Fixed:
        {"name": "p1", "series": [{"items": "ct.nii.gz", "segmentations": "seg.nii.gz",
         "segmentMap": {"1": "Liver"}}]}
    """
    for pointer, task in walk.tasks(doc):
        if "segmentMap" in task:
            yield Hit("`segmentMap` on the task: it belongs on the series that holds the "
                      "`segmentations`; move it there", join_pointer(pointer, "segmentMap"),
                      at="key")


@rule("RB108", "mask-flag-in-segmentmap", ERROR,
      "`binaryMask`/`semanticMask`/`pngMask` inside `segmentMap`.", kinds=TASK_KINDS)
def mask_flag_in_segmentmap(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    `binaryMask`, `semanticMask` and `pngMask` are boolean flags of the series. Inside
    `segmentMap` (as in one RedBrick docs example) they are read as an instance id and a category,
    and the masks are not treated as binary.

    Failing:
        "segmentMap": {"1": {"category": "Liver", "mask": "liver.nii.gz"}, "binaryMask": true}
    Fixed:
        "segmentMap": {"1": {"category": "Liver", "mask": "liver.nii.gz"}}, "binaryMask": true
    """
    for pointer, series in walk.all_series(doc):
        for flag in SERIES_FLAGS:
            if flag in walk.segment_map(series):
                yield Hit(f"`{flag}` is a series flag, not a segmentMap entry: move "
                          f"`\"{flag}\": true` out of `segmentMap`, next to it",
                          join_pointer(pointer, "segmentMap", flag), at="key")


@rule("RB109", "pngmask-without-binarymask", ERROR, "`pngMask` requires `binaryMask`.",
      kinds=TASK_KINDS)
def pngmask_without_binarymask(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    PNG masks are binary by construction; the platform only reads them with `binaryMask: true`.

    Failing:
        {"items": "x.png", "segmentations": ["a.png"], "pngMask": true, "segmentMap": ...}
    Fixed:
        {"items": "x.png", "segmentations": ["a.png"], "pngMask": true, "binaryMask": true, ...}
    """
    for pointer, series in walk.all_series(doc):
        if series.get("pngMask") is True and series.get("binaryMask") is not True:
            yield Hit("`pngMask: true` needs `binaryMask: true`: PNG masks are read as binary "
                      "masks only", join_pointer(pointer, "pngMask"), at="key")


def _extension(path: str) -> str:
    name = _URL_SUFFIX.sub("", path).rstrip("/").rsplit("/", 1)[-1].lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if "." not in name:
        return ""
    extension = name.rsplit(".", 1)[1]
    return "" if extension.isdigit() else extension  # DICOM files named by UID: 1.2.840.1234


@rule("RB110", "multi-file-volume-items", ERROR,
      "NIfTI, NRRD and video items must be a single file.", kinds=TASK_KINDS)
def multi_file_volume_items(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A NIfTI, NRRD or video series is one file. Listing several in one series' `items` is
    rejected by the platform (only DICOM and image series are built from several files).

    Failing:
        {"items": ["t1.nii.gz", "t2.nii.gz"]}
    Fixed:
        [{"name": "t1", "items": "t1.nii.gz"}, {"name": "t2", "items": "t2.nii.gz"}]  (two series)
    """
    for pointer, series in walk.all_series(doc):
        items = series.get("items")
        if not isinstance(items, list) or len(items) < 2:
            continue
        for index, item in enumerate(items):
            if isinstance(item, str) and _extension(item) in SINGLE_FILE_EXTENSIONS:
                yield Hit(f"`{item}` is a single-file volume, but this series lists {len(items)} "
                          "items: put each NIfTI/NRRD/video file in a series of its own",
                          join_pointer(pointer, "items", index))
                break


@rule("RB111", "unsupported-item-type", ERROR, "An item's file type cannot be uploaded.",
      kinds=TASK_KINDS)
def unsupported_item_type(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    The RedBrick CLI uploads png, jpg, jpeg, bmp, dcm, dicom, ima, nii, nrrd, mp4, avi, json, txt
    and extension-less (DICOM) files, optionally gzipped. Anything else (a `.mha`, a `.zip`) is
    rejected.

    Failing:
        {"items": "scan.mha"}
    Fixed:
        {"items": "scan.nii.gz"}
    """
    for pointer, series in walk.all_series(doc):
        raw = series.get("items")
        for index, item in enumerate(walk.as_list(raw)):
            if not isinstance(item, str):
                continue
            extension = _extension(item)
            if extension and extension not in UPLOAD_EXTENSIONS:
                yield Hit(f"`.{extension}` files cannot be uploaded: convert `{item}` to NIfTI, "
                          "DICOM, NRRD, an image or a video format",
                          walk.element_pointer(pointer, "items", raw, index))


@rule("RB112", "priority-out-of-range", ERROR, "`priority` must be in [0, 1].", kinds=TASK_KINDS)
def priority_out_of_range(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    `priority` orders tasks for assignment and must be a number between 0 and 1.

    Failing:
        {"name": "p1", "priority": 5, "series": [...]}
    Fixed:
        {"name": "p1", "priority": 0.5, "series": [...]}
    """
    yield from _issues_of(doc, PRIORITY)


@rule("RB113", "non-string-metadata", ERROR, "`metaData` values must be strings.",
      kinds=TASK_KINDS)
def non_string_metadata(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    `metaData` maps strings to strings. Numbers, booleans and nested objects are rejected.

    Failing:
        "metaData": {"age": 54}
    Fixed:
        "metaData": {"age": "54"}
    """
    yield from _issues_of(doc, METADATA)


@rule("RB114", "invalid-instance-id", ERROR,
      "segmentMap keys must be integer strings from 1 to 65535.", kinds=TASK_KINDS)
def invalid_instance_id(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    segmentMap keys are the voxel values of the mask, written as strings: "1" to "65535" (0 is
    background, and masks are stored as uint16). Names, "0", negative or fractional numbers and
    leading zeros are not instance ids. (RT-STRUCT uploads key by ROI name: ignore this rule for
    those files with `per-file-ignores`.)

    Failing:
        "segmentMap": {"liver": "Liver", "0": "Background"}
    Fixed:
        "segmentMap": {"1": "Liver"}
    """
    yield from _issues_of(doc, INSTANCE_ID)


@rule("RB115", "invalid-category", ERROR,
      "A category must be a name, a classId or a nested path.", kinds=TASK_KINDS)
def invalid_category(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A category is a taxonomy name (`"Liver"`), a classId (`3`) or a nested path
    (`["Abdomen", "Liver"]`); a segmentMap value may also be an object with `category`.
    Booleans, numbers with a fraction, null and other objects are not categories.

    Failing:
        "segmentMap": {"1": true, "2": 2.5}
    Fixed:
        "segmentMap": {"1": "Liver", "2": {"category": ["Abdomen", "Spleen"]}}
    """
    yield from _issues_of(doc, CATEGORY)


RULES = [
    not_a_task_list, missing_required_key, wrong_type, unknown_key, invalid_value,
    segmentations_without_segmentmap, segmentmap_without_segmentations, task_level_segmentmap,
    mask_flag_in_segmentmap, pngmask_without_binarymask, multi_file_volume_items,
    unsupported_item_type, priority_out_of_range, non_string_metadata, invalid_instance_id,
    invalid_category,
]
