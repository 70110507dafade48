"""RB104 invalid-value."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.structure import is_key_pattern, is_priority_bound, is_type_error, validation_errors
from rb_lint.formats.validation import VALIDATED_KINDS, SchemaError
from rb_lint.io.document import Document


@rule(
    "RB104",
    "invalid-value",
    Severity.ERROR,
    "A value is outside what the format allows.",
    kinds=VALIDATED_KINDS,
)
def invalid_value(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A value of the right type that the format still does not allow: an empty `items` list,
    an unknown enumeration value (`labelType: "MASK"`), `consensus: false` on a consensus task.
    (Missing and unknown keys, wrong types, instance ids and priorities have rules of their own.)

    Why: The platform checks these values as strictly as types: an upload with an empty `items`
    has no image to show, and a label type the platform does not know is rejected. In a tasks.json
    such a value means the file was edited after the export.

    Failing:
        {"name": "patient-001", "series": [{"items": []}]}
    Fixed:
        {"name": "patient-001", "series": [{"items": ["ct.nii.gz"]}]}
    """
    reported: set[str] = set()
    for error in validation_errors(doc):
        if _has_rule_of_its_own(error) or error.pointer in reported:
            continue
        reported.add(error.pointer)
        yield Hit(_message(error), error.pointer)


def _has_rule_of_its_own(error: SchemaError) -> bool:
    """RB101 missing keys, RB103 unknown keys, RB102/RB113/RB115 types, RB114 ids, RB112 priority."""
    return (
        error.error_type in ("missing", "extra_forbidden")
        or is_type_error(error)
        or is_key_pattern(error)
        or is_priority_bound(error)
    )


def _message(error: SchemaError) -> str:
    if error.error_type == "too_short":
        return f"`{error.name}` must not be empty"
    if error.error_type == "literal_error":
        return f"`{error.name}` is {_short(error.value)}: expected {error.context.get('expected', '')}"
    return f"`{error.name}`: {error.message}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
