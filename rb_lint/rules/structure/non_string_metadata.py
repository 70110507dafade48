"""RB113 non-string-metadata."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.structure import a_type, in_metadata, is_type_error, validation_errors
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule("RB113", "non-string-metadata", Severity.ERROR, "`metaData` values must be strings.", kinds=TASK_KINDS)
def non_string_metadata(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A `metaData` value is a number, a boolean, null, an array or an object.

    Why: `metaData` maps strings to strings: the platform rejects numbers, booleans and nested
    objects, so the task does not upload until the value is written as a string.

    Failing:
        "metaData": {"age": 54}
    Fixed:
        "metaData": {"age": "54"}
    """
    reported: set[str] = set()
    for error in validation_errors(doc):
        if not (in_metadata(error) and is_type_error(error)) or error.error_type == "category_type":
            continue
        if error.pointer not in reported:
            reported.add(error.pointer)
            yield Hit(
                f"metaData value `{error.name}` is {a_type(error.value)}: metaData maps strings "
                f'to strings; write it as "{_as_string(error.value)}"',
                error.pointer,
            )


def _as_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)[:40]
