"""RB901 storage-unreachable."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.remote import Located, document_locations, remote_object
from rb_lint.formats.locations import storage_of
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS
from rb_lint.storage.faults import Fault, StorageProblem


@rule(
    "RB901",
    "storage-unreachable",
    Severity.ERROR,
    "Whether remote files exist could not be told: the storage failed.",
    kinds=TASK_KINDS,
)
def storage_unreachable(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: The storage holding the document's items or masks did not tell whether they exist: no
    such bucket or container, access denied, throttled (503 SlowDown) after the bounded retries,
    a timeout, a connection reset. One finding per document, storage and fault, at the first path
    it concerns, with how many paths it concerns and the reason. (A mask whose existence was told
    but whose download failed midway is RB322's.)

    Why: Nothing was checked for those paths: the same failure at upload time fails the tasks. A
    misspelt bucket in the mapping, a role without `s3:ListBucket` or a CI job without network
    are the usual causes.

    Failing:
        [tool.rb-lint.storage] default = "s3://no-such-bucket"
    Fixed:
        [tool.rb-lint.storage] default = "s3://studies-bucket/prefix"   (and a role that may list it)
    """
    groups: dict[tuple[str, Fault], list[tuple[Located, StorageProblem]]] = {}
    for found in document_locations(doc, ctx).fetched:
        remote = remote_object(doc, ctx, found)
        if remote is not None and remote.problem is not None:
            key = (storage_of(remote.url), remote.problem.fault)
            groups.setdefault(key, []).append((found, remote.problem))
    for (storage, fault), paths in groups.items():
        first, problem = paths[0]
        count = f"{len(paths)} path{'s' if len(paths) != 1 else ''} of this file"
        yield Hit(
            f"cannot tell whether `{first.ref.written}` exists ({count} in {storage}): {problem.reason}",
            first.ref.pointer,
            key=f"{storage}:{fault.value}",
        )
