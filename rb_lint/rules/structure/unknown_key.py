"""RB103 unknown-key."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.core.suggest import closest_name
from rb_lint.facts.structure import validation_errors
from rb_lint.formats.validation import VALIDATED_KINDS, SchemaError
from rb_lint.io.document import Document

# Keys that belong somewhere else: where.
MISPLACED_KEY_HINTS = {
    "items": '`items` belongs in a series: `"series": [{"items": ...}]`',
    "segmentations": "`segmentations` belongs in a series",
    "segmentMap": "`segmentMap` belongs in a series",
}
MODEL_WORDS = {
    "UploadTask": "a task",
    "ExportTask": "a task",
    "ConsensusTask": "a consensus task",
    "Series": "a series",
    "SegmentEntry": "a segmentMap entry",
    "ConsensusEntry": "a consensusTasks entry",
    "ObjectType": "an object type",
    "LabelClass": "a label class",
    "ImageTask": "a DataGym task",
    "LegacyImageTask": "a DataGym task",
    "VideoTask": "a DataGym video task",
    "GeometryObject": "a DataGym geometry",
    "Point": "a point",
    "Rectangle": "a rectangle",
}


@rule(
    "RB103",
    "unknown-key",
    Severity.WARNING,
    "A key the format does not define (often a typo).",
    kinds=VALIDATED_KINDS,
)
def unknown_key(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A key the format does not define. The message suggests the closest known key. (A
    `segmentMap` on a task is RB107's finding.)

    Fix: safe — renames the key to the suggested one (only the key's text changes), unless the
    object has that key already.

    Why: Usually a typo (`segmentmap`, `segmentation`), which the platform ignores, so the data it
    held is silently lost.

    Failing:
        {"items": "ct.nii.gz", "segmentations": "seg.nii.gz", "segmentmap": {"1": "Liver"}}
    Fixed:
        {"items": "ct.nii.gz", "segmentations": "seg.nii.gz", "segmentMap": {"1": "Liver"}}
    """
    reported: set[str] = set()
    for error in validation_errors(doc):
        if error.error_type != "extra_forbidden" or _task_level_segment_map(error):
            continue
        if error.pointer not in reported:
            from rb_lint.io.edits import RenameKey  # fix plans: with a finding (start-up)

            reported.add(error.pointer)
            suggestion = _suggestion(error)
            fix = RenameKey(error.pointer, suggestion) if suggestion else None
            yield Hit(_message(error, suggestion), error.pointer, at="key", fix=fix)


def _task_level_segment_map(error: SchemaError) -> bool:
    return error.name == "segmentMap" and error.model is not None and "series" in error.model.model_fields


def _suggestion(error: SchemaError) -> str | None:
    known = list(error.model.model_fields) if error.model is not None else []
    return closest_name(error.name, known, cutoff=0.75)


def _message(error: SchemaError, suggestion: str | None) -> str:
    name = error.name
    message = f"unknown key `{name}`{_where(error.model)}"
    if suggestion:
        return message + f": did you mean `{suggestion}`?"
    if name in MISPLACED_KEY_HINTS:
        return message + f": {MISPLACED_KEY_HINTS[name]}"
    return message + ": the platform ignores or rejects it; remove it or fix its spelling"


def _where(model: type[BaseModel] | None) -> str:
    if model is None:
        return ""
    return f" in {MODEL_WORDS.get(model.__name__, model.__name__)}"
