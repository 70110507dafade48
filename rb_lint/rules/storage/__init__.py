"""RB9xx: the items and masks a document names exist in their storage, and the storage answers."""

from rb_lint.rules.storage.item_file_missing import item_file_missing
from rb_lint.rules.storage.storage_unreachable import storage_unreachable

RULES = [
    item_file_missing,  # RB900
    storage_unreachable,  # RB901
]
