"""RB303 remote-mask-not-checked."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.masks import document_masks
from rb_lint.facts.remote import Located, segmentation_at
from rb_lint.formats.locations import Place
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS

MAP_HINT = (
    "so it was not checked; to check such paths, "
    'map the storage that holds them: `[tool.rb-lint.storage] labels = "s3://bucket/prefix"` '
    "(or `default`), or `--label-storage URL` / `--storage URL`"
)
FETCH_HINT = (
    "unless asked to: `--remote` (or `remote = true` in `[tool.rb-lint.storage]`, or a storage "
    "mapping) checks them"
)


@rule(
    "RB303",
    "remote-mask-not-checked",
    Severity.INFO,
    "Segmentation files that are remote or whose location is unknown are not checked.",
    kinds=TASK_KINDS,
)
def remote_mask_not_checked(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: Segmentation files rb-lint did not check: URIs (`s3://`, `gs://`, `http(s)://`, Azure
    blob storage) when network access was not asked for, and relative paths that are not here
    while no storage is mapped and nothing of the document is local (keys of a storage
    integration: their location is unknown). One finding per JSON file, at its first such path,
    counts them and says how to check them (a list of 100,000 tasks should not print 100,000
    notes). With `[tool.rb-lint.storage]` (or `--storage`, `--label-storage`, `--remote`) they
    are fetched and checked like local files.

    Why: Nothing has checked those masks before the upload: a missing, misnamed or malformed remote
    mask shows up only when the platform imports it. Map the storage (`[tool.rb-lint.storage]
    labels = "s3://bucket/prefix"`), ask for full URLs to be fetched (`--remote`), lint a local
    copy, or ignore this rule (`ignore = ["RB303"]`).

    Failing:
        "segmentations": "s3://bucket/labels/seg.nii.gz"   (informational; no --remote)
        "segmentations": "labels/seg.nii.gz"   (not here, no storage mapped)
    Fixed:
        [tool.rb-lint.storage]
        labels = "s3://bucket"
        remote = true
    """
    unchecked = [
        (series, ref, found)
        for series in document_masks(doc, ctx).series
        for ref in series.refs
        if (found := segmentation_at(doc, ctx, ref.pointer)) is not None and _unchecked(found)
    ]
    if not unchecked:
        return
    series, first, found = unchecked[0]
    url = found.location.place is Place.URL
    every_url = all(other.location.place is Place.URL for _s, _r, other in unchecked)
    noun = "remote segmentation file" if every_url else "segmentation file not checked"
    others = (
        f" (and {len(unchecked) - 1} more {noun}{'s' if len(unchecked) > 2 else ''} in this file)"
        if len(unchecked) > 1
        else ""
    )
    if url:
        message = f"`{first.written}` is remote{others}: rb-lint does not download masks {FETCH_HINT}"
    else:
        message = f"`{first.written}` is not here and no storage is mapped{others}: {MAP_HINT}"
    yield Hit(message, first.pointer, key=series.key(first.written))


def _unchecked(found: Located) -> bool:
    place = found.location.place
    return place is Place.UNKNOWN or (place is Place.URL and not found.fetched)
