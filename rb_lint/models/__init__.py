"""Pydantic models of every format rb-lint reads: the single source of truth for the schemas."""

# The redbrick-sdk release whose task types (`redbrick/types/task.py`) the task models follow: the
# RedBrick format rb-lint checks against (docs/format-notes.md lists what it has).
FORMAT_SDK_VERSION = "2.35.4"
