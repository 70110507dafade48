"""DICOM series, their masks and their RT-STRUCT / DICOM-SEG segmentations, as the RB8xx rules read them.

Extraction only (the rules judge): which series are DICOM series, the header of each local instance
(`rb_lint.formats.dicom`, read once per document and file), the slice stack they form, the headers of the
series' NIfTI masks, and the ROI names and segments of its `.dcm` segmentations.

Paths are relative to the JSON file that names them. An item or segmentation is *local* when the path
exists on disk (`rb_lint.facts.files`); one that does not (a storage key, a URL, a file not checked
out, a Git LFS pointer whose content was not fetched, a name too long to exist) is not read, and a
check that needs every file of a series is then skipped.

Conventions:
- A voxel (i, j, k) is (column, row, slice): a mask for a DICOM series has the shape
  (Columns, Rows, number of instances), the layout of RedBrick's exporter (the SDK builds its RT-STRUCT
  masks as `zeros((Columns, Rows, len(series)))`).
- Slices are ordered by ImagePositionPatient projected on the slice normal (row cosine x column cosine),
  ascending, as rt-utils (which the SDK uses) sorts them; the origin is the first slice's position.
- DICOM patient coordinates are LPS (x to the patient's left, y to the back); a NIfTI affine is RAS, so
  `lps_affine` negates its first two rows.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rb_lint.core.context import Context
from rb_lint.facts.files import content_elsewhere, content_here
from rb_lint.formats import maskpaths, walk
from rb_lint.formats.dicom import (
    DicomHeader,
    DicomRead,
    Vec3,
    dicom_segmentations_only,
    is_dicom_item,
    read_dicom,
)
from rb_lint.formats.validation import SERIES_FLAGS
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS
from rb_lint.nifti.header import Header
from rb_lint.nifti.scan import read_header

ORIENTATION_TOLERANCE = 1e-3  # per direction cosine: instances of one volume share their orientation
NIFTI_SUFFIXES = (".nii", ".nii.gz")
Matrix = tuple[Vec3, Vec3, Vec3]  # three axis vectors (columns of a direction matrix)
Row = tuple[float, float, float, float]
Affine = tuple[Row, Row, Row, Row]


@dataclass(frozen=True)
class DicomFile:
    """One local path of a series (an item or a segmentation) and what reading it gave."""

    pointer: str  # the JSON pointer of the path string
    written: str
    path: Path
    read: DicomRead

    @property
    def header(self) -> DicomHeader | None:
        return self.read if isinstance(self.read, DicomHeader) else None


@dataclass(frozen=True)
class DicomSeries:
    """A series whose `items` are all DICOM file names; `files` are those that exist locally."""

    pointer: str
    series: dict[str, Any]
    files: tuple[DicomFile, ...]
    item_count: int  # how many items the series lists

    @property
    def headers(self) -> list[tuple[DicomFile, DicomHeader]]:
        return [(f, f.header) for f in self.files if f.header is not None]

    @property
    def complete(self) -> bool:
        """Every item is a local file that reads as DICOM."""
        return len(self.files) == self.item_count and all(f.header is not None for f in self.files)


@dataclass(frozen=True)
class SliceStack:
    """The volume a series' single-frame instances form (consistent size and orientation)."""

    columns: int
    rows: int
    axes: Matrix  # unit vectors of i (row cosine), j (column cosine) and k (the slice normal), LPS
    pixel_spacing: tuple[float, float]  # mm between columns (along i), between rows (along j)
    ordered: tuple[tuple[DicomFile, float], ...]  # instances by position along the normal (mm)
    slice_spacing: float | None  # the median distance between neighbouring slices (None: one slice)

    @property
    def origin(self) -> Vec3:
        header = self.ordered[0][0].header
        assert header is not None and header.position is not None
        return header.position

    @property
    def spacing(self) -> Vec3:
        return (*self.pixel_spacing, self.slice_spacing or 1.0)

    def affine(self) -> Affine:
        """(i, j, k, 1) -> LPS mm: each axis scaled by its spacing, the origin as the translation."""
        (si, sj, sk), origin, (i, j, k) = self.spacing, self.origin, self.axes

        def row(n: int) -> Row:
            return i[n] * si, j[n] * sj, k[n] * sk, origin[n]

        return row(0), row(1), row(2), (0.0, 0.0, 0.0, 1.0)


@dataclass(frozen=True)
class MaskHeader:
    """A local NIfTI segmentation of a series and its header (None when it cannot be read)."""

    pointer: str
    written: str
    header: Header | None


@dataclass(frozen=True)
class DicomSegmentations:
    """A series whose `segmentations` are all `.dcm` files (an RT-STRUCT or DICOM-SEG upload)."""

    pointer: str
    series: dict[str, Any]
    files: tuple[DicomFile, ...]  # those that exist locally
    count: int  # how many segmentations the series lists

    @property
    def complete(self) -> bool:
        """Every segmentation is a local file that reads as DICOM (so its ROIs are all known)."""
        return len(self.files) == self.count and all(f.header is not None for f in self.files)

    @property
    def headers(self) -> list[tuple[DicomFile, DicomHeader]]:
        """The RT-STRUCT and DICOM-SEG files among them, with their headers."""
        return [
            (f, f.header) for f in self.files if f.header is not None and f.header.kind in ("rtstruct", "seg")
        ]

    @property
    def keys(self) -> list[str]:
        """The segmentMap keys, without series flags written there (RB108 reports those; the SDK
        deletes them before converting)."""
        return [k for k in walk.segment_map(self.series) if k not in SERIES_FLAGS]


# -- files -------------------------------------------------------------------------------------------


def dicom_file(doc: Document, path: Path) -> DicomRead:
    """The header of a DICOM file, read once per document that names it (and released with the
    document: a project of a million instances does not keep a million headers)."""
    return doc.memo(read_dicom, path)


def _local_files(doc: Document, ctx: Context, pointer: str, key: str, raw: object) -> list[DicomFile]:
    found = []
    for index, written in enumerate(walk.as_list(raw)):
        if not isinstance(written, str) or not written:
            continue
        where, path, _escapes = maskpaths.resolve(doc, written, ctx.root)
        if where == maskpaths.LOCAL and path is not None and not content_elsewhere(ctx, path):
            item = walk.element_pointer(pointer, key, raw, index)
            found.append(DicomFile(item, written, path, dicom_file(doc, path)))
    return found


# -- DICOM series --------------------------------------------------------------------------------------


def dicom_series(doc: Document, ctx: Context) -> list[DicomSeries]:
    """Every series whose `items` are DICOM file names with at least one local file (once per document)."""
    return doc.memo(_dicom_series, doc, ctx)


def _dicom_series(doc: Document, ctx: Context) -> list[DicomSeries]:
    if doc.kind not in TASK_KINDS:
        return []
    found = []
    for pointer, series in walk.all_series(doc):
        raw = series.get("items")
        if type(raw) is str and not is_dicom_item(raw):
            continue  # the common case, without a list
        items = walk.as_list(raw)
        if not items or not all(isinstance(i, str) and is_dicom_item(i) for i in items):
            continue
        files = _local_files(doc, ctx, pointer, "items", raw)
        if files:
            found.append(DicomSeries(pointer, series, tuple(files), len(items)))
    return found


def series_of(doc: Document, ctx: Context, series: dict[str, Any]) -> DicomSeries | None:
    """The DICOM series for a series object of the document (None when it is none)."""
    return next((s for s in dicom_series(doc, ctx) if s.series is series), None)


def volume_shape(series: DicomSeries) -> tuple[int, int, int] | None:
    """(Columns, Rows, slices) of a complete series of one size: slices are the instances, or the
    frames of a single multi-frame instance. None when unknown or inconsistent."""
    headers = [h for _f, h in series.headers]
    if not series.complete or not headers:
        return None
    sizes = {(h.columns, h.rows) for h in headers}
    if len(sizes) != 1:
        return None
    columns, rows = sizes.pop()
    if columns is None or rows is None:
        return None
    frames = [h.frames or 1 for h in headers]
    if len(headers) == 1:
        return columns, rows, frames[0]
    return (columns, rows, len(headers)) if max(frames) == 1 else None


def slice_stack(doc: Document, ctx: Context, series: DicomSeries) -> SliceStack | None:
    """The slice stack of a complete series of single-frame images with one size, one orientation
    (within `ORIENTATION_TOLERANCE`), one pixel spacing and a position each (once per series)."""
    return doc.memo(_slice_stack, doc, ctx, series.pointer)


def _slice_stack(doc: Document, ctx: Context, pointer: str) -> SliceStack | None:
    series = next((s for s in dicom_series(doc, ctx) if s.pointer == pointer), None)
    if series is None or volume_shape(series) is None or series.headers[0][1].frames not in (None, 1):
        return None
    first = series.headers[0][1]
    if None in (first.orientation, first.pixel_spacing, first.columns, first.rows):
        return None
    assert first.orientation and first.pixel_spacing and first.columns and first.rows
    for _file, header in series.headers:
        if header.position is None or header.pixel_spacing != first.pixel_spacing:
            return None
        if not same_orientation(header, first):
            return None
    axes = _axes(first.orientation)
    if axes is None:
        return None
    ordered = sorted(
        ((f, dot(h.position, axes[2])) for f, h in series.headers if h.position is not None),
        key=lambda pair: pair[1],
    )
    gaps = [b - a for (_f, a), (_g, b) in itertools.pairwise(ordered)]
    import statistics  # only for a series of local DICOM files: not at every start-up

    spacing = statistics.median_low(gaps) if gaps else None
    row_spacing, column_spacing = first.pixel_spacing
    return SliceStack(
        first.columns, first.rows, axes, (column_spacing, row_spacing), tuple(ordered),
        spacing if spacing is not None and spacing > 0 else None,
    )  # fmt: skip


def same_orientation(header: DicomHeader, reference: DicomHeader) -> bool:
    if header.orientation is None or reference.orientation is None:
        return header.orientation == reference.orientation
    pairs = zip(header.orientation, reference.orientation, strict=True)
    return all(abs(a - b) <= ORIENTATION_TOLERANCE for a, b in pairs)


def _axes(orientation: tuple[float, ...]) -> Matrix | None:
    row, column = _unit(orientation[:3]), _unit(orientation[3:])
    if row is None or column is None:
        return None
    normal = _unit(_cross(row, column))
    return None if normal is None else (row, column, normal)


# -- masks of a DICOM series ---------------------------------------------------------------------------


def mask_headers(ctx: Context, doc: Document, series: DicomSeries) -> list[MaskHeader]:
    """The local NIfTI `segmentations` of the series, with their headers (read once per run)."""
    raw = series.series.get("segmentations")
    found = []
    for index, written in enumerate(walk.as_list(raw)):
        if not isinstance(written, str) or not written.lower().endswith(NIFTI_SUFFIXES):
            continue
        where, path, _escapes = maskpaths.resolve(doc, written, ctx.root)
        if where == maskpaths.LOCAL and path is not None and not content_elsewhere(ctx, path):
            pointer = walk.element_pointer(series.pointer, "segmentations", raw, index)
            header = ctx.memo(_nifti_header, path) if content_here(ctx, path) else None
            found.append(MaskHeader(pointer, written, header))
    return found


def _nifti_header(path: Path) -> Header | None:
    """Only the header (`rb_lint.nifti.scan.read_header`: the first chunk, bounded)."""
    try:
        result = read_header(path)
    except (OSError, ValueError):
        return None
    return None if result.problems else result.header


def lps_affine(header: Header) -> tuple[Matrix, Vec3] | None:
    """A NIfTI header's affine in LPS: its (i, j, k) axis vectors (mm per voxel) and its origin."""
    rows = [[float(v) for v in row[:4]] for row in header.affine[:3]]
    if len(rows) != 3 or not all(len(r) == 4 and all(map(math.isfinite, r)) for r in rows):
        return None
    rows[0], rows[1] = [-v for v in rows[0]], [-v for v in rows[1]]
    axes = tuple((rows[0][a], rows[1][a], rows[2][a]) for a in range(3))
    return (axes[0], axes[1], axes[2]), (rows[0][3], rows[1][3], rows[2][3])


# -- RT-STRUCT and DICOM-SEG segmentations ---------------------------------------------------------


def dicom_segmentations(doc: Document, ctx: Context) -> list[DicomSegmentations]:
    """Every series whose segmentations are all `.dcm` files (once per document)."""
    return doc.memo(_dicom_segmentations, doc, ctx)


def _dicom_segmentations(doc: Document, ctx: Context) -> list[DicomSegmentations]:
    if doc.kind not in TASK_KINDS:
        return []
    found = []
    for pointer, series in walk.all_series(doc):
        if dicom_segmentations_only(series):
            raw = series.get("segmentations")
            files = _local_files(doc, ctx, pointer, "segmentations", raw)
            found.append(DicomSegmentations(pointer, series, tuple(files), len(walk.as_list(raw))))
    return found


# -- vectors -------------------------------------------------------------------------------------------


def dot(a: Vec3, b: Vec3) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _cross(a: tuple[float, ...], b: tuple[float, ...]) -> Vec3:
    return a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]


def _unit(v: tuple[float, ...]) -> Vec3 | None:
    norm = math.sqrt(sum(x * x for x in v))
    return None if not math.isfinite(norm) or norm < 1e-6 else (v[0] / norm, v[1] / norm, v[2] / norm)


def norm(v: Vec3) -> float:
    return math.sqrt(dot(v, v))
