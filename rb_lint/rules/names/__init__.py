"""RB2xx: names the platform and the exporter rely on being unique."""

from rb_lint.rules.names.duplicate_series_name import duplicate_series_name
from rb_lint.rules.names.duplicate_task_name import duplicate_task_name
from rb_lint.rules.names.repeated_instance_id import repeated_instance_id
from rb_lint.rules.names.series_file_name_collision import series_file_name_collision
from rb_lint.rules.names.task_folder_collision import task_folder_collision

RULES = [
    duplicate_task_name,  # RB201
    duplicate_series_name,  # RB202
    series_file_name_collision,  # RB203
    repeated_instance_id,  # RB204
    task_folder_collision,  # RB205
]
