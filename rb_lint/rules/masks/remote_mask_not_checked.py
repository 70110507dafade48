"""RB303 remote-mask-not-checked."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.masks import SeriesMasks, document_masks
from rb_lint.facts.remote import Located, document_locations, storage_map
from rb_lint.formats import maskpaths
from rb_lint.formats.locations import SEGMENTATION, Place
from rb_lint.formats.maskpaths import MaskRef
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
    located = document_locations(doc, ctx).by_pointer  # looked up once, not per path
    masks, network = document_masks(doc, ctx), storage_map(ctx).network
    # Counted, not listed: a list may name a million. Without network access full URLs are not
    # located: the mask facts count them, and only the local series' other paths are looked up.
    count, every_url, first = 0, True, None
    places: Iterable[tuple[int, SeriesMasks]]
    if network:
        places = enumerate(masks.series)
    else:
        places, count = zip(masks.local_places, masks.local, strict=True), masks.remote.count
        if masks.remote.first is not None:
            place, series, ref = masks.remote.first
            first = (place, series.refs.index(ref), series, ref, True)
    for place, series in places:
        for index, ref in enumerate(series.refs):
            url = None if not network and ref.where == maskpaths.REMOTE else _unchecked_url(ref, located)
            if url is None:
                continue
            count, every_url = count + 1, every_url and url
            if first is None or (place, index) < first[:2]:
                first = (place, index, series, ref, url)
    if first is None:
        return
    _place, _index, series, ref, url = first
    noun = ("remote " if every_url else "") + "segmentation file" + ("s" if count > 2 else "")
    unchecked = "" if every_url else " not checked"
    others = f" (and {count - 1} more {noun}{unchecked} in this file)" if count > 1 else ""
    if url:
        message = f"`{ref.written}` is remote{others}: rb-lint does not download masks {FETCH_HINT}"
    else:
        message = f"`{ref.written}` is not here and no storage is mapped{others}: {MAP_HINT}"
    yield Hit(message, ref.pointer, key=series.key(ref.written))


def _unchecked_url(ref: MaskRef, located: dict[str, Located]) -> bool | None:
    """Whether an unchecked path is a URL (True) or of unknown location (False); None: checked.
    A path `document_locations` does not list is a full URL of a run without network access."""
    found = located.get(ref.pointer)
    if found is None:
        return True if ref.where == maskpaths.REMOTE else None
    if found.ref.role != SEGMENTATION:
        return None
    place = found.location.place
    if place is Place.UNKNOWN or (place is Place.URL and not found.fetched):
        return place is Place.URL
    return None
