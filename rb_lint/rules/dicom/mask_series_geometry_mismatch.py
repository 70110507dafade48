"""RB807 mask-series-geometry-mismatch."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.dicom import (
    Matrix,
    SliceStack,
    dicom_series,
    dot,
    lps_affine,
    mask_headers,
    norm,
    slice_stack,
)
from rb_lint.formats.dicom import Vec3
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS

SPACING_TOLERANCE = 0.01  # relative
AXIS_TOLERANCE = 0.01  # per direction cosine
ORIGIN_TOLERANCE = 0.5  # voxels along each axis


@rule(
    "RB807",
    "mask-series-geometry-mismatch",
    Severity.WARNING,
    "A NIfTI mask's spacing or origin differs from its DICOM series'.",
    kinds=TASK_KINDS,
)
def mask_series_geometry_mismatch(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: A local NIfTI mask of the right shape (RB806) for a DICOM series has an affine whose
    voxel spacing differs from the series' by more than 1 % (PixelSpacing between columns, between
    rows, and the median distance between slices), or — when its axes point the way the series'
    do (within 0.01 per cosine) — whose origin is more than half a voxel from the series' first
    slice position (ImagePositionPatient of the first instance along the slice normal). NIfTI
    affines are RAS and DICOM patient coordinates LPS: the affine's x and y are negated before
    comparing. Masks without an orientation (qform and sform codes 0) or with a placeholder affine
    (identity up to sign, no translation, as the SDK writes for RT-STRUCT conversions) are not
    compared; neither is the slice spacing of a one-instance series.

    Why: The mask's voxels are applied to the series by index, but a different spacing or origin
    shows that the mask was drawn on another grid (a resampled, cropped or reordered volume) that
    happens to have the same shape: its labels then sit at the wrong anatomy.

    Failing:
        series spacing (0.7, 0.7, 5) mm, "segmentations": "seg.nii.gz" with spacing (1, 1, 1)
    Fixed:
        "segmentations": "seg.nii.gz" resampled onto the series (0.7, 0.7, 5)
    """
    for series in dicom_series(doc, ctx):
        stack = slice_stack(doc, ctx, series)
        if stack is None:
            continue
        shape = (stack.columns, stack.rows, len(stack.ordered))
        compared = 3 if stack.slice_spacing is not None else 2  # no slice spacing for one instance
        for mask in mask_headers(ctx, doc, series):
            header = mask.header
            if (
                header is None
                or header.spatial_shape() != shape
                or not (header.qform_code or header.sform_code)
            ):
                continue
            found = lps_affine(header)
            if found is None or _placeholder(*found):
                continue
            axes, origin = found
            spacing = (norm(axes[0]), norm(axes[1]), norm(axes[2]))
            problems = []
            if any(
                abs(s - t) > SPACING_TOLERANCE * t
                for s, t in list(zip(spacing, stack.spacing, strict=True))[:compared]
            ):
                problems.append(f"spacing {_show(spacing)} mm where the series has {_show(stack.spacing)}")
            offset = _origin_offset(axes, spacing, origin, stack)
            if offset is not None and any(abs(v) > ORIGIN_TOLERANCE for v in offset[:compared]):
                problems.append(
                    f"its origin {_show(origin)} mm (LPS) {_show(offset)} voxels from the series' "
                    f"first slice position {_show(stack.origin)}"
                )
            if problems:
                yield Hit(
                    f"mask `{mask.written}` has {' and '.join(problems)}: it was made on another "
                    "grid than the series', and its labels may sit at the wrong anatomy",
                    mask.pointer,
                )


def _origin_offset(axes: Matrix, spacing: Vec3, origin: Vec3, stack: SliceStack) -> Vec3 | None:
    """The mask's origin from the series' in voxels along each axis, when their axes point the
    same way (else the orientation does not allow a comparison: None)."""
    if min(spacing) <= 0:
        return None
    for axis, length, reference in zip(axes, spacing, stack.axes, strict=True):
        if any(abs(u / length - v) > AXIS_TOLERANCE for u, v in zip(axis, reference, strict=True)):
            return None
    delta = (origin[0] - stack.origin[0], origin[1] - stack.origin[1], origin[2] - stack.origin[2])
    i, j, k = (dot(delta, a) / t for a, t in zip(stack.axes, stack.spacing, strict=True))
    return i, j, k


def _placeholder(axes: Matrix, origin: Vec3) -> bool:
    diagonal = all(abs(abs(axes[a][a]) - 1) < 1e-6 for a in range(3))
    off = sum(abs(axes[a][b]) for a in range(3) for b in range(3) if a != b)
    return diagonal and off < 1e-6 and max(map(abs, origin)) < 1e-6


def _show(values: tuple[float, ...]) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in values) + ")"
