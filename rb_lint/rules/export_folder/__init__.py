"""RB550–RB599: export folders — a `tasks.json` beside `segmentations/`, checked as a whole.

A missing file is RB301's business (mask scanning).
"""

from rb_lint.rules.export_folder.consensus_file_index import consensus_file_index
from rb_lint.rules.export_folder.export_path_layout import export_path_layout
from rb_lint.rules.export_folder.mask_file_id_mismatch import mask_file_id_mismatch
from rb_lint.rules.export_folder.orphan_segmentation_file import orphan_segmentation_file

RULES = [
    orphan_segmentation_file,  # RB550
    export_path_layout,  # RB551
    consensus_file_index,  # RB552
    mask_file_id_mismatch,  # RB553
]
