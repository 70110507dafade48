"""Bounded reading of DICOM headers (pydicom, imported on first use), and which paths are DICOM.

Only the header is read, never pixel data: the file's size is checked first, then pydicom parses the
data set with `read_partial` (what `dcmread` calls, with a stop condition) keeping only the tags below
(`specific_tags`), and stops at the pixel data or at the first undefined-length element after the last
tag it needs. pydicom reads through a view of the file that counts the bytes read against a budget
(`HEADER_BUDGET`) and remembers any read or seek past the end of the file, so a header that claims
gigabytes, a truncated file, a directory or a text file named `.dcm` each give a `NotDicom` with a
reason: nothing raises and memory stays bounded by the budget.

Which paths are DICOM: item names ending in `.dcm`, `.dicom`, `.ima`, no extension or a numeric one
(UID-like names: `1.2.840.1234`); segmentation files ending in `.dcm` (an RT-STRUCT or DICOM-SEG upload).
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, cast

from rb_lint.formats import walk
from rb_lint.nifti.header import describe_foreign

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

Vec3 = tuple[float, float, float]
Orientation = tuple[float, float, float, float, float, float]
Kind = Literal["image", "rtstruct", "seg", "other"]

HEADER_BUDGET = 16 * 1024 * 1024  # bytes pydicom may read from one file (the header only)
PREAMBLE = 128
ITEM_SUFFIXES = frozenset({"dcm", "dicom", "ima", ""})
RT_STRUCT_CLASS = "1.2.840.10008.5.1.4.1.1.481.3"
SEG_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"

# (0008,0016) SOPClassUID ... (3006,0020) StructureSetROISequence, in tag order.
WANTED = (
    0x00080016, 0x00080018, 0x00080060, 0x00081115, 0x0020000E, 0x00200032, 0x00200037,
    0x00280008, 0x00280010, 0x00280011, 0x00280030, 0x00620002, 0x30060010, 0x30060020,
)  # fmt: skip
_LAST_WANTED = WANTED[-1]
_PIXEL_DATA = frozenset({0x7FE00010, 0x7FE00009, 0x7FE00008})
_UNDEFINED = 0xFFFFFFFF
_NUMERIC = re.compile(r"^\d+$")
_URL_SUFFIX = re.compile(r"[?#].*$")
_NIFTI_ENDINGS = (".nii.gz", ".nii")  # never DICOM, whatever comes before


@dataclass(frozen=True)
class Segment:
    number: int | None  # SegmentNumber (the voxel value a DICOM-SEG upload becomes)
    label: str  # SegmentLabel


@dataclass(frozen=True)
class DicomHeader:
    """What rb-lint uses of one DICOM file's header (values as written; None when absent)."""

    sop_class_uid: str | None
    sop_instance_uid: str | None
    modality: str | None
    series_instance_uid: str | None
    rows: int | None
    columns: int | None
    frames: int | None  # NumberOfFrames (absent: a single-frame instance)
    position: Vec3 | None  # ImagePositionPatient (LPS, mm)
    orientation: Orientation | None  # ImageOrientationPatient: row cosine, then column cosine
    pixel_spacing: tuple[float, float] | None  # PixelSpacing: between rows, then between columns
    rois: tuple[str, ...]  # StructureSetROISequence -> ROIName
    segments: tuple[Segment, ...]  # SegmentSequence -> SegmentNumber, SegmentLabel
    referenced_series: tuple[str, ...]  # SeriesInstanceUIDs an RT-STRUCT or SEG refers to
    referenced_instances: tuple[str, ...]  # ReferencedSOPInstanceUIDs of an RT-STRUCT's contour images
    pixel_data: bool = False  # the data set reaches a pixel data element

    @property
    def kind(self) -> Kind:
        if self.sop_class_uid == RT_STRUCT_CLASS or self.modality == "RTSTRUCT":
            return "rtstruct"
        if self.sop_class_uid == SEG_CLASS or self.modality == "SEG":
            return "seg"
        return "image" if self.rows is not None and self.columns is not None else "other"


@dataclass(frozen=True)
class NotDicom:
    """A path that is no readable DICOM file; `reason` completes "`x.dcm` ..." (`is a directory`)."""

    reason: str


DicomRead = DicomHeader | NotDicom


def suffix(written: str) -> str:
    """The lower-case extension of a path as written ("" for none or a numeric, UID-like one)."""
    if "?" in written or "#" in written:  # most paths have neither: no regular expression needed
        written = _URL_SUFFIX.sub("", written)
    name = written.rstrip("/").rsplit("/", 1)[-1].lower()
    extension = name.rsplit(".", 1)[1] if "." in name else ""
    return "" if _NUMERIC.match(extension) else extension


def is_dicom_item(written: str) -> bool:
    if written.endswith(_NIFTI_ENDINGS):  # most paths of a large list: no suffix to work out
        return False
    return suffix(written) in ITEM_SUFFIXES


def is_dicom_segmentation(written: str) -> bool:
    if written.endswith(_NIFTI_ENDINGS):
        return False
    return suffix(written) == "dcm"


def dicom_segmentations_only(series: dict[str, Any]) -> bool:
    """The series' `segmentations` are one or more paths, all `.dcm` (an RT-STRUCT or DICOM-SEG
    upload, whose segmentMap keys are ROI names or segment numbers)."""
    raw = series.get("segmentations")
    if type(raw) is str:  # the common case, without a list
        return is_dicom_segmentation(raw)
    paths = walk.as_list(raw)
    return bool(paths) and all(isinstance(p, str) and is_dicom_segmentation(p) for p in paths)


# -- reading ---------------------------------------------------------------------------------------


class _Overrun(Exception):
    pass


class _BoundedFile:
    """The file as pydicom sees it: reads count against the budget; a read or seek past the end of
    the file is remembered (the header promises more than the file holds)."""

    def __init__(self, handle: BinaryIO, size: int, budget: int) -> None:
        self._handle, self.size, self._left = handle, size, budget
        self.past_end: tuple[int, int] | None = None  # (position, bytes wanted) of the first overrun
        self.over_budget = False

    def read(self, size: int | None = -1) -> bytes:
        position = self._handle.tell()
        if size is None or size < 0:  # only a deflated data set asks for everything
            raise _Overrun("an unbounded read")
        # An 8-byte read at the very end is pydicom's end-of-data test (the next tag), a 1-byte one its
        # peek after the file meta group; any other read that wants more than is left ends inside an
        # element: the file is shorter than its header says.
        at_end_test = position == self.size and size in (1, 8)
        if position + size > self.size and not at_end_test and self.past_end is None:
            self.past_end = (position, size)
        wanted = max(0, min(size, self.size - position))
        if wanted > self._left:
            self.over_budget = True
            raise _Overrun("over budget")
        self._left -= wanted
        return self._handle.read(wanted)

    def seek(self, offset: int, whence: int = 0) -> int:
        base = (0, self._handle.tell(), self.size)[whence]
        target = base + offset
        if target > self.size and self.past_end is None:
            self.past_end = (self._handle.tell(), target - self._handle.tell())
        return self._handle.seek(max(0, min(target, self.size)))

    def tell(self) -> int:
        return self._handle.tell()


def read_dicom(path: Path, budget: int = HEADER_BUDGET) -> DicomRead:
    """The header of the DICOM file at `path`, or why it is none (never raises)."""
    try:
        if path.is_dir():
            return NotDicom("is a directory, not a DICOM file")
        if not path.is_file():  # a device or a pipe: opening it could block
            return NotDicom("is not a regular file")
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            head = handle.read(PREAMBLE + 4)
            problem = _not_dicom(head, size)
            if problem is not None:
                return NotDicom(problem)
            handle.seek(0)
            return _parse(_BoundedFile(handle, size, budget), force=head[PREAMBLE:] != b"DICM")
    except OSError as error:
        return NotDicom(f"cannot be read: {error.strerror or error}")


def _not_dicom(head: bytes, size: int) -> str | None:
    if size == 0:
        return "is empty (0 bytes), not a DICOM file"
    if head[PREAMBLE:] == b"DICM" or head[:2] == b"\x08\x00":  # or a bare data set: group 0008 first
        return None
    described = describe_foreign(head)
    if described.startswith("its header size field"):
        described = f"it has no `DICM` marker at byte {PREAMBLE}"
    return f"is not a DICOM file: {described}"


def _parse(view: _BoundedFile, force: bool) -> DicomRead:
    import pydicom.filereader

    truncated_pixels: list[tuple[int, int]] = []
    pixels: list[int] = []

    def stop(tag: int, _vr: str | None, length: int) -> bool:
        if tag in _PIXEL_DATA:
            pixels.append(tag)
            if length != _UNDEFINED and view.tell() + length > view.size:
                truncated_pixels.append((view.tell(), length))
            return True
        return tag > _LAST_WANTED and length == _UNDEFINED

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dataset = pydicom.filereader.read_partial(
                cast(BinaryIO, view), stop_when=stop, force=force, specific_tags=list(WANTED)
            )
            header = _header(dataset, bool(pixels))
    except _Overrun:
        if view.over_budget:
            return NotDicom(f"is not read: its header goes on past {HEADER_BUDGET // 1024**2} MiB")
        return NotDicom("is not read: its data set is deflated (its size is unknown before inflating it)")
    except Exception as error:  # whatever pydicom raises for a damaged file
        return NotDicom(_damaged(view, error))
    if view.past_end is not None:
        return NotDicom(_damaged(view, None))
    if truncated_pixels:
        at, length = truncated_pixels[0]
        return NotDicom(
            f"is truncated: its pixel data at byte {at:,} should be {length:,} bytes long, "
            + _ends(view.size - at)
        )
    return header


def _damaged(view: _BoundedFile, error: Exception | None) -> str:
    if view.past_end is not None:
        at, wanted = view.past_end
        return f"is truncated or damaged: at byte {at:,} its header needs {wanted:,} more bytes, " + _ends(
            view.size - at
        )
    return f"is not a readable DICOM file: {type(error).__name__}: {error}"


def _ends(left: int) -> str:
    return f"but the file ends {left:,} bytes later" if left else "but the file ends there"


def _header(ds: Dataset, pixel_data: bool) -> DicomHeader:
    return DicomHeader(
        sop_class_uid=_text(ds.get("SOPClassUID")),
        sop_instance_uid=_text(ds.get("SOPInstanceUID")),
        modality=_text(ds.get("Modality")),
        series_instance_uid=_text(ds.get("SeriesInstanceUID")),
        rows=_int(ds.get("Rows")),
        columns=_int(ds.get("Columns")),
        frames=_int(ds.get("NumberOfFrames")),
        position=_vec3(_floats(ds.get("ImagePositionPatient"), 3)),
        orientation=_orientation(_floats(ds.get("ImageOrientationPatient"), 6)),
        pixel_spacing=_pair(_floats(ds.get("PixelSpacing"), 2)),
        rois=tuple(t for item in _items(ds, "StructureSetROISequence") if (t := _text(item.get("ROIName")))),
        segments=tuple(
            Segment(_int(item.get("SegmentNumber")), _text(item.get("SegmentLabel")) or "")
            for item in _items(ds, "SegmentSequence")
        ),
        referenced_series=tuple(_referenced(ds, "SeriesInstanceUID")),
        referenced_instances=tuple(_referenced(ds, "ReferencedSOPInstanceUID")),
        pixel_data=pixel_data,
    )


def _referenced(ds: Dataset, keyword: str) -> Iterator[str]:
    """RT-STRUCT: ReferencedFrameOfReferenceSequence > RTReferencedStudySequence >
    RTReferencedSeriesSequence (> ContourImageSequence); DICOM-SEG: ReferencedSeriesSequence."""
    series = [
        s
        for frame in _items(ds, "ReferencedFrameOfReferenceSequence")
        for study in _items(frame, "RTReferencedStudySequence")
        for s in _items(study, "RTReferencedSeriesSequence")
    ]
    if keyword == "SeriesInstanceUID":
        series += _items(ds, "ReferencedSeriesSequence")
        found = (_text(s.get(keyword)) for s in series)
    else:
        found = (_text(image.get(keyword)) for s in series for image in _items(s, "ContourImageSequence"))
    yield from (uid for uid in found if uid)


def _items(ds: Dataset, keyword: str) -> list[Dataset]:
    return [cast("Dataset", item) for item in _values(ds.get(keyword)) if hasattr(item, "get")]


def _values(value: object) -> list[object]:
    """A multi-valued element or a sequence as a list; [] for anything else."""
    if value is None or isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        return []
    return list(value)


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip().rstrip("\x00").strip()
    return text or None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else _whole(value)


def _whole(value: object) -> int | None:
    try:
        number = float(str(value))
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and number.is_integer() else None


def _floats(value: object, count: int) -> list[float] | None:
    values = _values(value)
    if len(values) != count:
        return None
    try:
        numbers = [float(cast(float, v)) for v in values]
    except (TypeError, ValueError):
        return None
    return numbers if all(map(math.isfinite, numbers)) else None


def _vec3(numbers: list[float] | None) -> Vec3 | None:
    return None if numbers is None else (numbers[0], numbers[1], numbers[2])


def _pair(numbers: list[float] | None) -> tuple[float, float] | None:
    return None if numbers is None or min(numbers) <= 0 else (numbers[0], numbers[1])


def _orientation(numbers: list[float] | None) -> Orientation | None:
    if numbers is None:
        return None
    a, b, c, d, e, f = numbers
    return a, b, c, d, e, f
