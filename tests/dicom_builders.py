"""Builders of DICOM files (CT instances, RT Structure Sets, DICOM Segmentations), written by pydicom,
shared by the DICOM tests and the identity repository. The UIDs are the caller's: random ones in the
tests, fixed ones in the identity repository (the same bytes every time)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import UID, ExplicitVRLittleEndian

CT_CLASS = "1.2.840.10008.5.1.4.1.1.2"
RT_STRUCT_CLASS = "1.2.840.10008.5.1.4.1.1.481.3"
SEG_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
PIXEL_SPACING = (0.5, 0.75)  # PixelSpacing: between rows, between columns
ORIGIN = (-10.0, -20.0, 30.0)  # the first slice's ImagePositionPatient (LPS, mm)
AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
SLICE_GAP = 5.0  # mm between the slices of a series


def save_dicom(path: Path, ds: Dataset, implementation: tuple[str, str] | None = None) -> Path:
    """`ds` (a dataset built here: it has its SOPClassUID) as a DICOM file, explicit VR little endian,
    with its file meta information; `implementation` (class UID, version name) replaces pydicom's own,
    which change with its version."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(ds.SOPClassUID)
    meta.MediaStorageSOPInstanceUID = UID(ds.SOPInstanceUID)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    if implementation is not None:
        class_uid, version_name = implementation
        meta.ImplementationClassUID, meta.ImplementationVersionName = UID(class_uid), version_name
    ds.file_meta = meta
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def ct_image(
    uid: str, series: str, z: float, *, rows: int, columns: int, orientation: tuple[float, ...] = AXIAL
) -> Dataset:
    """One CT instance (Image Plane module, zero pixels), `z` mm above the first slice at ORIGIN."""
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = UID(CT_CLASS), uid
    ds.Modality = "CT"
    ds.SeriesInstanceUID = series
    ds.ImagePositionPatient = [ORIGIN[0], ORIGIN[1], ORIGIN[2] + z]
    ds.ImageOrientationPatient = list(orientation)
    ds.PixelSpacing = list(PIXEL_SPACING)
    ds.Rows, ds.Columns = rows, columns
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PixelData = np.zeros((rows, columns), np.uint16).tobytes()
    return ds


def structure_set(
    rois: Iterable[str],
    *,
    uid: str,
    series_uid: str,
    study_uid: str,
    frame_uid: str,
    referenced_series: str,
    images: Iterable[str],
) -> Dataset:
    """An RT Structure Set with these ROI names, drawn on `images` (SOPInstanceUIDs of CT instances)
    of `referenced_series`; no contours."""
    ds = Dataset()
    ds.SOPClassUID = UID(RT_STRUCT_CLASS)
    ds.SOPInstanceUID, ds.Modality, ds.SeriesInstanceUID = uid, "RTSTRUCT", series_uid
    contour_images = []
    for image_uid in images:
        image = Dataset()
        image.ReferencedSOPClassUID, image.ReferencedSOPInstanceUID = CT_CLASS, image_uid
        contour_images.append(image)
    referenced = Dataset()
    referenced.SeriesInstanceUID = referenced_series
    referenced.ContourImageSequence = Sequence(contour_images)
    study = Dataset()
    study.ReferencedSOPInstanceUID = study_uid
    study.RTReferencedSeriesSequence = Sequence([referenced])
    frame = Dataset()
    frame.FrameOfReferenceUID = frame_uid
    frame.RTReferencedStudySequence = Sequence([study])
    ds.ReferencedFrameOfReferenceSequence = Sequence([frame])
    entries = []
    for number, name in enumerate(rois, 1):
        entry = Dataset()
        entry.ROINumber, entry.ROIName = number, name
        entries.append(entry)
    ds.StructureSetROISequence = Sequence(entries)
    ds.ROIContourSequence = Sequence([])
    return ds


def segmentation(
    labels: Iterable[str], *, uid: str, series_uid: str, referenced_series: str, rows: int, columns: int
) -> Dataset:
    """A DICOM Segmentation of `referenced_series` with these segments (numbered from 1); no frames."""
    ds = Dataset()
    ds.SOPClassUID = UID(SEG_CLASS)
    ds.SOPInstanceUID, ds.Modality, ds.SeriesInstanceUID = uid, "SEG", series_uid
    referenced = Dataset()
    referenced.SeriesInstanceUID = referenced_series
    ds.ReferencedSeriesSequence = Sequence([referenced])
    segments = []
    for number, label in enumerate(labels, 1):
        segment = Dataset()
        segment.SegmentNumber, segment.SegmentLabel = number, label
        segments.append(segment)
    ds.SegmentSequence = Sequence(segments)
    ds.Rows, ds.Columns = rows, columns
    return ds


def series_affine() -> np.ndarray:
    """The RAS (NIfTI) affine of a series of `ct_image` instances SLICE_GAP apart (a new array each call:
    callers change it): LPS flipped, i along x by 0.75 mm, j along y by 0.5 mm, k along z."""
    return np.array(
        [
            [-PIXEL_SPACING[1], 0, 0, -ORIGIN[0]],
            [0, -PIXEL_SPACING[0], 0, -ORIGIN[1]],
            [0, 0, SLICE_GAP, ORIGIN[2]],
            [0, 0, 0, 1],
        ]
    )
