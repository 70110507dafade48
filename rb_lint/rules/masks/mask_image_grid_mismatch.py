"""RB325 mask-image-grid-mismatch."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.mask_grids import grid_difference, image_header
from rb_lint.facts.mask_scans import readable_header, scanned_series
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB325",
    "mask-image-grid-mismatch",
    Severity.ERROR,
    "A mask's grid differs from its image's grid.",
    kinds=TASK_KINDS,
)
def mask_image_grid_mismatch(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: The series' `items` is one local NIfTI image, and a mask's shape or affine differs from
    the image's (affine tolerance: `affine-tolerance` in `[tool.rb-lint.masks]`).

    Why: A mask on another grid than its image (a different scan, a crop, a resampled copy) is
    drawn at the wrong place on the platform, or rejected.

    Failing:
        "items": "ct.nii.gz" (512, 512, 300), "segmentations": "seg.nii.gz" (512, 512, 299)
    Fixed:
        "segmentations": "seg.nii.gz" resampled onto ct.nii.gz's grid
    """
    tolerance = ctx.config.masks.affine_tolerance
    for series, scanned in scanned_series(doc, ctx):
        image = image_header(ctx, series)
        if image is None:
            continue
        for mask in scanned:
            header = readable_header(mask.result)
            if header is None:
                continue
            difference = grid_difference(header, image.header, f"the image `{image.written}`", tolerance)
            if difference is None:
                continue
            yield Hit(
                f"`{mask.ref.written}` has {difference}: the mask is not on its image's grid "
                "and is drawn at the wrong place; resample it onto the image",
                mask.ref.pointer,
                key=series.key(mask.ref.written),
            )
