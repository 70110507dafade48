"""RB004 byte-order-mark."""

from __future__ import annotations

from rb_lint.core.findings import Severity
from rb_lint.core.rule import emitted

byte_order_mark = emitted(
    "RB004",
    "byte-order-mark",
    Severity.ERROR,
    "The file starts with a BOM.",
    """
    What: The file starts with a UTF-8 byte-order mark (written by some Windows editors).

    Fix: safe — removes the mark (its three bytes) and nothing else.

    Why: Python's `json.load` on a text file raises "Unexpected UTF-8 BOM", and so does the
    RedBrick CLI.

    Failing:
        EF BB BF 5B 7B ...   (the bytes of `\\ufeff[{...`, shown in no editor)
    Fixed:
        5B 7B ...            (save as "UTF-8" rather than "UTF-8 with BOM")
    """,
)
