"""RB507 score-out-of-range."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.consensus import fit, score_values
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB507",
    "score-out-of-range",
    Severity.ERROR,
    "A consensus score is outside the scale (below 0 or above 100).",
    kinds=TASK_KINDS,
)
def score_out_of_range(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A `score` or `consensusScore` below 0 or above 100. Values between 1 and 100 with
    `scale = 1` are reported as a scale problem (RB505/RB506) instead.

    Why: Agreement is a percentage (0–100 as the platform writes it; 0–1 with `scale = 1`): a value
    outside it was typed or computed wrongly, and it drags any average or ranking of the tasks'
    agreement away from every real value.

    Failing:
        "scores": [{"secondaryUser": "b@x.org", "score": 8700}]
    Fixed:
        "scores": [{"secondaryUser": "b@x.org", "score": 87.0}]
    """
    scale = ctx.config.consensus.scale
    label = "0–100" if scale == 100 else "0–1"
    for value in score_values(doc):
        if fit(value.number, scale) == "none":
            yield Hit(
                f"{value.shown} is outside the {label} scale of consensus scores: agreement "
                f"is between 0 and {scale}",
                value.pointer,
                key=f"range:{value.pointer}",
            )
