"""RB0xx: reading the file. The JSON loader emits these; they are registered for docs and config."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import emitted, rule
from rb_lint.io.document import Document
from rb_lint.models.kinds import UNKNOWN

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

    Failing:
        EF BB BF 5B 7B ...   (the bytes of `\ufeff[{...`, shown in no editor)
    Fixed:
        5B 7B ...            (save as "UTF-8" rather than "UTF-8 with BOM")
    """)

INVALID_UTF8 = emitted("RB005", "invalid-utf8", ERROR, "The file is not valid UTF-8.", """
    JSON files must be UTF-8. A Latin-1 or UTF-16 file (often from a spreadsheet export) fails to
    load. The finding is at the first bad byte.

    Failing:
        [{"name": "Patient M\xfcller"}]      (Latin-1: the byte 0xfc for ü)
    Fixed:
        [{"name": "Patient Müller"}]         (`iconv -f latin1 -t utf-8 in.json > out.json`)
    """)

EMPTY_FILE = emitted("RB006", "empty-file", ERROR, "The file is empty.", """
    An empty (or whitespace-only) `.json` file is not JSON. It usually means an export or a
    script was interrupted.

    Failing:
        (a zero-byte items.json)
    Fixed:
        []          (an items list with no tasks), or delete the file
    """)

UNREADABLE = emitted("RB008", "unreadable-file", ERROR, "The file cannot be read.", """
    The file exists but cannot be read: its permissions forbid it, or it is a broken symbolic
    link (common after moving a DVC or git-annex cache). rb-lint cannot check what it cannot read,
    so this is an error rather than silence.

    Failing:
        items.json -> ../cache/3f/a1c2...   (a link whose target is gone)
    Fixed:
        `dvc checkout items.json` / `git annex get items.json`, or `chmod +r items.json`
    """)

LFS_POINTER = emitted("RB009", "lfs-pointer", Severity.INFO,
                      "The file is a Git LFS pointer, not its content.", """
    The `.json` file is a Git LFS pointer (`version https://git-lfs.github.com/spec/v1`, an `oid`
    and a `size`): the repository stores the JSON in Git LFS and this checkout did not fetch it
    (a CI checkout without `lfs: true`, `GIT_LFS_SKIP_SMUDGE=1`). There is nothing to lint, so the
    file is skipped with this note rather than reported as invalid JSON.

    Fix: run `git lfs pull` (in GitHub Actions: `actions/checkout` with `lfs: true`).

    Failing:
        version https://git-lfs.github.com/spec/v1
        oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393
        size 12345
    Fixed (after `git lfs pull`):
        [{"name": "patient-001", "series": [{"items": "ct.nii.gz"}]}]
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
         unknown_document, UNREADABLE, LFS_POINTER]
