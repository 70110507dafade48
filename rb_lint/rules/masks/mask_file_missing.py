"""RB301 mask-file-missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.files import FileState, LocalFile, local_file
from rb_lint.facts.masks import document_masks
from rb_lint.facts.remote import Located, document_locations, remote_object, storage_map
from rb_lint.formats import maskpaths
from rb_lint.formats.locations import SEGMENTATION, Place
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB301",
    "mask-file-missing",
    Severity.ERROR,
    "A segmentation file does not exist or cannot be read.",
    kinds=TASK_KINDS,
)
def mask_file_missing(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A path in `segmentations` names no readable file: nothing is there, or a directory,
    a FIFO or device, a symlink loop, a name longer than the file system allows, or a file that
    cannot be read; or a remote mask (a storage key joined to its mapped storage, or a URL) is not
    in its storage. Paths are relative to the directory of the JSON file that names them, as the
    RedBrick CLI reads them (for a tasks.json, the export folder). A relative path that is not
    here is judged missing only when its location is known: a storage is mapped, or the document
    is a direct-upload list (some of its files are here); otherwise RB303 notes it.

    Why: The SDK rejects the whole series (`Files do not exist`), so none of its annotations are
    uploaded; a path written relative to the dataset root instead of the JSON file is the usual
    cause.

    Failing:
        labels/items.json:
        {"items": "ct.nii.gz", "segmentations": "labels/seg.nii.gz", "segmentMap": {"1": "Liver"}}
    Fixed:
        {"items": "ct.nii.gz", "segmentations": "seg.nii.gz", "segmentMap": {"1": "Liver"}}
    """
    located = document_locations(doc, ctx).by_pointer  # looked up once, not per path
    masks = document_masks(doc, ctx)
    # Without network access full URLs are not located (`document_locations`): only the series
    # with a local path have something to look up.
    network = storage_map(ctx).network
    problems: dict[Path, str | None] = {}  # a file named by many tasks is judged once
    for series in masks.series if network else masks.local:
        for ref in series.refs:
            if not network and ref.where == maskpaths.REMOTE:
                continue
            found = located.get(ref.pointer)
            if found is None or found.ref.role != SEGMENTATION:
                continue
            if found.location.place is Place.LOCAL and found.path is not None:
                if found.path in problems:
                    problem = problems[found.path]
                else:
                    problem = problems[found.path] = _problem(local_file(ctx, found.path))
            else:
                problem = _remote_problem(doc, ctx, found)
            if problem:
                yield Hit(
                    f"segmentation file `{ref.written}` {problem}", ref.pointer, key=series.key(ref.written)
                )


def _remote_problem(doc: Document, ctx: Context, found: Located) -> str | None:
    """Not in its storage (a fault, when existence could not be told, is RB901's)."""
    remote = remote_object(doc, ctx, found)
    if remote is None or remote.exists or remote.problem is not None:
        return None
    if found.location.place is Place.STORAGE:
        return f"is not in its storage (looked for `{remote.url}`)"
    return "is not in its storage"


def _problem(found: LocalFile) -> str | None:
    """What is wrong with the file, or None (a Git LFS pointer is a regular file: RB009's)."""
    state = found.state
    if state in (FileState.REGULAR, FileState.OUTSIDE):  # outside a confined run's root: RB302's
        return None
    if state is FileState.NO_PERMISSION:
        return "cannot be read (permission denied)"
    if state is FileState.DIRECTORY:
        return "is a directory, not a mask file"
    if state is FileState.SPECIAL:
        return f"is not a regular file but {found.detail}: it is not read; name the mask file itself"
    if state is FileState.LOOP:
        return "is a symlink loop (the link points back to itself): fix or remove the link"
    if state is FileState.NAME_TOO_LONG:
        return (
            "cannot exist: the name is longer than the file system allows (255 bytes per folder "
            "or file name); shorten it"
        )
    if state is FileState.ERROR:
        return f"cannot be read: {found.detail}"
    return (
        f"does not exist (looked for `{found.path}`; paths are relative to the directory of this JSON file)"
    )
