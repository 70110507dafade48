"""RB511 duplicate-annotator."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.consensus import consensus_tasks
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB511",
    "duplicate-annotator",
    Severity.ERROR,
    "An annotator appears twice in `consensusTasks`.",
    kinds=TASK_KINDS,
)
def duplicate_annotator(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: Two `consensusTasks` entries of one task have the same `updatedBy`. The score rules
    (RB501–RB504, RB508) skip such a task until this is fixed.

    Why: The export writes one entry per annotator: a repeat (often two exports merged by hand)
    counts one person twice in agreement statistics and makes their scores ambiguous (a score naming
    them cannot say which entry it compares).

    Failing:
        "consensusTasks": [{"updatedBy": "a@x.org", ...}, {"updatedBy": "a@x.org", ...}]
    Fixed:
        "consensusTasks": [{"updatedBy": "a@x.org", ...}, {"updatedBy": "b@x.org", ...}]
    """
    for task in consensus_tasks(doc):
        first: dict[str, int] = {}
        for annotator in task.annotators:
            by = annotator.entry.get("updatedBy")
            if not isinstance(by, str):
                continue
            if by in first:
                yield Hit(
                    f"annotator `{by}` already has entry {first[by]} of `consensusTasks`: "
                    "each annotator has exactly one entry; merge or remove the repeat",
                    join_pointer(annotator.pointer, "updatedBy"),
                    key=f"annotator:{task.name}:{by}:{annotator.index}",
                )
            else:
                first[by] = annotator.index
