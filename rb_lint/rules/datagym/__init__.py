"""RB6xx: DataGym label exports: label classes, tasks, class references, geometry validity.

The structure rules (RB101-RB104) validate each element against `rb_lint.models.datagym`; these
rules check what a schema cannot express, from the export read once (`rb_lint.facts.datagym`).
"""

from rb_lint.rules.datagym.coordinate_out_of_bounds import coordinate_out_of_bounds
from rb_lint.rules.datagym.cut_out_erases_instance import cut_out_erases_instance
from rb_lint.rules.datagym.degenerate_rectangle import degenerate_rectangle
from rb_lint.rules.datagym.duplicate_class_name import duplicate_class_name
from rb_lint.rules.datagym.duplicate_media_id import duplicate_media_id
from rb_lint.rules.datagym.duplicate_media_name import duplicate_media_name
from rb_lint.rules.datagym.geometry_key_mismatch import geometry_key_mismatch
from rb_lint.rules.datagym.invalid_class_name import invalid_class_name
from rb_lint.rules.datagym.invalid_class_type_keys import invalid_class_type_keys
from rb_lint.rules.datagym.invalid_cut_out import invalid_cut_out
from rb_lint.rules.datagym.invalid_export_element import invalid_export_element
from rb_lint.rules.datagym.invalid_ring import invalid_ring
from rb_lint.rules.datagym.labels_on_skipped_task import labels_on_skipped_task
from rb_lint.rules.datagym.malformed_classification import malformed_classification
from rb_lint.rules.datagym.nested_geometry_too_deep import nested_geometry_too_deep
from rb_lint.rules.datagym.non_integer_coordinate import non_integer_coordinate
from rb_lint.rules.datagym.null_coordinate import null_coordinate
from rb_lint.rules.datagym.unanswered_required_classification import unanswered_required_classification
from rb_lint.rules.datagym.undefined_class import undefined_class
from rb_lint.rules.datagym.wrong_class_kind import wrong_class_kind
from rb_lint.rules.datagym.wrong_point_count import wrong_point_count

RULES = [
    invalid_export_element,  # RB600
    invalid_class_type_keys,  # RB601
    invalid_class_name,  # RB602
    duplicate_class_name,  # RB603
    duplicate_media_id,  # RB604
    duplicate_media_name,  # RB605
    labels_on_skipped_task,  # RB606
    undefined_class,  # RB607
    wrong_class_kind,  # RB608
    geometry_key_mismatch,  # RB609
    nested_geometry_too_deep,  # RB610
    wrong_point_count,  # RB611
    degenerate_rectangle,  # RB612
    null_coordinate,  # RB613
    non_integer_coordinate,  # RB614
    invalid_ring,  # RB615
    invalid_cut_out,  # RB616
    cut_out_erases_instance,  # RB617
    coordinate_out_of_bounds,  # RB618
    malformed_classification,  # RB619
    unanswered_required_classification,  # RB620
]
