"""RB0xx: reading the file. The JSON loader emits these; they are registered for docs and config."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.context import Context
from rb_lint.documents import UNKNOWN, Document
from rb_lint.findings import Hit, Severity
from rb_lint.rules.base import emitted, rule

ERROR, WARNING = Severity.ERROR, Severity.WARNING

INVALID_JSON = emitted("RB001", "invalid-json", ERROR, "The file is not valid JSON.", """
    The file is not valid JSON: a trailing comma, a missing quote or bracket, a truncated file.

    Why: the RedBrick CLI stops at the first syntax error with no useful position; rb-lint points
    at the exact line and column.

    Failing:
        [{"name": "patient-001", "series": [{"items": "ct.nii.gz"}],}]
    Fixed:
        [{"name": "patient-001", "series": [{"items": "ct.nii.gz"}]}]
    """)

DUPLICATE_KEY = emitted("RB002", "duplicate-key", ERROR, "An object repeats a key.", """
    An object holds the same key twice. JSON readers (Python's json, the RedBrick SDK) silently
    keep the last value, so the first is lost without a word. The finding is at the repeated key.

    Failing:
        "segmentMap": {"1": "Liver", "1": "Spleen"}
    Fixed:
        "segmentMap": {"1": "Liver", "2": "Spleen"}
    """)

NON_FINITE = emitted("RB003", "non-finite-number", ERROR, "NaN or Infinity literal.", """
    `NaN`, `Infinity` and `-Infinity` are not JSON. Python writes them by default
    (`json.dump(allow_nan=True)`), but strict parsers and the platform reject them.

    Failing:
        "priority": NaN
    Fixed:
        "priority": 0.5
    """)

BYTE_ORDER_MARK = emitted("RB004", "byte-order-mark", ERROR, "The file starts with a BOM.", """
    The file starts with a UTF-8 byte-order mark (written by some Windows editors). Python's
    `json.load` on a text file raises "Unexpected UTF-8 BOM", and so does the RedBrick CLI.

    Fix: save the file as "UTF-8" rather than "UTF-8 with BOM".
    """)

INVALID_UTF8 = emitted("RB005", "invalid-utf8", ERROR, "The file is not valid UTF-8.", """
    JSON files must be UTF-8. A Latin-1 or UTF-16 file (often from a spreadsheet export) fails to
    load. The finding is at the first bad byte.

    Fix: `iconv -f latin1 -t utf-8 in.json > out.json`.
    """)

EMPTY_FILE = emitted("RB006", "empty-file", ERROR, "The file is empty.", """
    An empty (or whitespace-only) `.json` file is not JSON. It usually means an export or a
    script was interrupted.

    Fix: write `[]` for an items list with no tasks, or delete the file.
    """)

UNREADABLE = emitted("RB008", "unreadable-file", ERROR, "The file cannot be read.", """
    The file exists but cannot be read (permissions, a broken link, a directory named `*.json`).
    """)


@rule("RB007", "unknown-document", WARNING,
      "A JSON file is not a format rb-lint knows.", kinds=[UNKNOWN])
def unknown_document(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    A JSON file that is not an items list, a tasks.json export, a taxonomy or a DataGym export.

    rb-lint recognises a document by its content: an array of objects with `name`/`series` (items
    list; tasks.json when it has export fields such as `taskId`), an object with `objectTypes`
    (taxonomy), an array starting with `{"label_classes": ...}` (DataGym). Anything else gets this
    one finding rather than silence, so a misnamed or half-written file does not slip through.

    Fix: pass `--kind` if the file is one of these formats, or exclude it
    (`extend-exclude = ["package.json"]`).

    Failing:
        {"tasks": [{"name": "patient-001"}]}
    Fixed:
        [{"name": "patient-001", "series": [{"items": "ct.nii.gz"}]}]
    """
    shape = "an array" if isinstance(doc.data, list) else type(doc.data).__name__
    if isinstance(doc.data, dict):
        shape = "an object with keys " + ", ".join(f"`{k}`" for k in list(doc.data)[:5])
    yield Hit(
        f"not a RedBrick items list, tasks.json, taxonomy or DataGym export ({shape}): pass "
        "`--kind` to lint it as one, or exclude the file",
    )


RULES = [INVALID_JSON, DUPLICATE_KEY, NON_FINITE, BYTE_ORDER_MARK, INVALID_UTF8, EMPTY_FILE,
         unknown_document, UNREADABLE]
