"""RedBrick Taxonomy V2 (``isNew: true``), after the full format reference."""

from __future__ import annotations

from typing import Literal

from rb_lint.models.common import StrictModel

LabelType = Literal[
    "BBOX", "CUBOID", "POINT", "POLYLINE", "POLYGON", "ELLIPSE", "SEGMENTATION", "LENGTH", "ANGLE"
]
AttrType = Literal["BOOL", "TEXT", "SELECT", "MULTISELECT"]


class AttributeOption(StrictModel):
    name: str
    optionId: int
    color: str | None = None
    archived: bool | None = None


class Attribute(StrictModel):
    name: str
    attrType: AttrType
    attrId: int
    options: list[AttributeOption] | None = None
    archived: bool | None = None
    parents: list[str] | None = None
    hint: str | None = None
    defaultValue: int | list[int] | None = None


class ObjectType(StrictModel):
    category: str
    classId: int
    labelType: LabelType
    attributes: list[Attribute] | None = None
    color: str | None = None
    archived: bool | None = None
    parents: list[str] | None = None
    hint: str | None = None


class Taxonomy(StrictModel):
    """A Taxonomy V2 document, as `redbrick` exports and creates it."""

    name: str
    orgId: str | None = None
    taxId: str | None = None
    createdAt: str | None = None
    archived: bool | None = None
    isNew: bool | None = None
    studyClassify: list[Attribute] | None = None
    seriesClassify: list[Attribute] | None = None
    instanceClassify: list[Attribute] | None = None
    objectTypes: list[ObjectType]
