"""RB1xx: items lists and tasks.json conform to the RedBrick format."""

from rb_lint.rules.structure.invalid_category import invalid_category
from rb_lint.rules.structure.invalid_instance_id import invalid_instance_id
from rb_lint.rules.structure.invalid_value import invalid_value
from rb_lint.rules.structure.mask_flag_in_segmentmap import mask_flag_in_segmentmap
from rb_lint.rules.structure.missing_required_key import missing_required_key
from rb_lint.rules.structure.multi_file_volume_items import multi_file_volume_items
from rb_lint.rules.structure.non_string_metadata import non_string_metadata
from rb_lint.rules.structure.not_a_task_list import not_a_task_list
from rb_lint.rules.structure.pngmask_without_binarymask import pngmask_without_binarymask
from rb_lint.rules.structure.priority_out_of_range import priority_out_of_range
from rb_lint.rules.structure.segmentations_without_segmentmap import segmentations_without_segmentmap
from rb_lint.rules.structure.segmentmap_without_segmentations import segmentmap_without_segmentations
from rb_lint.rules.structure.task_level_segmentmap import task_level_segmentmap
from rb_lint.rules.structure.unknown_key import unknown_key
from rb_lint.rules.structure.unsupported_item_type import unsupported_item_type
from rb_lint.rules.structure.wrong_type import wrong_type

RULES = [
    not_a_task_list,  # RB100
    missing_required_key,  # RB101
    wrong_type,  # RB102
    unknown_key,  # RB103
    invalid_value,  # RB104
    segmentations_without_segmentmap,  # RB105
    segmentmap_without_segmentations,  # RB106
    task_level_segmentmap,  # RB107
    mask_flag_in_segmentmap,  # RB108
    pngmask_without_binarymask,  # RB109
    multi_file_volume_items,  # RB110
    unsupported_item_type,  # RB111
    priority_out_of_range,  # RB112
    non_string_metadata,  # RB113
    invalid_instance_id,  # RB114
    invalid_category,  # RB115
]
