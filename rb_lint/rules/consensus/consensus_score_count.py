"""RB501 consensus-score-count."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.consensus import attributable
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB501",
    "consensus-score-count",
    Severity.ERROR,
    "Each annotator's `scores` must have one entry per other annotator (n − 1).",
    kinds=TASK_KINDS,
)
def consensus_score_count(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: With n annotators, each `consensusTasks` entry's `scores` compares it with every other
    annotator: n − 1 entries. Entries that another rule already explains (a self-score RB502, an
    unknown user RB503, a repeat RB504, a non-object RB102) are not counted twice: this rule reports
    only what removing them would not fix. Entries without `scores` (consensus not computed yet) are
    not checked, nor are tasks with a repeated annotator (RB511).

    Why: Fewer scores means a pair was never scored (or was deleted), which biases every inter-rater
    statistic built on the file; more means scores from another export were mixed in.

    Failing:
        // three annotators
        {"updatedBy": "a@x.org", "scores": [{"secondaryUser": "b@x.org", "score": 81.2}]}
    Fixed:
        {"updatedBy": "a@x.org", "scores": [{"secondaryUser": "b@x.org", "score": 81.2},
                                            {"secondaryUser": "c@x.org", "score": 77.9}]}
    """
    for task in attributable(doc):
        expected = len(task.annotators) - 1
        for owner, scores in task.scores.items():
            count = len(scores) + task.invalid[owner]
            flagged = task.invalid[owner] + sum(s.resolution is not None for s in scores)
            if count == expected or (count > expected and count - flagged <= expected):
                continue
            missing = task.missing_for(owner)
            names = ", ".join(f"`{n}`" for n in missing)
            hint = f"; no score for {names}" if missing and count < expected else ""
            entries = "entry" if count == 1 else "entries"
            pointer = join_pointer(task.pointer, "consensusTasks", owner, "scores")
            yield Hit(
                f"`scores` has {count} {entries}, {expected} expected: this task has "
                f"{len(task.annotators)} annotators and each entry scores every other "
                f"one{hint}",
                pointer,
                key=f"scores:{task.name}:{owner}",
            )
