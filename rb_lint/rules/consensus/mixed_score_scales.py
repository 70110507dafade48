"""RB506 mixed-score-scales."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.consensus import Value, fit, score_values
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB506",
    "mixed-score-scales",
    Severity.ERROR,
    "Consensus scores on 0–1 and on 0–100 in one file.",
    kinds=TASK_KINDS,
)
def mixed_score_scales(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: The file holds scores on both scales: 0–1 values such as 0.87 beside 0–100 values such as
    91.0. The configured `scale` (default 100, the platform's) says which values are wrong; one
    finding per task, at its first wrong value, naming how many there are. (A file whose scores are
    all on the other scale is RB505's.)

    Why: Typically one task was converted by a script or merged from another tool; averages,
    thresholds and rankings over such a file are meaningless, since 0.87 and 87.0 mean the same
    agreement.

    Failing:
        "consensusScore": 0.87, "scores": [{"secondaryUser": "b@x.org", "score": 91.0}]
    Fixed:
        "consensusScore": 87.0, "scores": [{"secondaryUser": "b@x.org", "score": 91.0}]
    """
    scale = ctx.config.consensus.scale
    values = score_values(doc)
    other = [value for value in values if fit(value.number, scale) == "other"]
    configured = [value for value in values if fit(value.number, scale) == "configured"]
    if not other or not configured:
        return  # one scale only (RB505 reports a whole file on the other one)
    by_task: dict[str, list[Value]] = {}
    for value in other:
        by_task.setdefault(value.task, []).append(value)
    label = "0–100" if scale == 100 else "0–1"
    other_label = "0–1" if scale == 100 else "0–100"
    for task, wrong in by_task.items():
        first = wrong[0]
        more = f" (and {len(wrong) - 1} more in this task)" if len(wrong) > 1 else ""
        what = "it" if len(wrong) == 1 else "them"
        fix = f"multiply {what} by 100" if scale == 100 else f"divide {what} by 100"
        yield Hit(
            f"{first.shown} is a {other_label} value{more} in a file on the {label} scale "
            f"(e.g. {configured[0].shown}): consensus scores must be on one scale, the platform's is "
            f"0–100; {fix}",
            first.pointer,
            key=f"mixed-scale:{task}",
        )
