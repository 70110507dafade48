"""RB302 mask-outside-root."""

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
    "RB302",
    "mask-outside-root",
    Severity.WARNING,
    "A segmentation path leads outside the linted root.",
    kinds=TASK_KINDS,
)
def mask_outside_root(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A segmentation path climbs out of the linted root (`..`), is an absolute path
    elsewhere, or leads out of it through a symbolic link (to a file or a folder outside, or
    `dirlink/../seg.nii.gz`, which the OS opens next to the link's target). Inside-ness is judged
    on the real path, every link resolved, and the file checked is the one the OS opens.

    Why: The dataset is then not self-contained: it breaks when the folder is moved, shared or
    uploaded from another machine, and a linter run on the folder alone cannot check the file. A
    symbolic link is committed as a link: the data behind it is not in the repository.

    Failing:
        "segmentations": "../../shared/seg.nii.gz"
    Fixed:
        "segmentations": "labels/seg.nii.gz"   (the file moved inside the dataset)
    """
    for series in document_masks(doc, ctx).local:
        for ref in series.refs:
            if ref.where == maskpaths.LOCAL and ref.escapes_root:
                yield Hit(
                    f"`{ref.written}` {_where(ref, ctx)}: the dataset is not self-contained; move "
                    f"the file inside it{_advice(ctx)}",
                    ref.pointer,
                    key=series.key(ref.written),
                )


def _advice(ctx: Context) -> str:
    if ctx.options.confine:  # a service: it reads nothing outside the root, not even to check
        return "; the file was not read (this run reads nothing outside the root)"
    return " (or lint from a folder that contains both)"


def _where(ref: maskpaths.MaskRef, ctx: Context) -> str:
    outside = f"is outside the linted root `{ctx.root}`"
    if ref.real is not None and ref.real != ref.path:
        return f"{outside} (its real path, symbolic links followed, is `{ref.real}`)"
    return outside
