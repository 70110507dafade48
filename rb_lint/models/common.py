"""Building blocks shared by the RedBrick models: strict config, tagged unions, categories."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag
from pydantic_core import PydanticCustomError
from typing_extensions import TypeAliasType

# 1..65535 written without leading zeros: the values a uint16 mask can hold, 0 being background.
INSTANCE_ID_PATTERN = (
    r"^(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$"
)

_INSTANCE_ID = re.compile(INSTANCE_ID_PATTERN)

# An object type's labelType (the taxonomy), which a task's labels are filed by: here, so that the
# items-list models do not import the taxonomy's.
LabelType = Literal[
    "BBOX", "CUBOID", "POINT", "POLYLINE", "POLYGON", "ELLIPSE", "SEGMENTATION", "LENGTH", "ANGLE"
]


# The labelType (Taxonomy V2) each label list of a series takes; measurements take theirs by `type`.
LIST_LABEL_TYPES: dict[str, LabelType] = {
    "segmentMap": "SEGMENTATION",
    "boundingBoxes": "BBOX",
    "polygons": "POLYGON",
    "polylines": "POLYLINE",
    "landmarks": "POINT",
    "landmarks3d": "POINT",
    "ellipses": "ELLIPSE",
    "cuboids": "CUBOID",
}
MEASUREMENT_LABEL_TYPES: dict[str, LabelType] = {"length": "LENGTH", "angle": "ANGLE"}


def measurement_type(value: object) -> str | None:
    """The discriminator of a measurement: its `type`."""
    kind = value.get("type") if isinstance(value, dict) else None
    return kind if kind in ("length", "angle") else None  # (a tuple: `type` may be unhashable)


def instance_id(key: str) -> int | None:
    """The mask value a segmentMap key stands for, or None when the key is no instance id
    (`"0"`, `"007"`, `"70000"`, `"²"`, `"1\\n"` are none)."""
    return int(key) if _INSTANCE_ID.fullmatch(key) else None


TYPE_TAGS: dict[type, str] = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
}


# The discriminators below run for every string-or-list field of every task (7 a task in an items
# list): one lookup each, no nested call.
_TAGS: dict[type, str] = {**TYPE_TAGS, type(None): "null"}
_NUMBER_TAGS: dict[type, str] = {**_TAGS, int: "number"}


def json_type(value: Any) -> str | None:
    """The JSON type name of a parsed value (bool is not an integer here, unlike in Python)."""
    return _TAGS.get(type(value))


def by_json_type(value: Any) -> str | None:
    return _NUMBER_TAGS.get(type(value))


def by_json_type_int_apart(value: Any) -> str | None:
    return _TAGS.get(type(value))


def tagged(
    error_type: str,
    message: str,
    chooser: Callable[[Any], str | None] = by_json_type,
) -> Discriminator:
    """A union chosen by the JSON type of the input, failing with one clear error instead of one
    per member (the validation layer maps ``error_type`` to a rule)."""
    return Discriminator(chooser, custom_error_type=error_type, custom_error_message=message)


class StrictModel(BaseModel):
    """No coercion ("1" is not 1), no unknown keys: what the platform accepts, exactly.

    Validators are built on first use (`defer_build`): a run that checks items lists builds the
    upload task's, never the export's, consensus's, taxonomy's or DataGym's (issue 17, start-up)."""

    model_config = ConfigDict(strict=True, extra="forbid", defer_build=True)


# A union that many fields share is a named alias: pydantic builds its validator once, not at every
# field (an items list's validator builds in two thirds of the time; the JSON Schema names it once).
Category = TypeAliasType(
    "Category",
    Annotated[
        Annotated[str, Tag("string")] | Annotated[int, Tag("integer")] | Annotated[list[str], Tag("array")],
        tagged(
            "category_type",
            "a category is a taxonomy name (string), a classId (integer) or a nested path (array of strings)",
            by_json_type_int_apart,
        ),
    ],
)

Number = float
StringList = Annotated[list[str], Field(min_length=1)]
StringOrList = Annotated[
    Annotated[str, Tag("string")] | Annotated[StringList, Tag("array")],
    tagged("string_or_list_type", "expected a string or a non-empty array of strings"),
]


@dataclass(frozen=True)
class ExactLength:
    """The check of `exactly`: an object, not a closure, so that `stored_checks` can name it."""

    length: int
    what: str

    def __call__(self, value: list[Any]) -> list[Any]:
        if len(value) != self.length:
            raise PydanticCustomError(
                "array_length",
                "expected {length} {what}, not {count}",
                {"length": self.length, "what": self.what, "count": len(value)},
            )
        return value


def exactly(length: int, what: str) -> AfterValidator:
    """A list of exactly ``length`` elements. Its own error type (``array_length``, not pydantic's
    ``too_short``, which reads as "must not be empty"), worded ``expected <length> <what>, not <n>``."""
    return AfterValidator(ExactLength(length, what))


def length_schema(length: int) -> Any:
    """The JSON Schema side of `exactly`: minItems and maxItems."""
    return Field(json_schema_extra={"minItems": length, "maxItems": length})
