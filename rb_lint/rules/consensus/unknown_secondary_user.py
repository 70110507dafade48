"""RB503 unknown-secondary-user."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.consensus import UNKNOWN, UNNAMED, attributable, unscored_hint
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB503",
    "unknown-secondary-user",
    Severity.ERROR,
    "A score names no annotator of the task.",
    kinds=TASK_KINDS,
)
def unknown_secondary_user(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A score's secondary user (`secondaryUser`, `secondaryUserEmail` or `secondaryUserId`, all
    accepted) matches no `updatedBy` (or `updatedByUserId`) of the task's `consensusTasks`, or the
    score names nobody. Tasks with a repeated annotator (RB511) are not checked.

    Why: Such a score belongs to no pair of annotators, so agreement statistics cannot use it and the
    pair it was meant for looks unscored: typically an annotator was removed from the export but
    their scores were kept, or an email was mistyped.

    Failing:
        // annotators a@x.org and b@x.org
        {"updatedBy": "a@x.org", "scores": [{"secondaryUser": "b@x.com", "score": 84.0}]}
    Fixed:
        {"updatedBy": "a@x.org", "scores": [{"secondaryUser": "b@x.org", "score": 84.0}]}
    """
    for task in attributable(doc):
        for owner, scores in task.scores.items():
            for score in scores:
                if score.resolution == UNNAMED:
                    yield Hit(
                        "this score names no `secondaryUser` (or `secondaryUserEmail`): it "
                        "cannot be attributed to a pair of annotators; add the other "
                        f"annotator's email{unscored_hint(task, owner)}",
                        score.pointer,
                        key=f"unnamed:{task.name}:{score.pointer}",
                    )
                elif score.resolution == UNKNOWN:
                    others = ", ".join(f"`{a.name}`" for a in task.annotators if a.index != owner)
                    yield Hit(
                        f"`{score.user}` is not an annotator of this task (the others are "
                        f"{others or 'none'}){unscored_hint(task, owner)}",
                        score.user_pointer,
                        key=f"unknown:{task.name}:{score.pointer}",
                    )
