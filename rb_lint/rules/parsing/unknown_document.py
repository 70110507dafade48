"""RB007 unknown-document."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.io.document import Document
from rb_lint.models.kinds import UNKNOWN


@rule(
    "RB007",
    "unknown-document",
    Severity.WARNING,
    "A JSON file is not a format rb-lint knows.",
    kinds=[UNKNOWN],
)
def unknown_document(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A JSON file that is not an items list, a tasks.json export, a taxonomy or a DataGym
    export. rb-lint recognises a document by its content: an array of objects with `name`/`series`
    (items list; tasks.json when it has export fields such as `taskId`), an object with
    `objectTypes` (taxonomy), an array starting with `{"label_classes": ...}` (DataGym).

    Why: Anything else gets this one finding rather than silence, so a misnamed or half-written
    file does not slip through unchecked.

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
