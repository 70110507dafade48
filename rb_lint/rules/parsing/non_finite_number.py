"""RB003 non-finite-number."""

from __future__ import annotations

from rb_lint.core.findings import Severity
from rb_lint.core.rule import emitted

non_finite_number = emitted(
    "RB003",
    "non-finite-number",
    Severity.ERROR,
    "NaN or Infinity literal.",
    """
    What: A `NaN`, `Infinity` or `-Infinity` literal, which is not JSON.

    Why: Python writes them by default (`json.dump(allow_nan=True)`), but strict parsers and the
    platform reject them.

    Failing:
        "priority": NaN
    Fixed:
        "priority": 0.5
    """,
)
