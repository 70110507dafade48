"""RB509 consensus-score-single-annotator."""

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
    "RB509",
    "consensus-score-single-annotator",
    Severity.WARNING,
    "`consensusScore` on a task with a single annotator.",
    kinds=TASK_KINDS,
)
def consensus_score_single_annotator(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A consensus task with a single `consensusTasks` entry has a `consensusScore`.

    Why: The SDK writes `consensusScore` only when more than one annotator labeled the task. With a
    single entry there is no pair to agree, so the value is stale or invented and would count as
    perfect (or zero) agreement in statistics.

    Failing:
        {"consensus": true, "consensusScore": 100.0, "consensusTasks": [{"updatedBy": "a@x.org", ...}]}
    Fixed:
        {"consensus": true, "consensusTasks": [{"updatedBy": "a@x.org", ...}]}
    """
    for task in consensus_tasks(doc):
        if len(task.annotators) == 1 and "consensusScore" in task.task:
            yield Hit(
                f"`consensusScore` with a single annotator (`{task.annotators[0].name}`): "
                "agreement needs at least two; remove it or add the other annotators' "
                "entries",
                join_pointer(task.pointer, "consensusScore"),
                at="key",
                key=f"single:{task.name}",
            )
