"""RB510 missing-consensus-score."""

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
    "RB510",
    "missing-consensus-score",
    Severity.WARNING,
    "A scored consensus task has no `consensusScore`.",
    kinds=TASK_KINDS,
)
def missing_consensus_score(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: The task has two or more annotators whose entries carry `scores` (consensus was computed),
    but no `consensusScore`. (Entries without `scores`, as exported before consensus is computed,
    are fine.)

    Why: The SDK writes both together, so the overall score was dropped: tools that rank tasks by
    agreement will skip or mis-rank it.

    Failing:
        {"consensus": true, "consensusTasks": [{"updatedBy": "a@x.org", "scores": [...]}, ...]}
    Fixed:
        {"consensus": true, "consensusScore": 84.3, "consensusTasks": [...]}
    """
    for task in consensus_tasks(doc):
        if len(task.annotators) >= 2 and task.scores and "consensusScore" not in task.task:
            yield Hit(
                f"{len(task.annotators)} annotators with `scores` but no `consensusScore`: "
                "the export writes the overall agreement with the pairwise scores; "
                "re-export the task or add `consensusScore`",
                join_pointer(task.pointer, "consensusTasks"),
                at="key",
                key=f"no-overall:{task.name}",
            )
