"""RB4xx: categories, label types, attributes and semantic ids against the project's taxonomy, and
the taxonomy's own consistency."""

from rb_lint.rules.taxonomy.ambiguous_category import ambiguous_category
from rb_lint.rules.taxonomy.archived_attribute import archived_attribute
from rb_lint.rules.taxonomy.archived_category import archived_category
from rb_lint.rules.taxonomy.duplicate_attribute import duplicate_attribute
from rb_lint.rules.taxonomy.duplicate_category_path import duplicate_category_path
from rb_lint.rules.taxonomy.duplicate_class_id import duplicate_class_id
from rb_lint.rules.taxonomy.duplicate_option import duplicate_option
from rb_lint.rules.taxonomy.inconsistent_parents import inconsistent_parents
from rb_lint.rules.taxonomy.invalid_attribute_value import invalid_attribute_value
from rb_lint.rules.taxonomy.invalid_default_value import invalid_default_value
from rb_lint.rules.taxonomy.label_type_mismatch import label_type_mismatch
from rb_lint.rules.taxonomy.legacy_taxonomy import legacy_taxonomy
from rb_lint.rules.taxonomy.no_taxonomy import no_taxonomy
from rb_lint.rules.taxonomy.select_without_options import select_without_options
from rb_lint.rules.taxonomy.semantic_instance_id import semantic_instance_id
from rb_lint.rules.taxonomy.unknown_attribute import unknown_attribute
from rb_lint.rules.taxonomy.unknown_category import unknown_category

RULES = [
    no_taxonomy,  # RB400
    legacy_taxonomy,  # RB401
    unknown_category,  # RB402
    ambiguous_category,  # RB403
    archived_category,  # RB404
    label_type_mismatch,  # RB405
    unknown_attribute,  # RB406
    invalid_attribute_value,  # RB407
    archived_attribute,  # RB408
    semantic_instance_id,  # RB409
    duplicate_class_id,  # RB420
    duplicate_category_path,  # RB421
    duplicate_attribute,  # RB422
    duplicate_option,  # RB423
    invalid_default_value,  # RB424
    inconsistent_parents,  # RB425
    select_without_options,  # RB426
]
