"""Builders of Taxonomy V2 fragments and the taxonomies shared by the taxonomy tests and the identity
repository."""

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


def glioma(*attributes: dict[str, Any]) -> dict[str, Any]:
    """The object type `Brain > Tumor > Glioma` (classId 0, a segmentation) with these attributes."""
    return object_type("Glioma", 0, "SEGMENTATION", "Brain", "Tumor", attributes=list(attributes))


def taxonomy(name: str, *object_types: dict[str, Any]) -> dict[str, Any]:
    """The V2 taxonomy labels are checked against (a new one each call: tests may change it): a
    classification at every level, a Glioma with an attribute of every kind (an archived option, an
    archived attribute), brain and abdomen segmentations (`Metastasis` under both, `Tumor core`
    archived), a box, a length, an angle and a point with classIds 0 to 11, then `object_types`."""
    return {
        "name": name,
        "isNew": True,
        "studyClassify": [attribute("Study quality", "SELECT", 0, "Diagnostic", "Limited")],
        "seriesClassify": [attribute("Artifacts", "MULTISELECT", 0, "Motion", "Metal")],
        "instanceClassify": [attribute("Key slice", "BOOL", 0)],
        "objectTypes": [
            glioma(
                attribute(
                    "Grade",
                    "SELECT",
                    0,
                    "Low grade",
                    "High grade",
                    "Old grade",
                    archived_options=("Old grade",),
                ),
                attribute("IDH mutant", "BOOL", 1),
                attribute("Comment", "TEXT", 2),
                attribute("Findings", "MULTISELECT", 3, "Cyst", "Mass"),
                attribute("Legacy flag", "BOOL", 4, archived=True),
            ),
            object_type("Edema", 1, "SEGMENTATION", "Brain", "Tumor"),
            object_type("Necrosis", 2, "SEGMENTATION", "Brain", "Tumor"),
            object_type("Enhancing tumor", 3, "SEGMENTATION", "Brain", "Tumor"),
            object_type("Metastasis", 4, "SEGMENTATION", "Brain", "Tumor"),
            object_type("Metastasis", 5, "SEGMENTATION", "Abdomen"),
            object_type("Liver", 6, "SEGMENTATION", "Abdomen"),
            object_type("Lymph node", 7, "BBOX", "Abdomen"),
            object_type("Tumor core", 8, "SEGMENTATION", "Brain", archived=True),
            object_type("Midline shift", 9, "LENGTH"),
            object_type("Cobb angle", 10, "ANGLE"),
            object_type("Kidney stone", 11, "POINT"),
            *object_types,
        ],
    }


def legacy_taxonomy() -> dict[str, Any]:
    """A V1 (legacy) taxonomy, `Brain > Glioma` and `Liver` (a new one each call)."""
    return {
        "name": "Legacy",
        "isNew": False,
        "version": 1,
        "categories": [
            {
                "name": "object",
                "children": [
                    {
                        "name": "Brain",
                        "classId": 0,
                        "children": [{"name": "Glioma", "classId": 1, "children": []}],
                    },
                    {"name": "Liver", "classId": 2, "children": []},
                ],
            }
        ],
        "attributes": [],
        "taskCategories": [],
        "taskAttributes": [],
        "colorMap": [],
    }
