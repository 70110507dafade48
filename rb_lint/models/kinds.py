"""The document kinds rb-lint knows and the top-level keys that tell them apart, taken from the models."""

from __future__ import annotations

from typing import Any

from rb_lint.models.kind_names import (
    DATAGYM,
    ITEMS_LIST,
    KIND_ALIASES,
    KINDS,
    TASK_KINDS,
    TASKS_EXPORT,
    TAXONOMY,
    UNKNOWN,
)
from rb_lint.models.tasks import ConsensusTask, ExportTask, UploadTask
from rb_lint.models.taxonomy import Taxonomy

# The kind names are defined (without pydantic) in kind_names, for the command line; used here as before.
__all__ = [
    "DATAGYM",
    "EXPORT_ONLY_KEYS",
    "ITEMS_LIST",
    "KINDS",
    "KIND_ALIASES",
    "TASKS_EXPORT",
    "TASK_KEYS",
    "TASK_KINDS",
    "TAXONOMY",
    "TAXONOMY_KEYS",
    "UNKNOWN",
    "is_consensus_task",
]

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
