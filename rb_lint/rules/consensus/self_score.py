"""RB502 self-score."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.consensus import SELF, attributable, unscored_hint
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule("RB502", "self-score", Severity.ERROR, "An annotator is scored against itself.", kinds=TASK_KINDS)
def self_score(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A score whose secondary user (`secondaryUser` or `secondaryUserEmail`) is the entry's own
    `updatedBy`. Tasks with a repeated annotator (RB511) are not checked.

    Why: A score compares two different annotators; a self-score is always 100 and inflates the
    task's agreement (and usually stands where the score of a real pair should be).

    Failing:
        {"updatedBy": "a@x.org", "scores": [{"secondaryUser": "a@x.org", "score": 100.0}]}
    Fixed:
        {"updatedBy": "a@x.org", "scores": [{"secondaryUser": "b@x.org", "score": 84.0}]}
    """
    for task in attributable(doc):
        for owner, scores in task.scores.items():
            for score in scores:
                if score.resolution == SELF:
                    yield Hit(
                        f"`{score.user}` is scored against itself: each score compares this "
                        f"entry's annotator with another one{unscored_hint(task, owner)}",
                        score.user_pointer,
                        key=f"self:{task.name}:{score.pointer}",
                    )
