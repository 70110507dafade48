"""Voxel grids: the header of a series' image, and how far one header's grid is from another's.

Extraction only: RB324 and RB325 decide what difference is too large (`affine-tolerance`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rb_lint.core.context import Context
from rb_lint.facts.files import content_here
from rb_lint.facts.mask_scans import readable_header
from rb_lint.facts.masks import NIFTI_SUFFIXES, SeriesMasks
from rb_lint.formats import maskpaths, walk
from rb_lint.io.document import Document
from rb_lint.nifti.header import Header
from rb_lint.nifti.scan import read_header


@dataclass(frozen=True)
class ImageHeader:
    """The header of a series' image (`items`, when it is one local NIfTI file)."""

    written: str  # the `items` string as written
    header: Header


@dataclass(frozen=True)
class GridOffset:
    """How a header's grid differs from a reference header's grid."""

    same_shape: bool  # the spatial shapes (first three axes) are equal
    worst: float  # the largest absolute difference between the affines' first three rows
    row: int  # where it is (the first place, in row-major order)
    column: int


def image_header(ctx: Context, series: SeriesMasks) -> ImageHeader | None:
    """The header of the series' image when `items` is one local NIfTI file that can be read."""
    return local_nifti_image(ctx, series.doc, series.series)


def local_nifti_image(ctx: Context, doc: Document, series: walk.Series) -> ImageHeader | None:
    """The same for any series of a document (the geometry family's grids use it too)."""
    items = walk.as_list(series.get("items"))
    if len(items) != 1 or not isinstance(items[0], str):
        return None
    written = items[0]
    if maskpaths.is_remote(written):
        return None  # as `resolve` would say, without asking for the document's resolutions
    where, path, _ = maskpaths.resolve(doc, written, ctx.root)
    if where != maskpaths.LOCAL or path is None or not written.lower().endswith(NIFTI_SUFFIXES):
        return None
    header = ctx.memo(_image_header_at, ctx, path)
    return None if header is None else ImageHeader(written, header)


def _image_header_at(ctx: Context, path: Path) -> Header | None:
    """Only the header is read (once per run and image)."""
    result = read_header(path) if content_here(ctx, path) else None
    return None if result is None else readable_header(result)


def grid_offset(header: Header, reference: Header) -> GridOffset:
    worst, where = 0.0, (0, 0)
    for i in range(3):
        for j in range(4):
            difference = abs(header.affine[i][j] - reference.affine[i][j])
            if difference > worst:
                worst, where = difference, (i, j)
    return GridOffset(header.spatial_shape() == reference.spatial_shape(), worst, *where)


def grid_difference(header: Header, reference: Header, other: str, tolerance: float) -> str | None:
    """How a mask's grid differs from `other`'s (RB324 and RB325 word it alike), or None."""
    offset = grid_offset(header, reference)
    if not offset.same_shape:
        return f"shape {header.shape} where {other} has {reference.shape}"
    if offset.worst > tolerance:
        return (
            f"an affine that differs from {other}'s by {offset.worst:.4g} (row "
            f"{offset.row}, column {offset.column}; tolerance {tolerance:g})"
        )
    return None
