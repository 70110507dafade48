"""RB101 missing-required-key."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.structure import validation_errors
from rb_lint.formats.validation import VALIDATED_KINDS
from rb_lint.io.document import Document

HINTS = {
    "name": "every task needs a `name`, unique in the project",
    "series": 'add `"series": [{"items": "path/to/image"}]`',
    "items": 'add the image file(s) as `"items": "path/to/image"`',
    "category": "add the taxonomy category",
}


@rule("RB101", "missing-required-key", Severity.ERROR, "A required key is missing.", kinds=VALIDATED_KINDS)
def missing_required_key(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A key the format requires is absent: a task's `name` or `series`, a series' `items`, a
    label's `category`, a taxonomy object type's `classId`, ... The finding points at the object
    that lacks the key (one finding per object: its first missing key).

    Why: The platform rejects the whole upload batch for one such task, with a message that does
    not say which task.

    Failing:
        [{"name": "patient-001"}]
    Fixed:
        [{"name": "patient-001", "series": [{"items": "ct.nii.gz"}]}]
    """
    reported: set[str] = set()
    for error in validation_errors(doc):
        if error.error_type != "missing":
            continue
        parent = error.pointer.rsplit("/", 1)[0]
        if parent not in reported:
            reported.add(parent)
            hint = HINTS.get(error.name, f"add `{error.name}`")
            yield Hit(f"missing required key `{error.name}`: {hint}", parent)
