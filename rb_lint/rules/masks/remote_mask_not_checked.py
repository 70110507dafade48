"""RB303 remote-mask-not-checked."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.masks import document_masks
from rb_lint.formats import maskpaths
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB303",
    "remote-mask-not-checked",
    Severity.INFO,
    "Remote segmentation files are not checked.",
    kinds=TASK_KINDS,
)
def remote_mask_not_checked(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: Segmentation paths are URIs (`s3://`, `gs://`, `http(s)://`, Azure blob storage). rb-lint
    does not download masks, so those files' existence, headers and values are not checked. One
    finding per JSON file, at its first remote path, counts them (a list of 100,000 tasks should
    not print 100,000 notes).

    Why: Nothing has checked those masks before the upload: a missing, misnamed or malformed remote
    mask shows up only when the platform imports it. Lint a local copy of the masks to check them,
    or ignore this rule (`ignore = ["RB303"]`).

    Failing:
        "segmentations": "s3://bucket/labels/seg.nii.gz"   (informational)
    Fixed:
        "segmentations": "labels/seg.nii.gz"   (a local copy, linted before upload)
    """
    remote = [
        (series, ref)
        for series in document_masks(doc, ctx).series
        for ref in series.refs
        if ref.where == maskpaths.REMOTE
    ]
    if remote:
        series, first = remote[0]
        others = (
            f" (and {len(remote) - 1} more remote segmentation file"
            f"{'s' if len(remote) > 2 else ''} in this file)"
            if len(remote) > 1
            else ""
        )
        yield Hit(
            f"`{first.written}` is remote{others}: rb-lint does not download masks, so "
            "remote masks are not checked",
            first.pointer,
            key=series.key(first.written),
        )
