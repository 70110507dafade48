"""Builders of export-folder tasks.json entries, shared by the export-folder tests and the identity
repository."""

from __future__ import annotations

from typing import Any


def series(
    segmentations: str | list[str],
    name: str | None = None,
    segment_map: dict[str, Any] | None = None,
    **flags: Any,
) -> dict[str, Any]:
    """A series of `ct.nii.gz` with these segmentations (segment 1 Liver unless `segment_map`)."""
    result: dict[str, Any] = {"items": "ct.nii.gz"}
    if name is not None:
        result["name"] = name
    result["segmentations"] = segmentations
    result["segmentMap"] = segment_map if segment_map is not None else {"1": "Liver"}
    result.update(flags)
    return result


def task(name: str, *all_series: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "taskId": f"id-{name}", "series": list(all_series)}


def consensus(name: str, *paths: str) -> dict[str, Any]:
    """One annotator per path (a single unnamed series each), scores left out."""
    entries = [{"updatedBy": f"user{k}@x.org", "series": [series(path)]} for k, path in enumerate(paths, 1)]
    return {"name": name, "taskId": f"id-{name}", "consensus": True, "consensusTasks": entries}
