"""RedBrick items lists (upload) and tasks.json (export): the full format reference, and the task
types (`redbrick/types/task.py`) of the redbrick-sdk release `rb_lint.models.FORMAT_SDK_VERSION` names
(docs/format-notes.md says what they have and what rb-lint does with them).

These models are the single source of truth: the JSON Schemas in `schemas/` are generated from
them, and the structure rules report their validation errors.
"""

# No `from __future__ import annotations`: pydantic evaluates every field's annotation when a model
# is defined, and strings would each be compiled first (~2 ms of every run's start-up, issue 17).
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, StringConstraints, Tag
from typing_extensions import TypeAliasType

from rb_lint.models.common import (
    INSTANCE_ID_PATTERN,
    LIST_LABEL_TYPES,
    MEASUREMENT_LABEL_TYPES,
    Category,
    LabelType,
    Number,
    StrictModel,
    StringOrList,
    by_json_type_int_apart,
    exactly,
    length_schema,
    measurement_type,
    tagged,
)

Vector3 = Annotated[list[Number], exactly(3, "numbers"), length_schema(3)]
Row3 = Annotated[list[Number], exactly(3, "numbers in a row"), length_schema(3)]
Row4 = Annotated[list[Number], exactly(4, "numbers in a row"), length_schema(4)]
Matrix3 = Annotated[list[Row3], exactly(3, "rows"), length_schema(3)]
Matrix4 = Annotated[list[Row4], exactly(4, "rows"), length_schema(4)]


class Point2D(StrictModel):
    xNorm: Number
    yNorm: Number


class VoxelPoint(StrictModel):
    i: Number
    j: Number
    k: Number


class WorldPoint(StrictModel):
    x: Number
    y: Number
    z: Number


class VideoMetaData(StrictModel):
    """Where a label sits along a series' third axis: video frames, or slices of a volume."""

    seriesItemIndex: int | None = None  # the file of the series' `items` the label is on
    seriesFrameIndex: int | None = None  # the frame within a multi-frame file (NIfTI, multi-frame DICOM)
    frameIndex: int | None = None
    trackId: str | None = None
    keyFrame: bool | int | None = None
    endTrack: bool | None = None
    endFrame: bool | None = None  # the format reference's name for `endTrack`


class MeasurementStats(StrictModel):
    average: Number
    area: Number | None = None
    volume: Number | None = None
    minimum: Number
    maximum: Number
    intensityunit: str | None = None


class AttributeV2(StrictModel):
    attrId: int | None = None
    name: str | None = None
    optionId: int | list[int] | None = None
    value: str | bool | list[str] | None = None


# Named aliases, as `Category`: each union's validator is built once, however many labels use it.
AttributeValue = TypeAliasType(
    "AttributeValue",
    Annotated[
        Annotated[str, Tag("string")]
        | Annotated[Number, Tag("number")]
        | Annotated[bool, Tag("boolean")]
        | Annotated[list[str], Tag("array")],
        tagged(
            "attribute_value_type", "an attribute value is a string, a number, a boolean or a list of strings"
        ),
    ],
)
AttributeValues = dict[str, AttributeValue]

Attributes = TypeAliasType(
    "Attributes",
    Annotated[
        Annotated[list[AttributeV2], Tag("array")] | Annotated[AttributeValues, Tag("object")],
        tagged(
            "attributes_type",
            "attributes are a list of {attrId, name, optionId, value} "
            "(Taxonomy V2) or an object of name: value (Taxonomy V1)",
        ),
    ],
)


class CommentPin(StrictModel):
    """Where a comment is pinned on the image."""

    pointX: Number
    pointY: Number
    pointZ: Number
    frameIndex: int | None = None
    volumeIndex: int | None = None


class Comment(StrictModel):
    """The object form of a label's `comment`."""

    text: str
    pin: CommentPin | None = None


CommentValue = TypeAliasType(
    "CommentValue",
    Annotated[
        Annotated[str, Tag("string")] | Annotated[Comment, Tag("object")],
        tagged("comment_type", "a comment is a string or an object {text, pin?}"),
    ],
)


class LabelProps(StrictModel):
    """What every label entity may carry: its id, its linked-label group, read-only, a comment."""

    id: str | None = None
    group: str | None = None
    readOnly: bool | None = None
    comment: CommentValue | None = None


class Label(LabelProps):
    category: Category
    attributes: Attributes | None = None


class VideoLabel(Label):
    video: VideoMetaData | None = None


class Landmark(VideoLabel):
    point: Point2D


class Landmark3D(Label):
    point: VoxelPoint | None = None
    absolutePoint: WorldPoint | None = None


class MeasureLength(Label):
    type: Literal["length"]
    point1: VoxelPoint
    point2: VoxelPoint
    absolutePoint1: WorldPoint | None = None
    absolutePoint2: WorldPoint | None = None
    normal: Vector3 | None = None
    length: Number | None = None


class MeasureAngle(Label):
    type: Literal["angle"]
    point1: VoxelPoint
    point2: VoxelPoint
    vertex: VoxelPoint
    absolutePoint1: WorldPoint | None = None
    absolutePoint2: WorldPoint | None = None
    absoluteVertex: WorldPoint | None = None
    normal: Vector3 | None = None
    angle: Number | None = None


Measurement = Annotated[
    Annotated[MeasureLength, Tag("length")] | Annotated[MeasureAngle, Tag("angle")],
    tagged(
        "measurement_type", 'a measurement is an object with `type` "length" or "angle"', measurement_type
    ),
]


class BoundingBox(VideoLabel):
    pointTopLeft: Point2D
    wNorm: Number
    hNorm: Number
    stats: MeasurementStats | None = None


class Cuboid(Label):
    point1: VoxelPoint | None = None
    point2: VoxelPoint | None = None
    absolutePoint1: WorldPoint | None = None
    absolutePoint2: WorldPoint | None = None
    stats: MeasurementStats | None = None


class Ellipse(VideoLabel):
    pointCenter: Point2D
    xRadiusNorm: Number
    yRadiusNorm: Number
    rotationRad: Number
    stats: MeasurementStats | None = None


class Polygon(VideoLabel):
    points: list[Point2D]
    stats: MeasurementStats | None = None


class Polyline(VideoLabel):
    points: list[Point2D]


class Classification(LabelProps):
    """A study (task), series or datapoint classification."""

    category: Category | None = None
    attributes: Attributes | None = None
    video: VideoMetaData | None = None


class InstanceClassification(LabelProps):
    """A frame-by-frame (video) or slice-by-slice (volume) classification."""

    fileIndex: int
    fileName: str | None = None
    values: AttributeValues


class SegmentEntry(StrictModel):
    """The object form of a segmentMap value."""

    category: Category
    attributes: Attributes | None = None
    mask: StringOrList | None = None
    overlappingGroups: list[int] | None = None
    group: str | None = None
    id: str | None = None
    readOnly: bool | None = None
    comment: CommentValue | None = None


SegmentValue = Annotated[
    Annotated[str, Tag("string")]
    | Annotated[int, Tag("integer")]
    | Annotated[list[str], Tag("array")]
    | Annotated[SegmentEntry, Tag("object")],
    tagged(
        "category_type",
        "a segmentMap value is a category (name, classId or nested path) or an object "
        "{category, attributes?, mask?}",
        by_json_type_int_apart,  # an integer is a classId
    ),
]

InstanceId = Annotated[str, StringConstraints(pattern=INSTANCE_ID_PATTERN)]
SegmentMap = dict[InstanceId, SegmentValue]
MetaData = dict[str, str]


class ImageHeaders(StrictModel):
    """The image grid of a series, as the platform read it (exports)."""

    dimensions: list[int] | None = None
    spacing: list[Number] | None = None
    origin: list[Number] | None = None
    direction: Matrix3 | None = None
    totalFrames: int | None = None
    affine: Matrix4 | None = None


class HeatMap(StrictModel):
    name: str | None = None
    item: str
    preset: str | None = None
    dataRange: list[Number] | None = None
    opacityPoints: list[Number] | None = None
    opacityPoints3d: list[Number] | None = None
    rgbPoints: list[Number] | None = None


class Transform(StrictModel):
    transform: Matrix4


class Centerline(StrictModel):
    name: str
    centerline: dict[str, Any]


class Series(StrictModel):
    items: StringOrList
    name: str | None = None
    imageHeaders: ImageHeaders | None = None
    segmentations: StringOrList | None = None
    segmentMap: dict[InstanceId, SegmentValue] | None = None
    heatMaps: list[HeatMap] | None = None
    transforms: list[Transform] | None = None
    centerline: list[Centerline] | None = None
    binaryMask: bool | None = None
    semanticMask: bool | None = None
    pngMask: bool | None = None
    landmarks: list[Landmark] | None = None
    landmarks3d: list[Landmark3D] | None = None
    measurements: list[Measurement] | None = None
    boundingBoxes: list[BoundingBox] | None = None
    cuboids: list[Cuboid] | None = None
    ellipses: list[Ellipse] | None = None
    polygons: list[Polygon] | None = None
    polylines: list[Polyline] | None = None
    classifications: list[Classification] | None = None
    instanceClassifications: list[InstanceClassification] | None = None
    metaData: MetaData | None = None


# `LIST_LABEL_TYPES` and `MEASUREMENT_LABEL_TYPES` (models.common: the rules read them) match the models.
if (
    not LIST_LABEL_TYPES.keys() <= Series.model_fields.keys()
    or MEASUREMENT_LABEL_TYPES.keys()
    != {kind for m in (MeasureLength, MeasureAngle) for kind in get_args(m.model_fields["type"].annotation)}
    or {*LIST_LABEL_TYPES.values(), *MEASUREMENT_LABEL_TYPES.values()} != set(get_args(LabelType))
):  # pragma: no cover
    raise RuntimeError("the label-type mapping does not match the Series model or LabelType")


Priority = Annotated[Number, Field(ge=0, le=1)]
PreAssign = dict[str, StringOrList]


class UploadTask(StrictModel):
    """One task of an items list: what `redbrick upload` accepts."""

    name: str
    series: Annotated[list[Series], Field(min_length=1)]
    classification: Classification | None = None
    metaData: MetaData | None = None
    priority: Priority | None = None
    preAssign: PreAssign | None = None


class ExportFields(StrictModel):
    taskId: str | None = None
    currentStageName: str | None = None
    createdBy: str | None = None
    createdAt: str | None = None
    updatedBy: str | None = None
    updatedAt: str | None = None
    status: str | None = None
    labelsId: str | None = None
    storageId: str | None = None
    updatedByUserId: str | None = None
    datapointClassification: Classification | None = None


class ExportTask(UploadTask, ExportFields):
    """One task of tasks.json: an upload task plus what the platform adds on export."""

    consensus: Literal[False] | None = None


class ConsensusScore(StrictModel):
    """The agreement of an entry's annotator with one other annotator (0-100 on export)."""

    secondaryUser: str | None = None
    secondaryUserEmail: str | None = None
    secondaryUserId: str | None = None
    score: Number | None = None


class ConsensusEntry(StrictModel):
    """One annotator's work on a consensus task."""

    updatedBy: str
    updatedAt: str | None = None
    updatedByUserId: str | None = None
    status: str | None = None
    labelsId: str | None = None
    classification: Classification | None = None
    scores: list[ConsensusScore] | None = None
    series: list[Series]


class SuperTruth(StrictModel):
    updatedBy: str
    updatedAt: str | None = None
    updatedByUserId: str | None = None
    labelsId: str | None = None
    classification: Classification | None = None
    series: list[Series]


class ConsensusTask(ExportFields):
    """A task of a consensus export: one entry per annotator, with pairwise scores."""

    name: str
    consensus: Literal[True]
    consensusScore: Number | None = None
    consensusTasks: list[ConsensusEntry]
    superTruth: SuperTruth | None = None
    series: list[Series] | None = None
    classification: Classification | None = None
    metaData: MetaData | None = None
    priority: Priority | None = None
    preAssign: PreAssign | None = None


def _task_form(value: object) -> str | None:
    if not isinstance(value, dict):
        return None
    return "consensus" if value.get("consensus") is True else "task"


AnyExportTask = Annotated[
    Annotated[ExportTask, Tag("task")] | Annotated[ConsensusTask, Tag("consensus")],
    tagged("task_type", "a task is a JSON object with `name` and `series`", _task_form),
]

ItemsList = list[UploadTask]
TasksExport = list[AnyExportTask]
