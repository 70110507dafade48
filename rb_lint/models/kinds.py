"""The document kinds rb-lint knows and the top-level keys that tell them apart.

Plain constants, no pydantic: detecting a document's kind (`rb_lint.io.loading`) and every rule's
`kinds=` need them, and neither should pay for building the models. The key sets are the models'
fields, written out; tests/test_startup.py checks them against the models, so a model change that
adds or removes a key fails there until the set here follows.
"""

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

# Keys the platform writes on export and never needs on upload: the fields of `ExportTask` and
# `ConsensusTask` that `UploadTask` does not have.
EXPORT_ONLY_KEYS = frozenset(
    {
        "consensus",
        "consensusScore",
        "consensusTasks",
        "createdAt",
        "createdBy",
        "currentStageName",
        "datapointClassification",
        "labelsId",
        "status",
        "storageId",
        "superTruth",
        "taskId",
        "updatedAt",
        "updatedBy",
        "updatedByUserId",
    }
)
# The `UploadTask` fields that mark a task list (not the optional `classification`, `metaData`,
# `priority`, `preAssign`), `items` on a task (instead of its series: a common mistake that still
# marks a task list) and the export-only keys.
TASK_KEYS = frozenset({"name", "series", "items"}) | EXPORT_ONLY_KEYS
# Taxonomy V2 keys no task has (fields of the `Taxonomy` model), and V1's `categories` tree.
TAXONOMY_KEYS = frozenset({"objectTypes", "studyClassify", "seriesClassify", "instanceClassify", "isNew"})
TAXONOMY_KEYS |= {"categories"}


def is_consensus_task(task: Any) -> bool:
    return isinstance(task, dict) and task.get("consensus") is True
