"""RB504 duplicate-secondary-user."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.consensus import REPEAT, attributable, unscored_hint
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB504",
    "duplicate-secondary-user",
    Severity.ERROR,
    "An annotator is scored twice in one entry.",
    kinds=TASK_KINDS,
)
def duplicate_secondary_user(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: One entry's `scores` names the same other annotator twice. Tasks with a repeated annotator
    (RB511) are not checked.

    Why: Each pair has one score; a repeat double-counts it in any average (and often hides a pair
    that was never scored).

    Failing:
        "scores": [{"secondaryUser": "b@x.org", "score": 84.0},
                   {"secondaryUser": "b@x.org", "score": 84.0}]
    Fixed:
        "scores": [{"secondaryUser": "b@x.org", "score": 84.0},
                   {"secondaryUser": "c@x.org", "score": 79.5}]
    """
    for task in attributable(doc):
        for owner, scores in task.scores.items():
            for score in scores:
                if score.resolution == REPEAT:
                    yield Hit(
                        f"`{score.user}` is already scored at `scores/{score.first}` of this "
                        f"entry: each other annotator is scored once{unscored_hint(task, owner)}",
                        score.user_pointer,
                        key=f"repeat:{task.name}:{score.pointer}",
                    )
