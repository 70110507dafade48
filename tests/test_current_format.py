"""The current RedBrick format (redbrick-sdk 2.35.4, `redbrick/types/task.py`) and the seeds' format examples.

`tests/data/current-format/tasks.json` is written by hand from the SDK's task types and uses every key
of the export types; `tests/data/seeds/` holds the JSON examples of the format documents (see its README).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import BaseModel, TypeAdapter
from sarif_validation import validated

from rb_lint import lint, lint_documents
from rb_lint.cli import main
from rb_lint.core.engine import Report
from rb_lint.core.findings import Severity
from rb_lint.io.loading import detect_kind
from rb_lint.models import FORMAT_SDK_VERSION, tasks
from rb_lint.models.kinds import EXPORT_ONLY_KEYS, ITEMS_LIST, TASKS_EXPORT
from rb_lint.reporters import RenderOptions, json_format, sarif
from rb_lint.rules import ALL_RULES

DATA = Path(__file__).resolve().parent / "data"
FIXTURE = DATA / "current-format" / "tasks.json"
SEEDS = DATA / "seeds"

# Rules that need files on disk: masks (RB3xx) and export folders (RB55x).
NEEDS_FILES = ("RB3", "RB55")
WITHOUT_FILES = [r.code for r in ALL_RULES if not r.code.startswith(NEEDS_FILES)]

# Every key of the TypedDicts of redbrick-sdk 2.35.4 `redbrick/types/task.py` (read from the package),
# and the models that hold them. `OutputTask` is also the SDK's type of `consensusTasks` entries: its
# `scores` are an entry's (the exporter writes them there), its consensus keys a consensus task's.
_SDK_TYPES: list[tuple[str, str, tuple[type[BaseModel], ...]]] = [
    ("Point2D", "xNorm yNorm", (tasks.Point2D,)),
    ("VoxelPoint", "i j k", (tasks.VoxelPoint,)),
    ("WorldPoint", "x y z", (tasks.WorldPoint,)),
    ("MeasurementStats", "average area volume minimum maximum intensityunit", (tasks.MeasurementStats,)),
    (
        "VideoMetaData",
        "seriesItemIndex seriesFrameIndex frameIndex trackId keyFrame endTrack",
        (tasks.VideoMetaData,),
    ),
    ("CommentPin", "pointX pointY pointZ frameIndex volumeIndex", (tasks.CommentPin,)),
    ("CommentType", "text pin", (tasks.Comment,)),
    (
        "CommonLabelProps",
        "id category attributes mask overlappingGroups group readOnly comment",
        (tasks.SegmentEntry,),
    ),
    (
        "InstanceClassification",
        "id fileIndex fileName values group readOnly comment",
        (tasks.InstanceClassification,),
    ),
    ("Classification", "id attributes group readOnly comment", (tasks.Classification,)),
    ("Polyline", "id points category attributes video group readOnly comment", (tasks.Polyline,)),
    ("Polygon", "id points category attributes stats video group readOnly comment", (tasks.Polygon,)),
    (
        "Cuboid",
        "id point1 point2 absolutePoint1 absolutePoint2 category attributes stats group readOnly comment",
        (tasks.Cuboid,),
    ),
    (
        "BoundingBox",
        "id pointTopLeft wNorm hNorm category attributes stats video group readOnly comment",
        (tasks.BoundingBox,),
    ),
    (
        "Ellipse",
        "id pointCenter xRadiusNorm yRadiusNorm rotationRad category attributes stats video group "
        "readOnly comment",
        (tasks.Ellipse,),
    ),
    (
        "MeasureAngle",
        "id type point1 vertex point2 absolutePoint1 absoluteVertex absolutePoint2 normal angle "
        "category attributes group readOnly comment",
        (tasks.MeasureAngle,),
    ),
    (
        "MeasureLength",
        "id type point1 point2 absolutePoint1 absolutePoint2 normal length category attributes group "
        "readOnly comment",
        (tasks.MeasureLength,),
    ),
    (
        "Landmark3D",
        "id point absolutePoint category attributes group readOnly comment",
        (tasks.Landmark3D,),
    ),
    ("Landmark", "id point category attributes video group readOnly comment", (tasks.Landmark,)),
    (
        "ConsensusScore",
        "secondaryUser secondaryUserId secondaryUserEmail score",
        (tasks.ConsensusScore,),
    ),
    (
        "HeatMap",
        "name item preset dataRange opacityPoints opacityPoints3d rgbPoints",
        (tasks.HeatMap,),
    ),
    ("Transform", "transform", (tasks.Transform,)),
    ("Centerline", "name centerline", (tasks.Centerline,)),
    (
        "ImageHeaders",
        "dimensions spacing origin direction totalFrames affine",
        (tasks.ImageHeaders,),
    ),
    (
        "Series",
        "name items metaData imageHeaders segmentations segmentMap heatMaps transforms centerline "
        "binaryMask semanticMask pngMask landmarks landmarks3d measurements ellipses boundingBoxes "
        "cuboids polygons polylines classifications instanceClassifications",
        (tasks.Series,),
    ),
    (
        "OutputTask",
        "taskId name series labelsId classification priority metaData currentStageName status "
        "createdBy createdAt storageId updatedBy updatedByUserId updatedAt consensus consensusScore "
        "consensusTasks scores superTruth datapointClassification",
        (tasks.ExportTask, tasks.ConsensusTask, tasks.ConsensusEntry),
    ),
]
SDK_TYPES = {name: (frozenset(keys.split()), models) for name, keys, models in _SDK_TYPES}
INPUT_TASK_KEYS = frozenset({"name", "series", "classification", "priority", "metaData", "preAssign"})


def fixture_data() -> Any:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def problems(report: Report) -> list[tuple[str, str, str]]:
    """Findings that are warnings or errors, and internal errors."""
    found = [
        (f.code, f.pointer, f.message)
        for f in report.findings
        if f.severity in (Severity.ERROR, Severity.WARNING)
    ]
    return found + [("internal", "", e) for e in report.errors]


def models_in(value: Any) -> Iterator[BaseModel]:
    if isinstance(value, BaseModel):
        yield value
        for name in value.model_fields_set:
            yield from models_in(getattr(value, name))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from models_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from models_in(item)


# --- The models know every key of the SDK's task types ------------------------------------------------


@pytest.mark.parametrize("sdk_type", sorted(SDK_TYPES))
def test_the_models_define_every_key_of_the_sdk_type(sdk_type: str) -> None:
    keys, models = SDK_TYPES[sdk_type]
    defined = {name for model in models for name in model.model_fields}
    assert keys - defined == set()


def test_the_upload_model_defines_every_key_of_the_sdk_input_task() -> None:
    assert tasks.UploadTask.model_fields.keys() >= INPUT_TASK_KEYS


def test_the_sdk_version_is_the_one_the_models_follow() -> None:
    assert FORMAT_SDK_VERSION == "2.35.4"


# --- A tasks.json of the current format: every key, no finding ----------------------------------------


def test_the_fixture_uses_every_key_of_the_current_export_types() -> None:
    parsed = TypeAdapter(tasks.TasksExport).validate_python(fixture_data())
    used: dict[type[BaseModel], set[str]] = {}
    for model in models_in(parsed):
        used.setdefault(type(model), set()).update(model.model_fields_set)
    for sdk_type, (keys, models) in SDK_TYPES.items():
        seen = set().union(*(used.get(model, set()) for model in models))
        assert keys - seen == set(), f"{sdk_type}: the fixture never uses {sorted(keys - seen)}"


def test_the_fixture_has_the_variants_the_current_format_allows() -> None:
    data = fixture_data()
    ct, video = data[0]["series"]
    comments = [
        label.get("comment")
        for series in (ct, video)
        for kind in tasks.LIST_LABEL_TYPES
        for label in (series.get(kind) or [])
        if isinstance(label, dict)
    ]
    comments += [entry.get("comment") for entry in ct["segmentMap"].values()]
    assert any(isinstance(c, str) for c in comments) and any(
        isinstance(c, dict) and "pin" in c for c in comments
    )
    masks = [entry.get("mask") for entry in ct["segmentMap"].values()]
    assert any(isinstance(m, str) for m in masks) and any(isinstance(m, list) for m in masks)
    assert any(set(lm) & {"point", "absolutePoint"} == {"absolutePoint"} for lm in ct["landmarks3d"])
    assert any("point1" not in c and "point2" not in c for c in ct["cuboids"])
    assert any(m["type"] == "length" and "length" not in m for m in ct["measurements"])
    assert any(m["type"] == "angle" and "angle" not in m for m in ct["measurements"])
    assert all(m["normal"] in ([0, 0, 1], [0.0, 0.0, 1.0]) for m in ct["measurements"])
    consensus = data[1]
    assert consensus["consensus"] is True and len(consensus["consensusTasks"]) == 2
    shorthand = consensus["consensusTasks"][0]["series"][0]["segmentMap"]
    assert {type(v) for v in shorthand.values()} == {str, int, list}


def test_a_tasks_json_of_the_current_format_lints_without_warning_or_error() -> None:
    report = lint([FIXTURE], config={}, select=WITHOUT_FILES)
    assert [f.code for f in report.findings] == ["RB400"]  # no taxonomy given: a warning
    assert problems(report) == [("RB400", "", report.findings[0].message)]


def test_the_fixture_is_detected_as_a_tasks_export() -> None:
    assert detect_kind(fixture_data()) == TASKS_EXPORT


# --- Export-only keys and kind detection ----------------------------------------------------------------


def test_new_export_only_task_keys_are_export_only() -> None:
    new = {"labelsId", "storageId", "updatedByUserId", "datapointClassification"}
    assert new <= EXPORT_ONLY_KEYS
    assert not new & tasks.UploadTask.model_fields.keys()


@pytest.mark.parametrize("key", ["labelsId", "storageId", "updatedByUserId", "datapointClassification"])
def test_one_new_export_key_marks_a_tasks_export(key: str) -> None:
    value: Any = {"attributes": {"Batch": "1"}} if key == "datapointClassification" else "x"
    uploaded = [{"name": "p1", "series": [{"items": "ct.nii.gz"}]}]
    assert detect_kind(uploaded) == ITEMS_LIST
    assert detect_kind([{**uploaded[0], key: value}]) == TASKS_EXPORT
    report = lint_documents({"tasks.json": [{**uploaded[0], key: value}]}, config={}, select=["RB1"])
    assert problems(report) == []


@pytest.mark.parametrize("key", ["labelsId", "storageId", "updatedByUserId", "datapointClassification"])
def test_new_export_keys_stay_out_of_an_items_list(key: str) -> None:
    value: Any = {"attributes": {"Batch": "1"}} if key == "datapointClassification" else "x"
    document = [{"name": "p1", "series": [{"items": "ct.nii.gz"}], key: value}]
    report = lint_documents({"items.json": document}, config={}, kind=ITEMS_LIST, select=["RB1"])
    assert [(f.code, f.pointer) for f in report.findings] == [("RB103", f"/0/{key}")]


def test_scores_belong_to_consensus_entries_not_to_a_task() -> None:
    data = fixture_data()
    data[1]["scores"] = data[1]["consensusTasks"][0]["scores"]
    report = lint_documents({"tasks.json": data}, config={}, select=["RB1"])
    assert [(f.code, f.pointer) for f in report.findings] == [("RB103", "/1/scores")]


# --- The seeds' format examples stay accepted ------------------------------------------------------------


def seed_documents() -> list[Path]:
    return sorted(SEEDS.glob("*.json"))


def test_the_seed_examples_are_here() -> None:
    assert {p.name for p in seed_documents()} >= {
        "003-I-one-segmentation-file.json",
        "003-II-multiple-segmentation-files.json",
        "003-III-binary-segmentation-files.json",
        "004-datagym-export.json",
    }


@pytest.mark.parametrize("path", seed_documents(), ids=lambda p: p.name)
def test_every_seed_example_lints_without_rb101_to_rb103(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    if path.name.endswith(".series.json"):  # a fragment: the keys of one series
        data = [{"name": path.name.split(".")[0], "series": [data]}]
    elif isinstance(data, dict):  # one task: an items list is an array of them
        data = [data]
    report = lint_documents({path.name: data}, config={})
    assert report.errors == []
    assert [
        (f.code, f.pointer, f.message) for f in report.findings if f.code in ("RB101", "RB102", "RB103")
    ] == []
    validated_kinds = {"items-list", "tasks-export", "datagym"}
    assert detect_kind(data) in validated_kinds  # the models did validate it


# --- `normal` and the matrices ----------------------------------------------------------------------------


def measurement_task(normal: Any) -> list[dict[str, Any]]:
    voxel = {"i": 1, "j": 2, "k": 3}
    measurement = {"type": "length", "point1": voxel, "point2": voxel, "normal": normal, "category": "D"}
    return [{"name": "p1", "series": [{"items": "ct.nii.gz", "measurements": [measurement]}]}]


@pytest.mark.parametrize("normal", [[0, 0, 1], [0.0, 0.0, 1.0], [0.6, 0.8, 0]])
def test_a_normal_of_three_numbers_is_accepted(normal: list[float]) -> None:
    report = lint_documents({"items.json": measurement_task(normal)}, config={}, select=["RB1"])
    assert problems(report) == []


@pytest.mark.parametrize(
    ("normal", "expected"),
    [
        ([0, 1], ("RB104", "/0/series/0/measurements/0/normal", "`normal`: expected 3 numbers, not 2")),
        ([0, 0, 1, 0], ("RB104", "/0/series/0/measurements/0/normal", "`normal`: expected 3 numbers, not 4")),
        (
            [0, "1", 0],
            ("RB102", "/0/series/0/measurements/0/normal/1", "`normal` must be a number, not a string"),
        ),
        ("0,0,1", ("RB102", "/0/series/0/measurements/0/normal", "`normal` must be an array, not a string")),
    ],
)
def test_a_normal_that_is_not_three_numbers_says_so(normal: Any, expected: tuple[str, str, str]) -> None:
    report = lint_documents({"items.json": measurement_task(normal)}, config={}, select=["RB1"])
    assert problems(report) == [expected]


def test_image_header_matrices_are_3x3_and_4x4() -> None:
    data = fixture_data()
    headers = data[0]["series"][0]["imageHeaders"]
    headers["direction"] = headers["direction"][:2]
    headers["affine"][1] = headers["affine"][1][:3]
    data[0]["series"][0]["transforms"][0]["transform"].append([0, 0, 0, 1])
    report = lint_documents({"tasks.json": data}, config={}, select=["RB1"])
    assert problems(report) == [
        ("RB104", "/0/series/0/imageHeaders/direction", "`direction`: expected 3 rows, not 2"),
        ("RB104", "/0/series/0/imageHeaders/affine/1", "`affine`: expected 4 numbers in a row, not 3"),
        ("RB104", "/0/series/0/transforms/0/transform", "`transform`: expected 4 rows, not 5"),
    ]


# --- A misspelt new key is still RB103 -------------------------------------------------------------------

LABELS = [
    "/0/series/0/landmarks3d/0",
    "/0/series/0/measurements/0",
    "/0/series/0/measurements/2",
    "/0/series/0/boundingBoxes/0",
    "/0/series/0/cuboids/0",
    "/0/series/1/landmarks/0",
    "/0/series/1/ellipses/0",
    "/0/series/1/polygons/0",
    "/0/series/1/polylines/0",
    "/0/series/0/classifications/0",
    "/0/series/0/instanceClassifications/0",
    "/0/classification",
]
MISSPELT = [
    ("/0", "labelsId", "labelsID"),
    ("/0", "storageId", "storageID"),
    ("/0", "updatedByUserId", "updatedByUserID"),
    ("/0", "datapointClassification", "datapointClassifications"),
    ("/1", "labelsId", "labelId"),
    ("/1", "storageId", "storage_id"),
    ("/1", "updatedByUserId", "updatedByUser"),
    ("/1", "datapointClassification", "dataPointClassification"),
    ("/1/consensusTasks/0", "labelsId", "labelsid"),
    ("/1/superTruth", "labelsId", "labelsID"),
    ("/1/consensusTasks/0/scores/0", "secondaryUser", "secondaryuser"),
    ("/1/consensusTasks/0/scores/0", "secondaryUserId", "secondaryUserID"),
    ("/1/consensusTasks/0/scores/0", "secondaryUserEmail", "secondaryEmail"),
    ("/0/series/0", "imageHeaders", "imageHeader"),
    ("/0/series/0", "heatMaps", "heatmaps"),
    ("/0/series/0", "transforms", "transform"),
    ("/0/series/0", "centerline", "centerlines"),
    ("/0/series/0/imageHeaders", "dimensions", "dimension"),
    ("/0/series/0/imageHeaders", "spacing", "spacings"),
    ("/0/series/0/imageHeaders", "origin", "orgin"),
    ("/0/series/0/imageHeaders", "direction", "directions"),
    ("/0/series/0/imageHeaders", "totalFrames", "totalframes"),
    ("/0/series/0/imageHeaders", "affine", "affines"),
    ("/0/series/0/heatMaps/0", "name", "Name"),
    ("/0/series/0/heatMaps/0", "item", "items"),
    ("/0/series/0/heatMaps/0", "preset", "presets"),
    ("/0/series/0/heatMaps/0", "dataRange", "datarange"),
    ("/0/series/0/heatMaps/0", "opacityPoints", "opacityPoint"),
    ("/0/series/0/heatMaps/0", "opacityPoints3d", "opacityPoints3D"),
    ("/0/series/0/heatMaps/0", "rgbPoints", "rgbpoints"),
    ("/0/series/0/transforms/0", "transform", "transfrom"),
    ("/0/series/0/centerline/0", "name", "names"),
    ("/0/series/0/centerline/0", "centerline", "centreline"),
    ("/0/series/1/landmarks/0/video", "seriesItemIndex", "seriesItemIdx"),
    ("/0/series/1/landmarks/0/video", "seriesFrameIndex", "seriesFrameIdx"),
    ("/0/series/0/boundingBoxes/0/stats", "intensityunit", "intensityUnit"),
    ("/0/series/0/landmarks3d/1", "absolutePoint", "absolutePoints"),
    ("/0/series/0/segmentMap/3", "mask", "masks"),
    ("/0/series/0/segmentMap/1", "comment", "comments"),
    ("/0/series/1/landmarks/0/comment", "text", "txt"),
    ("/0/series/1/landmarks/0/comment", "pin", "pins"),
    ("/0/series/0/segmentMap/2/comment/pin", "pointX", "pointx"),
    ("/0/series/0/segmentMap/2/comment/pin", "pointY", "point_y"),
    ("/0/series/0/segmentMap/2/comment/pin", "pointZ", "pointZZ"),
    ("/0/series/0/segmentMap/2/comment/pin", "frameIndex", "frameindex"),
    ("/0/series/0/segmentMap/2/comment/pin", "volumeIndex", "volumeIdx"),
    *[(label, "id", "Id") for label in LABELS],
    *[(label, "group", "groups") for label in LABELS],
    *[(label, "readOnly", "readonly") for label in LABELS],
    *[(label, "comment", "comments") for label in LABELS],
]


def resolve(data: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:]:
        data = data[int(token)] if isinstance(data, list) else data[token]
    return data


@pytest.mark.parametrize(("pointer", "key", "misspelt"), MISSPELT, ids=lambda v: str(v))
def test_a_misspelt_new_key_is_still_rb103(pointer: str, key: str, misspelt: str) -> None:
    data = fixture_data()
    holder = resolve(data, pointer)
    assert key in holder, f"the fixture has no `{key}` at {pointer}"
    renamed = {(misspelt if name == key else name): value for name, value in holder.items()}
    holder.clear()
    holder.update(renamed)
    report = lint_documents({"tasks.json": data}, config={}, select=["RB1"])
    unknown = [f for f in report.findings if f.code == "RB103"]
    assert [f.pointer for f in unknown] == [f"{pointer}/{misspelt}"]
    assert f"unknown key `{misspelt}`" in unknown[0].message


def test_a_misspelt_key_gets_the_new_key_as_its_suggestion() -> None:
    data = fixture_data()
    stats = resolve(data, "/0/series/0/boundingBoxes/0/stats")
    stats["intensityUnit"] = stats.pop("intensityunit")
    report = lint_documents({"tasks.json": data}, config={}, select=["RB103"])
    [finding] = report.findings
    assert finding.message.endswith("did you mean `intensityunit`?")


# --- The SDK version in --version, the JSON report and SARIF ---------------------------------------------


def test_version_names_the_sdk_format() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip().endswith("(RedBrick format of redbrick-sdk 2.35.4)")
    assert result.output.startswith("rb-lint, version ")


def test_json_report_names_the_sdk_format() -> None:
    report = lint_documents({"items.json": measurement_task([0, 0, 1])}, config={}, select=["RB1"])
    document = json.loads(json_format.render(report, RenderOptions()))
    assert document["format"] == {"redbrick-sdk": "2.35.4"}
    assert list(document)[:3] == ["version", "tool", "format"]


def test_sarif_driver_properties_name_the_sdk_format() -> None:
    report = lint_documents({"items.json": measurement_task([0, 0, 1])}, config={}, select=["RB1"])
    document = validated(sarif.render(report, RenderOptions()))
    assert document["runs"][0]["tool"]["driver"]["properties"] == {"redbrickSdkVersion": "2.35.4"}
