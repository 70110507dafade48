"""RB0xx: reading the file. The JSON loader emits all but RB007; they are registered for docs and config."""

from rb_lint.rules.parsing.byte_order_mark import byte_order_mark
from rb_lint.rules.parsing.duplicate_key import duplicate_key
from rb_lint.rules.parsing.empty_file import empty_file
from rb_lint.rules.parsing.invalid_json import invalid_json
from rb_lint.rules.parsing.invalid_utf8 import invalid_utf8
from rb_lint.rules.parsing.lfs_pointer import lfs_pointer
from rb_lint.rules.parsing.non_finite_number import non_finite_number
from rb_lint.rules.parsing.unknown_document import unknown_document
from rb_lint.rules.parsing.unreadable_file import unreadable_file

RULES = [
    invalid_json,  # RB001
    duplicate_key,  # RB002
    non_finite_number,  # RB003
    byte_order_mark,  # RB004
    invalid_utf8,  # RB005
    empty_file,  # RB006
    unknown_document,  # RB007
    unreadable_file,  # RB008
    lfs_pointer,  # RB009
]
