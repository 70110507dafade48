"""RB3xx: segmentation files exist, are NIfTI volumes the platform reads, and hold what `segmentMap` says."""

from rb_lint.rules.masks.binary_mask_entry_unmatched import binary_mask_entry_unmatched
from rb_lint.rules.masks.binary_mask_file_claimed_twice import binary_mask_file_claimed_twice
from rb_lint.rules.masks.binary_mask_file_unclaimed import binary_mask_file_unclaimed
from rb_lint.rules.masks.binary_mask_not_binary import binary_mask_not_binary
from rb_lint.rules.masks.corrupt_mask_data import corrupt_mask_data
from rb_lint.rules.masks.empty_mask import empty_mask
from rb_lint.rules.masks.float_mask import float_mask
from rb_lint.rules.masks.mask_compression_mismatch import mask_compression_mismatch
from rb_lint.rules.masks.mask_entry_without_binarymask import mask_entry_without_binarymask
from rb_lint.rules.masks.mask_file_missing import mask_file_missing
from rb_lint.rules.masks.mask_grid_mismatch import mask_grid_mismatch
from rb_lint.rules.masks.mask_image_grid_mismatch import mask_image_grid_mismatch
from rb_lint.rules.masks.mask_not_3d import mask_not_3d
from rb_lint.rules.masks.mask_outside_root import mask_outside_root
from rb_lint.rules.masks.mask_scaling import mask_scaling
from rb_lint.rules.masks.mask_too_large import mask_too_large
from rb_lint.rules.masks.mask_values_out_of_range import mask_values_out_of_range
from rb_lint.rules.masks.mask_without_orientation import mask_without_orientation
from rb_lint.rules.masks.non_integral_mask_values import non_integral_mask_values
from rb_lint.rules.masks.not_a_nifti_volume import not_a_nifti_volume
from rb_lint.rules.masks.overlapping_group_collision import overlapping_group_collision
from rb_lint.rules.masks.remote_mask_not_checked import remote_mask_not_checked
from rb_lint.rules.masks.segment_id_not_in_masks import segment_id_not_in_masks
from rb_lint.rules.masks.unmapped_mask_values import unmapped_mask_values
from rb_lint.rules.masks.unsupported_mask_dtype import unsupported_mask_dtype

RULES = [
    mask_file_missing,  # RB301
    mask_outside_root,  # RB302
    remote_mask_not_checked,  # RB303
    segment_id_not_in_masks,  # RB304
    unmapped_mask_values,  # RB305
    binary_mask_entry_unmatched,  # RB306
    binary_mask_file_claimed_twice,  # RB307
    binary_mask_file_unclaimed,  # RB308
    binary_mask_not_binary,  # RB309
    mask_entry_without_binarymask,  # RB310
    overlapping_group_collision,  # RB311
    not_a_nifti_volume,  # RB312
    mask_compression_mismatch,  # RB313
    mask_not_3d,  # RB314
    unsupported_mask_dtype,  # RB315
    float_mask,  # RB316
    non_integral_mask_values,  # RB317
    mask_scaling,  # RB318
    mask_values_out_of_range,  # RB319
    empty_mask,  # RB320
    mask_without_orientation,  # RB321
    corrupt_mask_data,  # RB322
    mask_too_large,  # RB323
    mask_grid_mismatch,  # RB324
    mask_image_grid_mismatch,  # RB325
]
