"""RB508 asymmetric-pairwise-score."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.consensus import Score, attributable, fit, score_values
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB508",
    "asymmetric-pairwise-score",
    Severity.WARNING,
    "score(a, b) and score(b, a) differ.",
    kinds=TASK_KINDS,
)
def asymmetric_pairwise_score(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: a's score for b and b's score for a differ by more than `pairwise-tolerance` (default 1%
    of the scale). Reported once per pair, at the later entry's score. Values on the wrong scale or
    out of range (RB505–RB507) and tasks with a repeated annotator (RB511) are skipped.

    Why: Agreement between two annotators is symmetric: the platform computes one score per pair and
    writes it in both entries. Two different values mean one of them was edited or comes from
    another export, and statistics disagree depending on which entry they read.

    Failing:
        a: {"secondaryUser": "b@x.org", "score": 82.0}   b: {"secondaryUser": "a@x.org", "score": 64.5}
    Fixed:
        a: {"secondaryUser": "b@x.org", "score": 82.0}   b: {"secondaryUser": "a@x.org", "score": 82.0}
    """
    config = ctx.config.consensus
    tolerance = config.pairwise_tolerance if config.pairwise_tolerance is not None else config.scale / 100
    flagged = {v.pointer for v in score_values(doc) if fit(v.number, config.scale) in ("other", "none")}
    for task in attributable(doc):
        pairs: dict[tuple[int, int], Score] = {}
        for scores in task.scores.values():
            for score in scores:
                if (
                    score.target is not None
                    and score.value is not None
                    and join_pointer(score.pointer, "score") not in flagged
                ):
                    pairs[(score.owner, score.target)] = score
        names = {a.index: a.name for a in task.annotators}
        for (owner, target), score in sorted(pairs.items()):
            back = pairs.get((target, owner))
            if owner < target or back is None or back.value is None or score.value is None:
                continue
            if abs(score.value - back.value) > tolerance:
                yield Hit(
                    f"`{names[owner]}` scored `{names[target]}` {score.shown} but "
                    f"`{names[target]}` scored `{names[owner]}` {back.shown}: a pair has one "
                    f"agreement score (difference {abs(score.value - back.value):g} > tolerance "
                    f"{tolerance:g}); re-export the task or undo the edit",
                    join_pointer(score.pointer, "score"),
                    key=f"pair:{task.name}:{names[target]}:{names[owner]}",
                )
