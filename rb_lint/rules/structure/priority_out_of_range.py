"""RB112 priority-out-of-range."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.structure import is_priority_bound, validation_errors
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule("RB112", "priority-out-of-range", Severity.ERROR, "`priority` must be in [0, 1].", kinds=TASK_KINDS)
def priority_out_of_range(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A task's `priority` is below 0 or above 1.

    Why: `priority` orders tasks for assignment and must be a number between 0 and 1; the
    platform rejects other values (a 1-5 or 0-100 scale from another tool must be rescaled).

    Failing:
        {"name": "p1", "priority": 5, "series": [...]}
    Fixed:
        {"name": "p1", "priority": 0.5, "series": [...]}
    """
    reported: set[str] = set()
    for error in validation_errors(doc):
        if is_priority_bound(error) and error.pointer not in reported:
            reported.add(error.pointer)
            yield Hit(
                f"priority {error.value} is outside [0, 1]: the platform orders tasks by a "
                "priority between 0 and 1",
                error.pointer,
            )
