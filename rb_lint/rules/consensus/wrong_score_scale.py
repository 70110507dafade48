"""RB505 wrong-score-scale."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.consensus import fit, score_values
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB505",
    "wrong-score-scale",
    Severity.ERROR,
    "The file's consensus scores are on a different scale than configured.",
    kinds=TASK_KINDS,
)
def wrong_score_scale(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: Every consensus score (`score` and `consensusScore`) in the file is on the other scale:
    0–1 values (0.87) where the platform writes 0–100 (the SDK multiplies the agreement by 100), or
    0–100 values with `scale = 1` configured. Reported once per file, at the first score; a value
    strictly between 0 and 1 is taken as a 0–1 value (on 0–100 it would be an agreement below 1%),
    and 0 and 1 fit either.

    Why: Mixed into a data set of real exports, such a file reads as near-zero agreement (or, with
    `scale = 1`, as agreement far above 100%), and tools that threshold or rank tasks by consensus
    score silently make the wrong call.

    Failing:
        // default `scale = 100`
        "consensusScore": 0.87, "scores": [{"secondaryUser": "b@x.org", "score": 0.91}]
    Fixed:
        "consensusScore": 87.0, "scores": [{"secondaryUser": "b@x.org", "score": 91.0}]
        // or, for a file kept on 0–1: `[tool.rb-lint.consensus] scale = 1`
    """
    scale = ctx.config.consensus.scale
    fits = [(value, fit(value.number, scale)) for value in score_values(doc)]
    other = [value for value, fits_to in fits if fits_to == "other"]
    if not other or any(fits_to == "configured" for _value, fits_to in fits):
        return  # no score on the other scale, or some on this one (RB506)
    first = other[0]
    if scale == 100:
        message = (
            f"every consensus score in this file is between 0 and 1 (e.g. {first.shown}), "
            "but the platform writes them on a 0–100 scale: multiply them by 100, or set "
            "`scale = 1` in `[tool.rb-lint.consensus]` if this file is meant to be 0–1"
        )
    else:
        message = (
            f"the consensus scores in this file are on a 0–100 scale (e.g. {first.shown}) "
            "but `scale = 1` is configured: set `scale = 100` (the platform's scale) or "
            "divide them by 100"
        )
    yield Hit(message, first.pointer, key="consensus-scale")
