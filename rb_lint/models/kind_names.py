"""The names of the document kinds rb-lint knows: plain strings, no models, so that the command line
can offer them (`--kind`, `rb-lint schema KIND`) without importing pydantic. `rb_lint.models.kinds`
re-exports them beside the keys that tell the kinds apart; a test checks them against the schemas."""

from __future__ import annotations

ITEMS_LIST = "items-list"
TASKS_EXPORT = "tasks-export"
TAXONOMY = "taxonomy"
DATAGYM = "datagym"
UNKNOWN = "unknown"
KINDS = (ITEMS_LIST, TASKS_EXPORT, TAXONOMY, DATAGYM)
# Old spellings still accepted (`rb-lint schema tasks` named the tasks-export schema): hidden and deprecated.
KIND_ALIASES = {"tasks": TASKS_EXPORT}
TASK_KINDS = (ITEMS_LIST, TASKS_EXPORT)
