"""Builders of consensus tasks.json exports, shared by the consensus tests and the identity repository."""

from __future__ import annotations

from typing import Any

A, B, C = "a@x.org", "b@x.org", "c@x.org"


def entry(
    by: str,
    scores: list[tuple[str, Any]] | None = None,
    key: str = "secondaryUser",
    series: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One annotator's entry of `consensusTasks`: `scores` are (other annotator, score) pairs, written
    under `key`; the series default to one T1."""
    annotator: dict[str, Any] = {
        "updatedBy": by,
        "updatedAt": "2024-05-02T10:00:00Z",
        "series": series if series is not None else [{"name": "T1", "items": "ct.nii.gz"}],
    }
    if scores is not None:
        annotator["scores"] = [{key: user, "score": value} for user, value in scores]
    return annotator


def consensus(
    entries: list[dict[str, Any]], overall: Any = 84.0, name: str = "Task_001", **extra: Any
) -> dict[str, Any]:
    """A consensus task in review with these entries; `overall` is its `consensusScore` (None: left
    out), `extra` further keys of the task."""
    task: dict[str, Any] = {
        "name": name,
        "taskId": f"id-{name}",
        "currentStageName": "Review",
        "consensus": True,
    }
    if overall is not None:
        task["consensusScore"] = overall
    task["consensusTasks"] = entries
    task.update(extra)
    return task


def complete(overall: Any = 84.0, name: str = "Task_001") -> dict[str, Any]:
    """Three annotators, every pair scored both ways, symmetric."""
    return consensus(
        [
            entry(A, [(B, 84.0), (C, 80.5)]),
            entry(B, [(A, 84.0), (C, 87.5)]),
            entry(C, [(A, 80.5), (B, 87.5)]),
        ],
        overall,
        name,
    )
