"""RB002 duplicate-key."""

from __future__ import annotations

from rb_lint.core.findings import Severity
from rb_lint.core.rule import emitted

duplicate_key = emitted(
    "RB002",
    "duplicate-key",
    Severity.ERROR,
    "An object repeats a key.",
    """
    What: An object holds the same key twice. The finding is at the repeated key.

    Why: JSON readers (Python's json, the RedBrick SDK) silently keep the last value, so the first
    is lost without a word.

    Failing:
        "segmentMap": {"1": "Liver", "1": "Spleen"}
    Fixed:
        "segmentMap": {"1": "Liver", "2": "Spleen"}
    """,
)
