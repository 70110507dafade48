"""RB102 wrong-type."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.structure import a_type, in_metadata, is_type_error, validation_errors
from rb_lint.formats.validation import VALIDATED_KINDS, SchemaError
from rb_lint.io.document import Document

EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "a boolean (true or false)",
    "list_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "tuple_type": "an array",
    "model_attributes_type": "an object",
}


@rule("RB102", "wrong-type", Severity.ERROR, "A value has the wrong JSON type.", kinds=VALIDATED_KINDS)
def wrong_type(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A value has the wrong JSON type: a number where a string is expected, a string where a
    list is, `"true"` for `true`. (Categories and `metaData` values have rules of their own: RB115
    and RB113.)

    Why: rb-lint does not coerce, because the platform does not either: the string `"true"` is not
    the flag `true`, and a task whose `name` is a number is not a task the upload accepts.

    Failing:
        {"name": 7, "series": [{"items": "ct.nii.gz", "binaryMask": "true"}]}
    Fixed:
        {"name": "7", "series": [{"items": "ct.nii.gz", "binaryMask": true}]}
    """
    reported: set[str] = set()
    for error in validation_errors(doc):
        if not is_type_error(error) or error.error_type == "category_type" or in_metadata(error):
            continue
        if error.pointer not in reported:
            reported.add(error.pointer)
            yield Hit(_message(error), error.pointer)


def _message(error: SchemaError) -> str:
    expected = EXPECTED.get(error.error_type)
    if expected is None:
        return f"`{error.name}` is {a_type(error.value)}: {error.message}"
    return f"`{error.name}` must be {expected}, not {a_type(error.value)}"
