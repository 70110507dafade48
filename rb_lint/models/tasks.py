"""RedBrick items lists (upload) and tasks.json (export), after the full format reference.

These models are the single source of truth: the JSON Schemas in `schemas/` are generated from
them, and the structure rules report their validation errors.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, Tag

from rb_lint.models.common import (
    INSTANCE_ID_PATTERN,
    Category,
    Number,
    StrictModel,
    StringOrList,
    by_json_type,
    tagged,
)


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
    frameIndex: int
    trackId: str | None = None
    keyFrame: bool | int | None = None
    endTrack: bool | None = None
    endFrame: bool | None = None


class MeasurementStats(StrictModel):
    average: Number
    area: Number | None = None
    volume: Number | None = None
    minimum: Number
    maximum: Number


class AttributeV2(StrictModel):
    attrId: int | None = None
    name: str | None = None
    optionId: int | list[int] | None = None
    value: str | bool | list[str] | None = None


AttributeValue = Annotated[
    Annotated[str, Tag("string")] | Annotated[bool, Tag("boolean")] | Annotated[list[str], Tag("array")],
    tagged("attribute_value_type", "an attribute value is a string, a boolean or a list of "
           "strings"),
]

Attributes = Annotated[
    Annotated[list[AttributeV2], Tag("array")] | Annotated[dict[str, AttributeValue], Tag("object")],
    tagged("attributes_type", "attributes are a list of {attrId, name, optionId, value} "
           "(Taxonomy V2) or an object of name: value (Taxonomy V1)"),
]


class Label(StrictModel):
    category: Category
    attributes: Attributes | None = None
    group: str | None = None


class VideoLabel(Label):
    video: VideoMetaData | None = None


class Landmark(VideoLabel):
    point: Point2D


class Landmark3D(Label):
    point: VoxelPoint


class MeasureLength(Label):
    type: Literal["length"]
    point1: VoxelPoint
    point2: VoxelPoint
    absolutePoint1: WorldPoint | None = None
    absolutePoint2: WorldPoint | None = None
    normal: tuple[Number, Number, Number] | None = None
    length: Number | None = None


class MeasureAngle(Label):
    type: Literal["angle"]
    point1: VoxelPoint
    point2: VoxelPoint
    vertex: VoxelPoint
    absolutePoint1: WorldPoint | None = None
    absolutePoint2: WorldPoint | None = None
    absoluteVertex: WorldPoint | None = None
    normal: tuple[Number, Number, Number] | None = None
    angle: Number | None = None


def _measurement_type(value: object) -> str | None:
    kind = value.get("type") if isinstance(value, dict) else None
    return kind if kind in ("length", "angle") else None


Measurement = Annotated[
    Annotated[MeasureLength, Tag("length")] | Annotated[MeasureAngle, Tag("angle")],
    tagged("measurement_type", "a measurement is an object with `type` \"length\" or \"angle\"",
           _measurement_type),
]


class BoundingBox(VideoLabel):
    pointTopLeft: Point2D
    wNorm: Number
    hNorm: Number
    stats: MeasurementStats | None = None


class Cuboid(Label):
    point1: VoxelPoint
    point2: VoxelPoint
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


class Classification(StrictModel):
    category: Category | None = None
    attributes: Attributes | None = None
    video: VideoMetaData | None = None


class InstanceClassification(StrictModel):
    fileIndex: int
    fileName: str | None = None
    values: dict[str, bool]


class SegmentEntry(StrictModel):
    """The object form of a segmentMap value."""

    category: Category
    attributes: Attributes | None = None
    mask: str | None = None
    overlappingGroups: list[int] | None = None
    group: str | None = None
    id: str | None = None
    readOnly: bool | None = None
    comment: str | None = None


SegmentValue = Annotated[
    Annotated[str, Tag("string")]
    | Annotated[int, Tag("integer")]
    | Annotated[list[str], Tag("array")]
    | Annotated[SegmentEntry, Tag("object")],
    tagged(
        "category_type",
        "a segmentMap value is a category (name, classId or nested path) or an object "
        "{category, attributes?, mask?}",
        lambda v: "integer" if type(v) is int else by_json_type(v),
    ),
]

InstanceId = Annotated[str, StringConstraints(pattern=INSTANCE_ID_PATTERN)]
SegmentMap = dict[InstanceId, SegmentValue]
MetaData = dict[str, str]


class Series(StrictModel):
    items: StringOrList
    name: str | None = None
    segmentations: StringOrList | None = None
    segmentMap: dict[InstanceId, SegmentValue] | None = None
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


class ExportTask(UploadTask, ExportFields):
    """One task of tasks.json: an upload task plus what the platform adds on export."""

    consensus: Literal[False] | None = None


class ConsensusScore(StrictModel):
    secondaryUser: str | None = None
    secondaryUserEmail: str | None = None
    secondaryUserId: str | None = None
    score: Number


class ConsensusEntry(StrictModel):
    """One annotator's work on a consensus task."""

    updatedBy: str
    updatedAt: str | None = None
    updatedByUserId: str | None = None
    status: str | None = None
    classification: Classification | None = None
    scores: list[ConsensusScore] | None = None
    series: list[Series]


class SuperTruth(StrictModel):
    updatedBy: str
    updatedAt: str | None = None
    updatedByUserId: str | None = None
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
