"""RB001 invalid-json."""

from __future__ import annotations

from rb_lint.core.findings import Severity
from rb_lint.core.rule import emitted

invalid_json = emitted(
    "RB001",
    "invalid-json",
    Severity.ERROR,
    "The file is not valid JSON.",
    """
    What: The file is not valid JSON: a trailing comma, a missing quote or bracket, a truncated
    file. The JSON loader reports it, at the exact line and column.

    Fix: safe — when the error is a trailing comma, removes every comma that comes right before a
    `]` or `}` (outside strings), and nothing else; other syntax errors have no fix.

    Why: The RedBrick CLI stops at the first syntax error with no useful position, and nothing in
    the file is uploaded.

    Failing:
        [{"name": "patient-001", "series": [{"items": "ct.nii.gz"}],}]
    Fixed:
        [{"name": "patient-001", "series": [{"items": "ct.nii.gz"}]}]
    """,
)
