"""RB324 mask-grid-mismatch."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.mask_grids import grid_difference
from rb_lint.facts.mask_scans import readable_header, scanned_series
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS
from rb_lint.nifti.header import Header


@rule(
    "RB324",
    "mask-grid-mismatch",
    Severity.ERROR,
    "The masks of one series do not share shape and affine.",
    kinds=TASK_KINDS,
)
def mask_grid_mismatch(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A mask of a series differs in shape or affine from the series' first mask (affine
    tolerance: `affine-tolerance` in `[tool.rb-lint.masks]`).

    Why: The SDK merges a series' masks by writing each file's non-zero voxels into the first
    file's array by index, with no shape or affine check: a smaller file lands in the wrong
    place, a larger one fails with an IndexError, and a shifted affine mislabels anatomy.

    Failing:
        "segmentations": ["a.nii.gz", "b.nii.gz"]   shapes (240, 240, 155) and (240, 240, 154)
    Fixed:
        both resampled onto the image's grid, shape (240, 240, 155)
    """
    tolerance = ctx.config.masks.affine_tolerance
    for series, scanned in scanned_series(doc, ctx):
        if len(scanned) < 2:
            continue  # one mask is on its own grid (the image's is RB325's)
        first: tuple[str, Header] | None = None
        for mask in scanned:
            header = readable_header(mask.result)
            if header is None:
                continue
            if first is None:
                first = (mask.ref.written, header)
                continue
            difference = grid_difference(
                header, first[1], f"`{first[0]}`, the series' first mask,", tolerance
            )
            if difference is None:
                continue
            yield Hit(
                f"`{mask.ref.written}` has {difference}: the platform merges a series' masks "
                "voxel by voxel, so this one lands in the wrong place; resample every mask "
                "onto the image's grid",
                mask.ref.pointer,
                key=series.key(mask.ref.written),
            )
