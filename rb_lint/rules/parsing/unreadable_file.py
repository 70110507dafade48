"""RB008 unreadable-file."""

from __future__ import annotations

from rb_lint.core.findings import Severity
from rb_lint.core.rule import emitted

unreadable_file = emitted(
    "RB008",
    "unreadable-file",
    Severity.ERROR,
    "The file cannot be read.",
    """
    What: The file exists but cannot be read: its permissions forbid it, or it is a broken symbolic
    link (common after moving a DVC or git-annex cache).

    Why: rb-lint cannot check what it cannot read, so this is an error rather than silence.

    Failing:
        items.json -> ../cache/3f/a1c2...   (a link whose target is gone)
    Fixed:
        `dvc checkout items.json` / `git annex get items.json`, or `chmod +r items.json`
    """,
)
