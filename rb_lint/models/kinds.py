"""The document kinds rb-lint knows and the top-level keys that tell them apart, taken from the models."""

from __future__ import annotations

from typing import Any

from rb_lint.models.tasks import ConsensusTask, ExportTask, UploadTask
from rb_lint.models.taxonomy import Taxonomy

ITEMS_LIST = "items-list"
TASKS_EXPORT = "tasks-export"
TAXONOMY = "taxonomy"
DATAGYM = "datagym"
UNKNOWN = "unknown"
KINDS = (ITEMS_LIST, TASKS_EXPORT, TAXONOMY, DATAGYM)
# Old spellings still accepted (`rb-lint schema tasks` named the tasks-export schema): hidden and deprecated.
KIND_ALIASES = {"tasks": TASKS_EXPORT}
TASK_KINDS = (ITEMS_LIST, TASKS_EXPORT)

# Keys the platform writes on export and never needs on upload.
EXPORT_ONLY_KEYS = frozenset(ExportTask.model_fields) | frozenset(ConsensusTask.model_fields)
EXPORT_ONLY_KEYS -= frozenset(UploadTask.model_fields)
# `items` on a task (instead of its series) is a common mistake that still marks a task list.
TASK_KEYS = frozenset(UploadTask.model_fields) - {"classification", "metaData", "priority", "preAssign"}
TASK_KEYS |= {"items"} | EXPORT_ONLY_KEYS
# Taxonomy V2 keys no task has, and V1's `categories` tree.
TAXONOMY_KEYS = frozenset({"objectTypes", "studyClassify", "seriesClassify", "instanceClassify", "isNew"})
TAXONOMY_KEYS |= {"categories"}
if not TAXONOMY_KEYS - {"categories"} <= Taxonomy.model_fields.keys():  # pragma: no cover
    raise RuntimeError("TAXONOMY_KEYS names a key the Taxonomy model does not have")


def is_consensus_task(task: Any) -> bool:
    return isinstance(task, dict) and task.get("consensus") is True
