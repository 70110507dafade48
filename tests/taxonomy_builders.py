"""Builders of Taxonomy V2 fragments, shared by the taxonomy tests and the identity repository."""

from __future__ import annotations

from typing import Any


def attribute(
    name: str, kind: str, attr_id: int, *options: str, archived_options: tuple[str, ...] = (), **extra: Any
) -> dict[str, Any]:
    """An attribute; `extra` are further keys of the attribute itself (`archived=True` archives the
    attribute), `archived_options` the names of its options that are archived."""
    built: dict[str, Any] = {"name": name, "attrType": kind, "attrId": attr_id, **extra}
    if options:
        built["options"] = [
            {"name": option, "optionId": i, **({"archived": True} if option in archived_options else {})}
            for i, option in enumerate(options)
        ]
    return built


def object_type(category: str, class_id: Any, label_type: str, *parents: str, **extra: Any) -> dict[str, Any]:
    return {
        "category": category,
        "classId": class_id,
        "labelType": label_type,
        **({"parents": list(parents)} if parents else {}),
        **extra,
    }
