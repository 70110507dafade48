"""Builders of DataGym exports, shared by the DataGym tests and the identity repository."""

from __future__ import annotations

from typing import Any

TRIANGLE = [{"x": 10, "y": 10}, {"x": 60, "y": 10}, {"x": 35, "y": 50}]


def label_classes(*more: dict[str, Any]) -> list[dict[str, Any]]:
    """A label class of every geometry type, a segmentation, three classifications, then `more` (new
    dictionaries each call: tests may change them)."""
    return [
        {"class_name": "car", "geometry_type": "polygon"},
        {"class_name": "bus", "geometry_type": "rectangle"},
        {"class_name": "head", "geometry_type": "point"},
        {"class_name": "lane", "geometry_type": "line"},
        {"class_name": "road", "classification_type": "image_segmentation"},
        {"class_name": "car_type", "classification_type": "select"},
        {"class_name": "weather", "classification_type": "radio"},
        {"class_name": "daytime", "classification_type": "select"},
        *more,
    ]


def dg_task(
    media_id: str = "m-1",
    name: str = "img_1.jpg",
    status: str = "completed",
    labels: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A task of the export; `extra` may hold `global_classifications` and further keys."""
    return {
        "internal_media_ID": media_id,
        "external_media_ID": name,
        "labeler": "u-1",
        "status": status,
        "global_classifications": extra.pop("global_classifications", {}),
        "labels": labels if labels is not None else {},
        **extra,
    }


def dg_object(key: str = "polygon", coords: Any = None, **extra: Any) -> dict[str, Any]:
    """A label object: its geometry under `key` (the triangle unless `coords` are given)."""
    return {
        key: TRIANGLE if coords is None else coords,
        "classifications": extra.pop("classifications", {}),
        **extra,
    }
