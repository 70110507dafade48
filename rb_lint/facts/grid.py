"""The image grid of a series: its size in voxels, its affine and its frames (used by RB706-RB713).

Conventions (the RedBrick format's and the SDK's, redbrick-sdk 2.35.4):

- A voxel point `{i, j, k}` is (column, row, slice). Voxel centres sit at whole indices, so the image
  covers -0.5 <= i <= columns - 0.5 (and likewise j, k).
- `dimensions` is (columns, rows, slices), in the order of `imageHeaders.dimensions` (ITK's size order)
  and of a NIfTI image's first three axes.
- `affine` maps (i, j, k, 1) to DICOM patient coordinates in millimetres, LPS (x to the patient's left,
  y to the back, z to the head): a world point (`absolutePoint`, ...) is computed "using the Image Plane
  Module", i.e. in DICOM's frame, and the SDK builds `imageHeaders.affine` as `direction * spacing`
  with `origin` as its translation (ITK's convention, which is LPS). A NIfTI header's affine is RAS
  (x to the right, y to the front), so it is converted: its first two rows change sign.

Sources, in order: `imageHeaders` (exports), else the header of the series' image when `items` is one
local NIfTI file, else a local DICOM series (`dicom_grid`, headers only). A malformed `imageHeaders` gives
nothing (the structure rules report it) and the next source is tried; an unknown grid means the rules
that need it check nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Any

from rb_lint.core.context import Context
from rb_lint.facts import dicom as dicom_facts
from rb_lint.facts.geometry import Vec3, number
from rb_lint.facts.mask_grids import local_nifti_image
from rb_lint.formats import walk
from rb_lint.io.document import Document
from rb_lint.nifti.header import Header

Row = tuple[float, float, float, float]
Affine = tuple[Row, Row, Row, Row]  # 4 x 4, row-major; the last row is always (0, 0, 0, 1)
LAST_ROW: Row = (0.0, 0.0, 0.0, 1.0)

MAX_DIMENSION = 1 << 31
NIFTI_SUFFIXES = (".nii", ".nii.gz")
# Items that are one frame (2-D images) or one instance (DICOM files: these suffixes, none, or a
# UID-like numeric one) each; anything else (videos, NIfTI, NRRD...) has frames the items do not count.
_FRAME_IMAGES = frozenset({"png", "jpg", "jpeg", "bmp"})
_DICOM_INSTANCES = frozenset({"dcm", "dicom", "ima", ""})
_NUMERIC = re.compile(r"^\d+$")


@dataclass(frozen=True)
class Frames:
    """How many frames (video) or slices (volume) a series has, and what says so."""

    count: int
    source: str  # for messages: "`imageHeaders.totalFrames`", "its 30 items", ...


@dataclass(frozen=True)
class SeriesGrid:
    dimensions: tuple[int, int, int]  # (columns, rows, slices): the extents of i, j and k
    affine: Affine | None  # (i, j, k, 1) -> LPS patient coordinates in mm
    spacing: Vec3 | None  # mm between voxel centres along i, j and k
    frames: Frames | None
    source: str  # for messages: "`imageHeaders`", "the NIfTI image `ct.nii.gz`"

    def to_world(self, ijk: Vec3) -> Vec3 | None:
        """Where the affine puts a voxel point (None without an affine or when it overflows)."""
        if self.affine is None:
            return None
        i, j, k = ijk
        x, y, z = (row[0] * i + row[1] * j + row[2] * k + row[3] for row in self.affine[:3])
        return (x, y, z) if all(map(math.isfinite, (x, y, z))) else None

    def to_millimetres(self, delta: Vec3) -> Vec3 | None:
        """A difference of voxel points as a vector in mm (through the affine, else the spacing)."""
        if self.affine is not None:
            x, y, z = (row[0] * delta[0] + row[1] * delta[1] + row[2] * delta[2] for row in self.affine[:3])
        elif self.spacing is not None:
            x, y, z = (d * s for d, s in zip(delta, self.spacing, strict=True))
        else:
            return None
        return (x, y, z) if all(map(math.isfinite, (x, y, z))) else None

    @property
    def voxel_diagonal(self) -> float | None:
        """The length of one voxel's diagonal in mm (the tolerance of world-point comparisons)."""
        return None if self.spacing is None else math.hypot(*self.spacing)


def series_grid(doc: Document, ctx: Context, series_pointer: str) -> SeriesGrid | None:
    """The grid of the series at `series_pointer` (computed once per document and series)."""
    return doc.memo(_series_grid, doc, ctx, series_pointer)


def series_frames(doc: Document, ctx: Context, series_pointer: str) -> Frames | None:
    """The frames (or slices) of the series at `series_pointer`; None when unknown."""
    return doc.memo(_series_frames, doc, ctx, series_pointer)


def item_count(doc: Document, series_pointer: str) -> int | None:
    """How many entries `items` has (a string is one); None when it is neither."""
    items = _series(doc, series_pointer).get("items")
    if isinstance(items, str):
        return 1
    return len(items) if isinstance(items, list) else None


def dicom_grid(doc: Document, ctx: Context, series: dict[str, Any]) -> SeriesGrid | None:
    """The grid of a series whose `items` are all local, readable DICOM instances of one size
    (`rb_lint.facts.dicom`, headers only): (Columns, Rows, number of instances, or the frames of a
    single multi-frame instance). For a stack of single-frame instances with one orientation and
    pixel spacing, the LPS affine too: slices ordered by ImagePositionPatient along the slice normal
    (row cosine x column cosine), i along the row cosine scaled by the column spacing, j along the
    column cosine scaled by the row spacing, k along the normal scaled by the median slice spacing
    (1 mm for a single slice), the first slice's position as the origin. Else no grid.
    """
    found = dicom_facts.series_of(doc, ctx, series)
    shape = None if found is None else dicom_facts.volume_shape(found)
    if found is None or shape is None:
        return None
    stack = dicom_facts.slice_stack(doc, ctx, found)
    count = len(found.files)
    return SeriesGrid(
        shape,
        None if stack is None else stack.affine(),
        None if stack is None else stack.spacing,
        None,
        f"its {count} DICOM instance{'s' if count != 1 else ''}",
    )


# -- the series and its sources ---------------------------------------------------------------------


def _series(doc: Document, series_pointer: str) -> dict[str, Any]:
    return doc.memo(_series_by_pointer, doc).get(series_pointer, {})


def _series_by_pointer(doc: Document) -> dict[str, dict[str, Any]]:
    return dict(walk.all_series(doc))


def _series_grid(doc: Document, ctx: Context, series_pointer: str) -> SeriesGrid | None:
    series = _series(doc, series_pointer)
    grid = _headers_grid(series) or _nifti_grid(doc, ctx, series) or dicom_grid(doc, ctx, series)
    return None if grid is None else replace(grid, frames=series_frames(doc, ctx, series_pointer))


def _series_frames(doc: Document, ctx: Context, series_pointer: str) -> Frames | None:
    """`totalFrames`, else one frame per item (images, DICOM instances), else a NIfTI image's slices."""
    series = _series(doc, series_pointer)
    headers = series.get("imageHeaders")
    total = headers.get("totalFrames") if isinstance(headers, dict) else None
    if type(total) is int and 1 <= total < MAX_DIMENSION:
        return Frames(total, "`imageHeaders.totalFrames`")
    count = _item_frames(series.get("items"))
    if count is not None:
        return Frames(count, f"its {count} item{'s' if count > 1 else ''}")
    found = _nifti_header(doc, ctx, series)
    if found is not None and found[1].spatial_shape()[2] >= 1:
        return Frames(found[1].spatial_shape()[2], f"the slices of its NIfTI image `{found[0]}`")
    return None


def _item_frames(items: object) -> int | None:
    names = [items] if isinstance(items, str) else items if isinstance(items, list) else []
    if not names or not all(isinstance(name, str) for name in names):
        return None
    suffixes = {_suffix(name) for name in names}
    if len(names) == 1:  # one DICOM file may hold many frames (a multi-frame instance)
        return 1 if suffixes <= _FRAME_IMAGES else None
    return len(names) if suffixes <= _FRAME_IMAGES | _DICOM_INSTANCES else None


def _suffix(name: str) -> str:
    base = name.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    suffix = base.rsplit(".", 1)[1].lower() if "." in base else ""
    return "" if _NUMERIC.match(suffix) else suffix


# -- imageHeaders -----------------------------------------------------------------------------------


def _headers_grid(series: dict[str, Any]) -> SeriesGrid | None:
    headers = series.get("imageHeaders")
    if not isinstance(headers, dict):
        return None
    dimensions = _dimensions(headers.get("dimensions"))
    if dimensions is None:
        return None
    affine = _affine(headers.get("affine")) or _sdk_affine(headers)
    spacing = _column_norms(affine) if affine is not None else _positive3(headers.get("spacing"))
    return SeriesGrid(dimensions, affine, spacing, None, "`imageHeaders`")


def _dimensions(value: object) -> tuple[int, int, int] | None:
    """2 to 4 whole positive numbers (columns, rows[, slices[, ...]]); a 2-D image has one slice."""
    if not isinstance(value, list) or not 2 <= len(value) <= 4:
        return None
    if not all(type(v) is int and 1 <= v < MAX_DIMENSION for v in value):
        return None
    padded = [*value, 1]
    return padded[0], padded[1], padded[2]


def _affine(value: object) -> Affine | None:
    """A 4 x 4 matrix of numbers (its last row is not read: an affine's is 0 0 0 1)."""
    if not isinstance(value, list) or len(value) != 4:
        return None
    rows = [_numbers(row, 4) for row in value[:3]]
    if any(row is None for row in rows):
        return None
    return _rows([row for row in rows if row is not None])


def _sdk_affine(headers: dict[str, Any]) -> Affine | None:
    """The SDK's construction when only spacing, origin and direction are there: each column of the
    direction matrix scaled by its spacing, the origin as the translation."""
    spacing, origin = _positive3(headers.get("spacing")), _numbers(headers.get("origin"), 3)
    direction = headers.get("direction")
    if isinstance(direction, list) and len(direction) == 9:  # the platform's flat form
        direction = [direction[0:3], direction[3:6], direction[6:9]]
    rows = [_numbers(row, 3) for row in direction] if isinstance(direction, list) else []
    if spacing is None or origin is None or len(rows) != 3:
        return None
    built = []
    for row, offset in zip(rows, origin, strict=True):
        if row is None:
            return None
        built.append([row[0] * spacing[0], row[1] * spacing[1], row[2] * spacing[2], offset])
    return _rows(built)


def _numbers(value: object, count: int) -> list[float] | None:
    if not isinstance(value, list) or len(value) != count:
        return None
    numbers = [number(v) for v in value]
    return None if any(n is None for n in numbers) else [n for n in numbers if n is not None]


def _positive3(value: object) -> Vec3 | None:
    numbers = _numbers(value, 3)
    if numbers is None or not all(n > 0 for n in numbers):
        return None
    return numbers[0], numbers[1], numbers[2]


def _rows(rows: list[list[float]]) -> Affine | None:
    if len(rows) != 3 or not all(len(r) == 4 and all(map(math.isfinite, r)) for r in rows):
        return None
    a, b, c = ((r[0], r[1], r[2], r[3]) for r in rows)
    return a, b, c, LAST_ROW


def _column_norms(affine: Affine) -> Vec3 | None:
    i, j, k = (math.hypot(*(row[column] for row in affine[:3])) for column in range(3))
    return (i, j, k) if all(math.isfinite(n) and n > 0 for n in (i, j, k)) else None


# -- a local NIfTI image ------------------------------------------------------------------------------


def _nifti_grid(doc: Document, ctx: Context, series: dict[str, Any]) -> SeriesGrid | None:
    found = _nifti_header(doc, ctx, series)
    if found is None:
        return None
    written, header = found
    dimensions = header.spatial_shape()
    if not all(1 <= n < MAX_DIMENSION for n in dimensions):
        return None
    rows = [list(row[:4]) for row in header.affine[:3]]
    if len(rows) == 3:  # RAS (NIfTI) -> LPS (DICOM, RedBrick's world points)
        rows[0], rows[1] = [-v for v in rows[0]], [-v for v in rows[1]]
    affine = _rows(rows)
    spacing = None if affine is None else _column_norms(affine)
    return SeriesGrid(dimensions, affine, spacing, None, f"the NIfTI image `{written}`")


def _nifti_header(doc: Document, ctx: Context, series: dict[str, Any]) -> tuple[str, Header] | None:
    """The header of the series' image when `items` is one local NIfTI file that reads as one."""
    image = local_nifti_image(ctx, doc, series)
    return None if image is None else (image.written, image.header)
