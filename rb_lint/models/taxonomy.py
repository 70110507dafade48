"""RedBrick Taxonomy V2 (``isNew: true``), after the full format reference."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Tag

from rb_lint.models.common import LabelType, StrictModel, by_json_type_int_apart, tagged

AttrType = Literal["BOOL", "TEXT", "SELECT", "MULTISELECT"]

# The SDK types it `Union[str, bool, int, List[int]]`: optionId(s) for SELECT/MULTISELECT, a boolean
# for BOOL, a string for TEXT (rule RB424 checks which fits the attribute's attrType).
DefaultValue = Annotated[
    Annotated[str, Tag("string")]
    | Annotated[bool, Tag("boolean")]
    | Annotated[int, Tag("integer")]
    | Annotated[list[int], Tag("array")],
    tagged(
        "default_value_type",
        "a defaultValue is an optionId, a list of optionIds, a boolean (BOOL) or a string (TEXT)",
        by_json_type_int_apart,
    ),
]


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
    defaultValue: DefaultValue | None = None


class ObjectType(StrictModel):
    category: str
    classId: Annotated[int, Field(ge=0)]  # 0-based: semantic masks store classId + 1
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
