"""RB620 unanswered-required-classification."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.datagym import export
from rb_lint.io.document import Document
from rb_lint.models.kinds import DATAGYM


@rule(
    "RB620",
    "unanswered-required-classification",
    Severity.ERROR,
    "A classification configured as required is unanswered (`[null]`).",
    kinds=(DATAGYM,),
)
def unanswered_required_classification(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A classification listed in `[tool.rb-lint.datagym] required-classes` is unanswered: its
    answers are all `null` (`[null]`). The export does not say which classes are required -
    neither does DataGym's label-configuration file - so list them in the configuration.

    Why: DataGym writes `[null]` for a select left unanswered or a checklist with nothing checked,
    even when the label configuration marks the classification as required (e.g. after a review
    that skipped it): the labels look complete but lack an answer training relies on.

    Failing:
        [tool.rb-lint.datagym] required-classes = ["car_type"]
        "classifications": {"car_type": [null]}
    Fixed:
        "classifications": {"car_type": ["sedan"]}
    """
    required = set(ctx.config.datagym.required_classes)
    if not required:
        return
    for tree in export(doc).trees:
        values = tree.values
        if tree.name not in required or not isinstance(values, list):
            continue
        answers = [v for v in values if not isinstance(v, dict)]
        if answers and all(v is None for v in answers):
            yield Hit(
                f"`{tree.name}` is a required classification but unanswered (`[null]`): "
                "answer it in DataGym and export again",
                tree.pointer,
            )
