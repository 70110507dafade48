"""RB006 empty-file."""

from __future__ import annotations

from rb_lint.core.findings import Severity
from rb_lint.core.rule import emitted

empty_file = emitted(
    "RB006",
    "empty-file",
    Severity.ERROR,
    "The file is empty.",
    """
    What: An empty (or whitespace-only) `.json` file.

    Why: An empty file is not JSON, and it usually means an export or a script was interrupted:
    the tasks it should hold are missing.

    Failing:
        (a zero-byte items.json)
    Fixed:
        []          (an items list with no tasks), or delete the file
    """,
)
