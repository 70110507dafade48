"""RB8xx: DICOM series as images (instances, slice stack, masks on them) and RT-STRUCT / DICOM-SEG
segmentations (ROI names and segments against the segmentMap, references to the series)."""

from rb_lint.rules.dicom.dicom_slice_gap import dicom_slice_gap
from rb_lint.rules.dicom.duplicate_dicom_instance import duplicate_dicom_instance
from rb_lint.rules.dicom.inconsistent_dicom_orientation import inconsistent_dicom_orientation
from rb_lint.rules.dicom.inconsistent_dicom_size import inconsistent_dicom_size
from rb_lint.rules.dicom.mask_series_geometry_mismatch import mask_series_geometry_mismatch
from rb_lint.rules.dicom.mask_series_shape_mismatch import mask_series_shape_mismatch
from rb_lint.rules.dicom.mixed_dicom_series import mixed_dicom_series
from rb_lint.rules.dicom.referenced_series_mismatch import referenced_series_mismatch
from rb_lint.rules.dicom.stale_roi_key import stale_roi_key
from rb_lint.rules.dicom.unmapped_roi import unmapped_roi
from rb_lint.rules.dicom.unreadable_dicom import unreadable_dicom
from rb_lint.rules.dicom.wrong_dicom_kind import wrong_dicom_kind

RULES = [
    unreadable_dicom,  # RB800
    mixed_dicom_series,  # RB801
    inconsistent_dicom_size,  # RB802
    inconsistent_dicom_orientation,  # RB803
    duplicate_dicom_instance,  # RB804
    dicom_slice_gap,  # RB805
    mask_series_shape_mismatch,  # RB806
    mask_series_geometry_mismatch,  # RB807
    stale_roi_key,  # RB808
    unmapped_roi,  # RB809
    referenced_series_mismatch,  # RB810
    wrong_dicom_kind,  # RB811
]
