"""DataGym label exports, after datagym-core's `ExportServiceImpl` and the export documentation.

The export is a JSON array: element 0 is `{"label_classes": [...]}`, every further element is one
task. Elements are validated one by one (`Element` chooses the model from the keys present), so
errors land at their own element. What a schema cannot say (class references, point counts, ring
validity) is checked by the RB6xx rules.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, Tag
from typing_extensions import TypeAliasType

from rb_lint.models.common import Number, StrictModel, tagged

GEOMETRY_TYPES = ("point", "line", "polygon", "rectangle")
# `image_segmentation` is a geometry, but the exporter writes it as a classification_type.
CLASSIFICATION_TYPES = ("select", "checklist", "freetext", "image_segmentation", "radio")
STATUSES = ("completed", "skipped", "reviewed")
CLASS_NAME_PATTERN = r"^[a-zA-Z0-9_ -]{1,56}$"

GeometryType = Literal["point", "line", "polygon", "rectangle"]
ClassificationType = Literal["select", "checklist", "freetext", "image_segmentation", "radio"]
Status = Literal["completed", "skipped", "reviewed"]
# Negative or unset coordinates are exported as null; the rules report them.
Coordinate = Number | None


class LabelClass(StrictModel):
    """One entry of `label_classes`: a class name and exactly one of the two type keys."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [{"required": ["geometry_type"]}, {"required": ["classification_type"]}],
        }
    )

    # The pattern is documented in the schema and checked by RB602, which explains it better.
    class_name: Annotated[str, Field(json_schema_extra={"pattern": CLASS_NAME_PATTERN})]
    geometry_type: GeometryType | None = None
    classification_type: ClassificationType | None = None


class LabelClasses(StrictModel):
    """Element 0 of an export: the label configuration, flattened."""

    label_classes: list[LabelClass]


def _entry_kind(value: object) -> str | None:
    if value is None:
        return "null"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, dict) else None


# `[value, ..., {child: [...]}, ...]`: answers (strings; null when unanswered) then nested classes.
ClassificationValues = TypeAliasType(
    "ClassificationValues",
    "list[ClassificationEntry]",
)
ClassificationEntry = TypeAliasType(
    "ClassificationEntry",
    Annotated[
        Annotated[str, Tag("string")]
        | Annotated[None, Tag("null")]
        | Annotated[dict[str, ClassificationValues], Tag("object")],
        tagged(
            "classification_value_type",
            "a classification value is a string, null (not answered) or an object of nested classifications",
            _entry_kind,
        ),
    ],
)
Classifications = dict[str, ClassificationValues]


class Point(StrictModel):
    x: Coordinate
    y: Coordinate


class Rectangle(StrictModel):
    """Top-left corner plus size, in pixels."""

    x: Coordinate
    y: Coordinate
    w: Coordinate
    h: Coordinate


def geometry_shape(value: object) -> str | None:
    """Which of the three coordinate layouts a `geometry` value has (None: not an array)."""
    if not isinstance(value, list):
        return None
    first = value[0] if value else None
    if isinstance(first, list):
        return "rings"
    if isinstance(first, dict) and ("w" in first or "h" in first):
        return "rectangle"
    return "points"


# The documentation's spelling: one `geometry` key whose shape depends on the class's type.
AnyGeometry = Annotated[
    Annotated[list[Point], Tag("points")]
    | Annotated[list[Rectangle], Tag("rectangle")]
    | Annotated[list[list[Point]], Tag("rings")],
    tagged(
        "geometry_type", "`geometry` is an array of points, of one rectangle, or of rings", geometry_shape
    ),
]


class GeometryObject(StrictModel):
    """One labelled object. The exporter writes the coordinates under the class's type
    (`polygon`, `rectangle`, ...); the documentation shows `geometry`. Either is accepted;
    RB609 checks that there is exactly one and that it matches the class."""

    point: list[Point] | None = None
    line: list[Point] | None = None
    polygon: list[Point] | None = None
    rectangle: list[Rectangle] | None = None
    image_segmentation: list[list[Point]] | None = None
    geometry: AnyGeometry | None = None
    classifications: Classifications
    # Written on top-level objects only (DataGym nests geometries one level deep).
    nested_geometries: dict[str, list[GeometryObject]] | None = None


Labels = dict[str, list[GeometryObject]]


class _TaskCommon(StrictModel):
    labeler: str | None
    status: Status


class _ImageContent(StrictModel):
    segmentations: list[str] | None = None
    global_classifications: Classifications
    labels: Labels


class ImageTask(_ImageContent, _TaskCommon):
    """A task of an image project."""

    internal_media_ID: str
    external_media_ID: str


class LegacyImageTask(_ImageContent, _TaskCommon):
    """A task of an export written before media ids were renamed (`*_image_ID`)."""

    internal_image_ID: str
    external_image_ID: str


class VideoTask(_TaskCommon):
    """A task of a video project: labels are fetched from `task_export_url`, sizes are strings."""

    internal_media_ID: str
    external_media_ID: str
    task_export_url: str
    video_height: str | None = None
    video_width: str | None = None
    video_total_frames: str | None = None
    video_frame_rate: str | None = None
    video_duration: str | None = None


def _element_form(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    if "label_classes" in value:
        return "label-classes"
    if "internal_image_ID" in value or "external_image_ID" in value:
        return "legacy-task"
    return "video-task" if "task_export_url" in value else "task"


Element = Annotated[
    Annotated[LabelClasses, Tag("label-classes")]
    | Annotated[ImageTask, Tag("task")]
    | Annotated[LegacyImageTask, Tag("legacy-task")]
    | Annotated[VideoTask, Tag("video-task")],
    tagged("element_type", "an export element is the `label_classes` object or a task object", _element_form),
]

Export = list[Element]
