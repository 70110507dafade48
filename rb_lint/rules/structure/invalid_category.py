"""RB115 invalid-category."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.structure import a_type, validation_errors
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB115",
    "invalid-category",
    Severity.ERROR,
    "A category must be a name, a classId or a nested path.",
    kinds=TASK_KINDS,
)
def invalid_category(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A category that is not a taxonomy name (`"Liver"`), a classId (`3`) or a nested path
    (`["Abdomen", "Liver"]`); a segmentMap value may also be an object with `category`. Booleans,
    numbers with a fraction, null and other objects are not categories.

    Why: The platform finds a label's category in the taxonomy by name, classId or path; any other
    value finds none, so the label cannot be imported.

    Failing:
        "segmentMap": {"1": true, "2": 2.5}
    Fixed:
        "segmentMap": {"1": "Liver", "2": {"category": ["Abdomen", "Spleen"]}}
    """
    reported: set[str] = set()
    for error in validation_errors(doc):
        if error.error_type == "category_type" and error.pointer not in reported:
            reported.add(error.pointer)
            yield Hit(f"`{error.name}` is {a_type(error.value)}: {error.message}", error.pointer)
