"""RB900 item-file-missing."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.files import local_file
from rb_lint.facts.remote import Located, document_locations, remote_object
from rb_lint.formats.locations import Place
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB900",
    "item-file-missing",
    Severity.ERROR,
    "An item file whose location is known does not exist.",
    kinds=TASK_KINDS,
)
def item_file_missing(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A path in `items` names nothing, where its location is known: a local file missing from a
    direct-upload list (a document some of whose items are here), or an object that is not in its
    storage (a key joined to its mapped storage, `[tool.rb-lint.storage]` / `--storage`, or a full
    URL when network access was asked for). Items whose location is unknown (storage keys with no
    storage mapped and nothing local) are not judged.

    Why: The upload fails for the task (a 404 from the storage, or `Files do not exist` from the
    CLI): a wrong item path is the first cause RedBrick's troubleshooting page lists, and it is
    found only at upload time, one task at a time.

    Failing:
        [tool.rb-lint.storage] default = "s3://bucket/studies"
        {"name": "p1", "series": [{"items": "p1/ct.nii.gz"}]}   (no such key in the bucket)
    Fixed:
        {"name": "p1", "series": [{"items": "p1/CT.nii.gz"}]}   (the key as it is in the bucket)
    """
    for found in document_locations(doc, ctx).items:
        problem = _problem(doc, ctx, found)
        if problem is not None:
            yield Hit(f"item `{found.ref.written}` {problem}", found.ref.pointer)


def _problem(doc: Document, ctx: Context, found: Located) -> str | None:
    place = found.location.place
    if place is Place.LOCAL:
        if found.path is None or local_file(ctx, found.path).present:
            return None
        return (
            f"does not exist (looked for `{found.path}`; this file's other items are local, "
            "so it is uploaded from this folder)"
        )
    remote = remote_object(doc, ctx, found)
    if remote is None or remote.exists or remote.problem is not None:
        return None  # not fetched, there, or its existence could not be told (RB901)
    if place is Place.STORAGE:
        return f"is not in its storage (looked for `{remote.url}`)"
    return "is not in its storage"
