"""RB005 invalid-utf8."""

from __future__ import annotations

from rb_lint.core.findings import Severity
from rb_lint.core.rule import emitted

invalid_utf8 = emitted(
    "RB005",
    "invalid-utf8",
    Severity.ERROR,
    "The file is not valid UTF-8.",
    """
    What: The file is not valid UTF-8: a Latin-1 or UTF-16 file, often from a spreadsheet export.
    The finding is at the first bad byte.

    Why: JSON files must be UTF-8; any other encoding fails to load in the RedBrick SDK and CLI.

    Failing:
        [{"name": "Patient M\\xfcller"}]      (Latin-1: the byte 0xfc for ü)
    Fixed:
        [{"name": "Patient Müller"}]         (`iconv -f latin1 -t utf-8 in.json > out.json`)
    """,
)
