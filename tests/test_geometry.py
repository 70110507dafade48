"""RB7xx: RedBrick label geometry — each rule failing and passing, at exact lines and columns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pytest
from conftest import codes, only

from rb_lint import Report, lint_documents

IDENTITY = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
HEADERS = {"dimensions": [512, 512, 12], "spacing": [1, 1, 1], "affine": IDENTITY}
# A NIfTI affine (RAS) whose x and y axes point right-to-left and front-to-back, as most DICOM-derived
# NIfTI images do: voxel (1, 2, 3) is RAS (98, 76, -11), so LPS (-98, -76, -11).
NIFTI_AFFINE = np.array([[-2.0, 0, 0, 100], [0, -2.0, 0, 80], [0, 0, 3.0, -20], [0, 0, 0, 1]])


def run(tmp_path: Path, series: dict[str, Any] | list[dict[str, Any]] | str) -> tuple[Report, str]:
    """Lint one task with these series (or raw JSON text) with the geometry rules only."""
    if isinstance(series, str):
        text = series
    else:
        text = json.dumps(
            [{"name": "p1", "series": series if isinstance(series, list) else [series]}], indent=2
        )
    return lint_documents({"tasks.json": text}, root=tmp_path, config={}, select=["RB7"]), text


def at(text: str, before: str, value: str, occurrence: int = 1) -> tuple[int, int]:
    """Line and column of the first `value` after the n-th `before` (a key, to make it unique)."""
    start = -1
    for _ in range(occurrence):
        start = text.index(before, start + 1)
    index = text.index(value, start + len(before))
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def where(finding: Any) -> tuple[int, int]:
    return finding.line, finding.column


def nifti(tmp_path: Path, name: str = "ct.nii.gz", shape: tuple[int, ...] = (8, 6, 4)) -> str:
    nib.save(nib.Nifti1Image(np.zeros(shape, dtype=np.uint8), NIFTI_AFFINE), tmp_path / name)
    return name


def p2(x: Any, y: Any) -> dict[str, Any]:
    return {"xNorm": x, "yNorm": y}


def voxel(i: Any, j: Any, k: Any) -> dict[str, Any]:
    return {"i": i, "j": j, "k": k}


def world(x: Any, y: Any, z: Any) -> dict[str, Any]:
    return {"x": x, "y": y, "z": z}


def box(x: Any, y: Any, w: Any, h: Any, **extra: Any) -> dict[str, Any]:
    return {"pointTopLeft": p2(x, y), "wNorm": w, "hNorm": h, "category": "Car", **extra}


def square(category: str = "Liver") -> dict[str, Any]:
    return {"points": [p2(0.1, 0.1), p2(0.5, 0.1), p2(0.5, 0.5), p2(0.1, 0.5)], "category": category}


def length(p1: Any, p2_: Any, value: Any, **extra: Any) -> dict[str, Any]:
    return {
        "type": "length",
        "point1": p1,
        "point2": p2_,
        "length": value,
        "normal": [0, 0, 1],
        "category": "Diameter",
        **extra,
    }


def angle(p1: Any, vertex: Any, p2_: Any, value: Any, **extra: Any) -> dict[str, Any]:
    return {
        "type": "angle",
        "point1": p1,
        "vertex": vertex,
        "point2": p2_,
        "angle": value,
        "normal": [0, 0, 1],
        "category": "Angle",
        **extra,
    }


def test_a_series_using_every_label_type_correctly_passes(tmp_path):
    series = {
        "items": "ct.nii.gz",
        "imageHeaders": {**HEADERS, "totalFrames": 12},
        "landmarks": [{"point": p2(0, 1), "category": "Nodule", "video": {"frameIndex": 0}}],
        "boundingBoxes": [
            box(0.5, 0.25, 0.5, 0.75, video={"frameIndex": 3, "trackId": "c", "endTrack": False}),
            box(0.4, 0.2, 0.1, 0.1, video={"frameIndex": 11, "trackId": "c", "endTrack": True}),
        ],
        "ellipses": [
            {
                "pointCenter": p2(0.5, 0.5),
                "xRadiusNorm": 0.1,
                "yRadiusNorm": 0.05,
                "rotationRad": 3,
                "category": "Cyst",
            }
        ],
        "polygons": [
            square(),
            {"points": [p2(0.1, 0.1), p2(0.4, 0.2), p2(0.3, 0.5), p2(0.1, 0.1)], "category": "Liver"},
        ],
        "polylines": [{"points": [p2(0.1, 0.1), p2(0.9, 0.9)], "category": "Vessel"}],
        "landmarks3d": [
            {"point": voxel(511, 0, 11), "absolutePoint": world(511, 0, 11), "category": "N"},
            {"absolutePoint": world(-5000, 0, 0), "category": "N"},
        ],
        "measurements": [
            length(
                voxel(0, 0, 0),
                voxel(3, 4, 0),
                5,
                absolutePoint1=world(0, 0, 0),
                absolutePoint2=world(3, 4, 0),
            ),
            length(voxel(0, 0, 0), voxel(3, 4, 0), 5.4),  # voxel points: within a voxel diagonal
            angle(voxel(10, 0, 0), voxel(0, 0, 0), voxel(0, 10, 0), 90.2),
        ],
        "cuboids": [
            {
                "point1": voxel(1, 1, 1),
                "point2": voxel(9, 9, 9),
                "absolutePoint1": world(1.4, 1, 1),
                "category": "Box",
            }
        ],
        "instanceClassifications": [{"fileIndex": 11, "values": {"Artifact": True}}],
    }
    report, _ = run(tmp_path, series)
    assert report.findings == [] and report.errors == []


# -- RB700 normalized-coordinate-out-of-range ----------------------------------------------------------


def test_rb700_landmark_off_the_image(tmp_path):
    report, text = run(tmp_path, {"items": "a.png", "landmarks": [{"point": p2(1.4, 0.5), "category": "N"}]})
    finding = only(report, "RB700")
    assert where(finding) == at(text, '"xNorm"', "1.4")
    assert finding.pointer == "/0/series/0/landmarks/0/point/xNorm"
    assert "`xNorm` = 1.4 is outside [0, 1]" in finding.message and "off the image" in finding.message


def test_rb700_pixel_polygon_is_one_finding_per_label_with_a_hint(tmp_path):
    polygon = {"points": [p2(0.1, 0.2), p2(0.3, 640), p2(512, 0.1)], "category": "Liver"}
    report, text = run(tmp_path, {"items": "a.png", "polygons": [polygon]})
    finding = only(report, "RB700")
    assert where(finding) == at(text, '"yNorm"', "640", 2)
    assert finding.pointer == "/0/series/0/polygons/0/points/1/yNorm"
    assert "1 more of its coordinates" in finding.message and "divide by the image height" in finding.message


def test_rb700_passes_the_edges_and_float_rounding(tmp_path):
    series = {
        "items": "a.png",
        "landmarks": [
            {"point": p2(0, 1), "category": "N"},
            {"point": p2(1.0000001, -0.0000001), "category": "N"},
        ],
        "ellipses": [
            {
                "pointCenter": p2(0.5, 0.5),
                "xRadiusNorm": 0.1,
                "yRadiusNorm": 0.1,
                "rotationRad": 0,
                "category": "C",
            }
        ],
    }
    report, _ = run(tmp_path, series)
    assert report.findings == []


def test_rb700_box_corner_and_ellipse_centre(tmp_path):
    ellipse = {
        "pointCenter": p2(0.5, -0.2),
        "xRadiusNorm": 0.1,
        "yRadiusNorm": 0.1,
        "rotationRad": 0,
        "category": "C",
    }
    report, text = run(
        tmp_path, {"items": "a.png", "boundingBoxes": [box(-0.1, 0.2, 0.1, 0.1)], "ellipses": [ellipse]}
    )
    found = [f for f in report.findings if f.code == "RB700"]
    assert [where(f) for f in found] == [at(text, '"xNorm"', "-0.1"), at(text, '"yNorm"', "-0.2")]
    assert codes(report) == ["RB700", "RB700"]  # the box's corner is off: RB701 leaves it alone


# -- RB701 box-outside-image / RB702 zero-size-box / RB703 zero-radius-ellipse -------------------------


def test_rb701_box_past_the_right_edge(tmp_path):
    report, text = run(tmp_path, {"items": "a.png", "boundingBoxes": [box(0.8, 0.1, 0.3, 0.2)]})
    finding = only(report, "RB701")
    assert where(finding) == at(text, '"wNorm"', "0.3")
    assert finding.pointer == "/0/series/0/boundingBoxes/0/wNorm"
    assert "0.8 + 0.3 = 1.1" in finding.message and "at most 0.2" in finding.message


def test_rb701_box_past_the_bottom_edge_and_a_box_that_fits_exactly(tmp_path):
    report, text = run(
        tmp_path, {"items": "a.png", "boundingBoxes": [box(0.5, 0.7, 0.5, 0.3), box(0.2, 0.7, 0.1, 0.4)]}
    )
    finding = only(report, "RB701")
    assert where(finding) == at(text, '"hNorm"', "0.4", 2)
    assert "bottom edge" in finding.message


def test_rb702_zero_and_negative_sizes(tmp_path):
    report, text = run(
        tmp_path, {"items": "a.png", "boundingBoxes": [box(0.2, 0.2, 0, 0.1), box(0.5, 0.5, 0.1, -0.2)]}
    )
    found = [f for f in report.findings if f.code == "RB702"]
    assert [where(f) for f in found] == [at(text, '"wNorm"', "0"), at(text, '"hNorm"', "-0.2", 2)]
    assert "positive width" in found[0].message and "top-left corner" in found[1].message
    assert codes(report) == ["RB702", "RB702"]


def test_rb702_and_rb703_pass_positive_sizes(tmp_path):
    ellipse = {
        "pointCenter": p2(0.5, 0.5),
        "xRadiusNorm": 0.2,
        "yRadiusNorm": 0.01,
        "rotationRad": -1,
        "category": "C",
    }
    report, _ = run(
        tmp_path, {"items": "a.png", "boundingBoxes": [box(0.1, 0.1, 0.01, 0.9)], "ellipses": [ellipse]}
    )
    assert report.findings == []


def test_rb703_negative_radius(tmp_path):
    ellipse = {
        "pointCenter": p2(0.5, 0.5),
        "xRadiusNorm": 0.1,
        "yRadiusNorm": -0.05,
        "rotationRad": 0,
        "category": "C",
    }
    report, text = run(tmp_path, {"items": "a.png", "ellipses": [ellipse]})
    finding = only(report, "RB703")
    assert where(finding) == at(text, '"yRadiusNorm"', "-0.05")
    assert finding.pointer == "/0/series/0/ellipses/0/yRadiusNorm" and "must be positive" in finding.message


# -- RB704 too-few-vertices / RB705 invalid-polygon-ring ------------------------------------------------


def test_rb704_polygon_and_polyline_with_too_few_points(tmp_path):
    series = {
        "items": "a.png",
        "polygons": [{"points": [p2(0.1, 0.1), p2(0.4, 0.2), p2(0.1, 0.1)], "category": "L"}],
        "polylines": [{"points": [p2(0.1, 0.1)], "category": "V"}],
    }
    report, text = run(tmp_path, series)
    found = [f for f in report.findings if f.code == "RB704"]
    assert [where(f) for f in found] == [
        at(text, '"points"', "["),
        at(text, '"points"', "[", 2),
    ]
    assert "2 vertices (its last point repeats the first" in found[0].message
    assert "1 vertex, fewer than the 2" in found[1].message
    assert codes(report) == ["RB704", "RB704"]  # RB705 leaves rings of under 3 vertices alone


def test_rb704_passes_a_triangle_and_a_two_point_polyline(tmp_path):
    series = {
        "items": "a.png",
        "polygons": [{"points": [p2(0.1, 0.1), p2(0.4, 0.2), p2(0.3, 0.5)], "category": "L"}],
        "polylines": [{"points": [p2(0.1, 0.1), p2(0.2, 0.2)], "category": "V"}],
    }
    assert run(tmp_path, series)[0].findings == []


def test_rb705_bow_tie_and_collinear_polygons(tmp_path):
    bow_tie = {"points": [p2(0.1, 0.1), p2(0.5, 0.5), p2(0.5, 0.1), p2(0.1, 0.5)], "category": "L"}
    flat = {"points": [p2(0.1, 0.1), p2(0.2, 0.2), p2(0.3, 0.3)], "category": "L"}
    report, text = run(tmp_path, {"items": "a.png", "polygons": [square(), bow_tie, flat]})
    found = [f for f in report.findings if f.code == "RB705"]
    assert [where(f) for f in found] == [at(text, '"points"', "[", 2), at(text, '"points"', "[", 3)]
    assert [f.pointer for f in found] == ["/0/series/0/polygons/1/points", "/0/series/0/polygons/2/points"]
    assert "crosses itself" in found[0].message and "zero area" in found[1].message


# -- RB706 voxel-outside-grid ---------------------------------------------------------------------------


def test_rb706_landmark_at_slice_40_of_12_from_image_headers(tmp_path):
    series = {
        "items": "ct.nii.gz",
        "imageHeaders": HEADERS,
        "landmarks3d": [{"point": voxel(200, 310, 40), "category": "Nodule"}],
    }
    report, text = run(tmp_path, series)
    finding = only(report, "RB706")
    assert where(finding) == at(text, '"k"', "40")
    assert finding.pointer == "/0/series/0/landmarks3d/0/point/k"
    assert "12 slices" in finding.message and "512 x 512 x 12 from `imageHeaders`" in finding.message


def test_rb706_grid_from_a_local_nifti_image(tmp_path):
    name = nifti(tmp_path, shape=(8, 6, 4))
    series = {
        "items": name,
        "measurements": [
            length(voxel(7, 5, 3), voxel(8, 2, 1), None),
            angle(voxel(1, 1, 1), voxel(2, 2, 2), voxel(3, -1, 3), None),
        ],
        "cuboids": [{"point1": voxel(0, 0, 0), "point2": voxel(7.5, 5.5, 3.5), "category": "B"}],
    }
    report, text = run(tmp_path, series)
    found = [f for f in report.findings if f.code == "RB706"]
    assert [where(f) for f in found] == [at(text, '"i"', "8", 2), at(text, '"j"', "-1")]
    assert "8 columns" in found[0].message and "the NIfTI image `ct.nii.gz`" in found[0].message
    assert "6 rows" in found[1].message


def test_rb706_passes_half_voxel_edges_and_series_without_a_grid(tmp_path):
    inside = {
        "items": "ct.nii.gz",
        "imageHeaders": {"dimensions": [4, 4]},
        "landmarks3d": [{"point": voxel(-0.5, 3.5, 0), "category": "N"}],
    }
    unknown = {"items": ["a.dcm", "b.dcm"], "landmarks3d": [{"point": voxel(900, 900, 900), "category": "N"}]}
    missing_image = {"items": "missing.nii.gz", "landmarks3d": [{"point": voxel(900, 0, 0), "category": "N"}]}
    report, _ = run(tmp_path, [inside, unknown, missing_image])
    assert report.findings == []


# -- RB707 world-point-mismatch -------------------------------------------------------------------------


def test_rb707_world_point_70_mm_off(tmp_path):
    series = {
        "items": "ct.nii.gz",
        "imageHeaders": HEADERS,
        "landmarks3d": [{"point": voxel(10, 20, 3), "absolutePoint": world(80, 20, 3), "category": "N"}],
    }
    report, text = run(tmp_path, series)
    finding = only(report, "RB707")
    assert where(finding) == at(text, '"absolutePoint"', "{")
    assert finding.pointer == "/0/series/0/landmarks3d/0/absolutePoint"
    assert "is 70 mm from where the affine of `imageHeaders` puts `point` (10, 20, 3)" in finding.message


def test_rb707_affine_built_from_spacing_origin_and_direction(tmp_path):
    headers = {
        "dimensions": [100, 100, 10],
        "spacing": [0.5, 0.5, 2],
        "origin": [-10, 5, 100],
        "direction": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    }
    good = {"point": voxel(20, 10, 2), "absolutePoint": world(0, 10, 104), "category": "N"}
    bad = {"point": voxel(20, 10, 2), "absolutePoint": world(0, 10, 110), "category": "N"}
    report, text = run(tmp_path, {"items": "ct.nii.gz", "imageHeaders": headers, "landmarks3d": [good, bad]})
    finding = only(report, "RB707")
    assert where(finding) == at(text, '"absolutePoint"', "{", 2)


def test_rb707_nifti_affine_is_converted_from_ras_to_lps(tmp_path):
    name = nifti(tmp_path)
    lps = {"point": voxel(1, 2, 3), "absolutePoint": world(-98, -76, -11), "category": "N"}
    ras = {"point": voxel(1, 2, 3), "absolutePoint": world(98, 76, -11), "category": "N"}
    report, text = run(tmp_path, {"items": name, "landmarks3d": [lps, ras]})
    finding = only(report, "RB707")
    assert where(finding) == at(text, '"absolutePoint"', "{", 2)
    assert "(-98, -76, -11) (LPS, mm)" in finding.message


def test_rb707_passes_within_one_voxel_diagonal(tmp_path):
    series = {
        "items": "ct.nii.gz",
        "imageHeaders": HEADERS,
        "cuboids": [
            {
                "point1": voxel(1, 1, 1),
                "point2": voxel(5, 5, 5),
                "absolutePoint1": world(2, 2, 1.5),
                "absolutePoint2": world(5, 5, 5),
                "category": "B",
            }
        ],
    }
    assert run(tmp_path, series)[0].findings == []


# -- RB708 length-mismatch / RB709 angle-mismatch / RB710 normal-not-unit --------------------------------


def test_rb708_length_of_40_for_points_4_mm_apart(tmp_path):
    measurement = length(
        voxel(0, 0, 0), voxel(4, 0, 0), 40, absolutePoint1=world(0, 0, 0), absolutePoint2=world(4, 0, 0)
    )
    report, text = run(tmp_path, {"items": "ct.nii.gz", "measurements": [measurement]})  # no grid needed
    finding = only(report, "RB708")
    assert where(finding) == at(text, '"length": ', "40")
    assert finding.pointer == "/0/series/0/measurements/0/length"
    assert "`length` = 40 mm, but `absolutePoint1` and `absolutePoint2` are 4 mm apart" in finding.message


def test_rb708_from_voxel_points_and_spacing(tmp_path):
    headers = {"dimensions": [100, 100, 10], "spacing": [0.5, 0.5, 3]}
    series = {
        "items": "ct.nii.gz",
        "imageHeaders": headers,
        "measurements": [
            length(voxel(0, 0, 0), voxel(0, 0, 2), 6),  # 2 slices of 3 mm
            length(voxel(0, 0, 0), voxel(20, 0, 0), 20),
        ],
    }  # 20 voxels of 0.5 mm
    report, text = run(tmp_path, series)
    finding = only(report, "RB708")
    assert where(finding) == at(text, '"length": ', "20", 2)
    assert "are 10 mm apart" in finding.message


def test_rb709_angle_in_radians(tmp_path):
    measurement = angle(
        voxel(1, 0, 0),
        voxel(0, 0, 0),
        voxel(0, 1, 0),
        1.5708,
        absolutePoint1=world(10, 0, 0),
        absoluteVertex=world(0, 0, 0),
        absolutePoint2=world(0, 10, 0),
    )
    report, text = run(tmp_path, {"items": "ct.nii.gz", "measurements": [measurement]})
    finding = only(report, "RB709")
    assert where(finding) == at(text, '"angle": ', "1.5708")
    assert "(it looks like radians)" in finding.message and "angle of 90 degrees" in finding.message


def test_rb709_from_voxel_points_with_anisotropic_spacing(tmp_path):
    headers = {"dimensions": [100, 100, 100], "spacing": [1, 1, 2]}
    # The arms (10, 0, 0) and (0, 0, 5) voxels are 10 mm each: 90 degrees either way, but the arms
    # (40, 0, 0) and (40, 0, 20) voxels are (40, 0, 0) and (40, 0, 40) mm: 45 degrees, not 26.57 (the
    # angle in voxels); whole-voxel rounding explains at most about 6 degrees of it.
    series = {
        "items": "ct.nii.gz",
        "imageHeaders": headers,
        "measurements": [
            angle(voxel(10, 0, 0), voxel(0, 0, 0), voxel(0, 0, 5), 90),
            angle(voxel(50, 0, 0), voxel(10, 0, 0), voxel(50, 0, 20), 26.57),
        ],
    }
    report, text = run(tmp_path, series)
    finding = only(report, "RB709")
    assert where(finding) == at(text, '"angle": ', "26.57")
    assert "angle of 45 degrees" in finding.message


def test_rb710_normal_not_unit_and_zero(tmp_path):
    series = {
        "items": "ct.nii.gz",
        "measurements": [
            length(voxel(0, 0, 0), voxel(1, 0, 0), None, normal=[0, 0, 2]),
            length(voxel(0, 0, 0), voxel(1, 0, 0), None, normal=[0, 0, 0]),
            length(voxel(0, 0, 0), voxel(1, 0, 0), None, normal=[0.6, 0.8, 0.0004]),
        ],
    }
    report, text = run(tmp_path, series)
    found = [f for f in report.findings if f.code == "RB710"]
    assert [where(f) for f in found] == [at(text, '"normal"', "["), at(text, '"normal"', "[", 2)]
    assert "divide it by its length: [0, 0, 1]" in found[0].message
    assert "zero vector" in found[1].message


# -- RB711 frame-index-out-of-range / RB712 file-index-out-of-range / RB713 series-item-index ---------


def test_rb711_frame_index_against_total_frames(tmp_path):
    series = {
        "items": "video.mp4",
        "imageHeaders": {"dimensions": [640, 480], "totalFrames": 12},
        "boundingBoxes": [
            box(0.1, 0.1, 0.1, 0.1, video={"frameIndex": 11}),
            box(0.1, 0.1, 0.1, 0.1, video={"frameIndex": 12}),
        ],
    }
    report, text = run(tmp_path, series)
    finding = only(report, "RB711")
    assert where(finding) == at(text, '"frameIndex"', "12", 2)
    assert finding.pointer == "/0/series/0/boundingBoxes/1/video/frameIndex"
    assert "12 frames (from `imageHeaders.totalFrames`; indices 0 to 11)" in finding.message


def test_rb711_frames_from_items_and_from_nifti_slices_and_negative(tmp_path):
    name = nifti(tmp_path, shape=(8, 6, 4))
    frames = {
        "items": ["f0.png", "f1.png", "f2.png"],
        "landmarks": [{"point": p2(0.5, 0.5), "category": "N", "video": {"frameIndex": 3}}],
    }
    slices = {"items": name, "polygons": [{**square(), "video": {"frameIndex": 4}}]}
    negative = {"items": "video.mp4", "classifications": [{"category": "Ok", "video": {"frameIndex": -1}}]}
    report, text = run(tmp_path, [frames, slices, negative])
    found = [f for f in report.findings if f.code == "RB711"]
    assert [where(f) for f in found] == [
        at(text, '"frameIndex"', "3"),
        at(text, '"frameIndex"', "4", 2),
        at(text, '"frameIndex"', "-1", 3),
    ]
    assert "(from its 3 items" in found[0].message
    assert "the slices of its NIfTI image `ct.nii.gz`" in found[1].message
    assert "negative" in found[2].message


def test_rb711_unknown_frames_are_not_checked(tmp_path):
    series = [
        {
            "items": "video.mp4",
            "landmarks": [{"point": p2(0.5, 0.5), "category": "N", "video": {"frameIndex": 5000}}],
        },
        {
            "items": "one.dcm",
            "landmarks": [{"point": p2(0.5, 0.5), "category": "N", "video": {"frameIndex": 30}}],
        },
    ]
    assert run(tmp_path, series)[0].findings == []


def test_rb712_file_index_against_dicom_instances(tmp_path):
    series = {
        "items": ["a.dcm", "b.dcm", "c.dcm"],
        "instanceClassifications": [
            {"fileIndex": 2, "values": {"Artifact": True}},
            {"fileIndex": 3, "values": {"Artifact": True}},
            {"fileIndex": -2, "values": {"Artifact": False}},
        ],
    }
    report, text = run(tmp_path, series)
    found = [f for f in report.findings if f.code == "RB712"]
    assert [where(f) for f in found] == [at(text, '"fileIndex"', "3", 2), at(text, '"fileIndex"', "-2", 3)]
    assert "3 frames or instances (from its 3 items" in found[0].message and "negative" in found[1].message


def test_rb713_series_item_index(tmp_path):
    series = {
        "items": ["a.dcm", "b.dcm"],
        "landmarks": [
            {"point": p2(0.5, 0.5), "category": "N", "video": {"seriesItemIndex": 1}},
            {"point": p2(0.5, 0.5), "category": "N", "video": {"seriesItemIndex": 2}},
        ],
    }
    report, text = run(tmp_path, series)
    finding = only(report, "RB713")
    assert where(finding) == at(text, '"seriesItemIndex"', "2", 2)
    assert "beyond the series' 2 items" in finding.message


# -- RB714 track-end-not-last ---------------------------------------------------------------------------


def test_rb714_track_ended_before_its_last_frame_and_ended_twice(tmp_path):
    def tracked(frame: int, end: bool, track: str = "car-1") -> dict[str, Any]:
        return box(0.1, 0.1, 0.1, 0.1, video={"frameIndex": frame, "trackId": track, "endTrack": end})

    series = {
        "items": "video.mp4",
        "boundingBoxes": [
            tracked(3, True),
            tracked(9, True),
            tracked(5, False),
            tracked(2, True, "car-2"),
            tracked(2, True, "car-2"),
            tracked(1, True, ""),
            tracked(4, True, ""),  # no track id: not a track
        ],
    }
    report, text = run(tmp_path, series)
    found = [f for f in report.findings if f.code == "RB714"]
    assert [where(f) for f in found] == [at(text, '"endTrack"', "true"), at(text, '"endTrack"', "true", 5)]
    assert "at frame 3 of track `car-1`, but the track continues to frame 9" in found[0].message
    assert "already ends it on that frame" in found[1].message
    assert found[0].severity.name == "WARNING"


def test_rb714_passes_one_end_on_the_last_frame(tmp_path):
    series = {
        "items": "video.mp4",
        "polylines": [
            {
                "points": [p2(0, 0), p2(1, 1)],
                "category": "V",
                "video": {"frameIndex": f, "trackId": "t", "endTrack": f == 7},
            }
            for f in (0, 7, 4)
        ],
    }
    assert run(tmp_path, series)[0].findings == []


# -- wrong types and absurd numbers: no crash, no finding (the structure rules report them) -------------


@pytest.mark.parametrize(
    "bad", ['"0.5"', "NaN", "1e400", "-1e400", "1" + "0" * 400, "true", "null", "[1]", "{}"]
)
def test_wrong_types_and_huge_numbers_give_no_geometry_finding(tmp_path, bad):
    series = {
        "items": "ct.nii.gz",
        "imageHeaders": {"dimensions": [4, 4, "BAD"], "affine": [["BAD"] * 4] * 4, "totalFrames": "BAD"},
        "landmarks": [{"point": p2("BAD", "BAD"), "category": "N", "video": {"frameIndex": "BAD"}}],
        "boundingBoxes": [box("BAD", 0.9, "BAD", "BAD")],
        "ellipses": [
            {"pointCenter": p2("BAD", 0.5), "xRadiusNorm": "BAD", "yRadiusNorm": "BAD", "category": "C"}
        ],
        "polygons": [
            {"points": [p2("BAD", 0.1), p2(0.5, 0.5), p2(0.5, 0.1), p2(0.1, 0.5)], "category": "L"},
            {"points": "BAD", "category": "L"},
        ],
        "landmarks3d": [{"point": voxel("BAD", 0, 0), "absolutePoint": world(0, "BAD", 0), "category": "N"}],
        "measurements": [
            length(
                voxel(0, 0, 0),
                voxel(1, 0, 0),
                "BAD",
                normal=["BAD", 0, 1],
                absolutePoint1=world("BAD", 0, 0),
                absolutePoint2=world(0, 0, 0),
            ),
            angle(
                voxel(1, 0, 0),
                voxel(0, 0, 0),
                voxel(0, 1, 0),
                "BAD",
                normal="BAD",
                absoluteVertex=world(0, 0, "BAD"),
            ),
        ],
        "cuboids": [{"point1": "BAD", "point2": voxel(0, 0, "BAD"), "category": "B"}],
        "instanceClassifications": [{"fileIndex": "BAD", "values": {}}, "BAD"],
    }
    text = json.dumps([{"name": "p1", "series": [series]}], indent=2).replace('"BAD"', bad)
    report, _ = run(tmp_path, text)
    assert report.errors == []
    assert report.findings == []


def test_huge_integers_in_grid_and_indices_do_not_overflow(tmp_path):
    huge = "1" + "0" * 400
    series = {
        "items": "ct.nii.gz",
        "imageHeaders": {"dimensions": [4, 4, 4], "spacing": [1, 1, 1], "affine": IDENTITY, "totalFrames": 4},
        "landmarks3d": [{"point": voxel(1, 1, 1), "absolutePoint": world(1, 1, "HUGE"), "category": "N"}],
        "landmarks": [{"point": p2(0.5, 0.5), "category": "N", "video": {"frameIndex": "HUGE"}}],
    }
    text = json.dumps([{"name": "p1", "series": [series]}], indent=2).replace('"HUGE"', huge)
    report, text = run(tmp_path, text)
    assert report.errors == []
    finding = only(report, "RB711")
    assert "`frameIndex` = a huge number is beyond the series' 4 frames" in finding.message
    assert codes(report) == ["RB711"]  # the world point's z is not a usable number: not compared


def test_malformed_image_headers_fall_back_to_the_nifti_image(tmp_path):
    name = nifti(tmp_path, shape=(8, 6, 4))
    series = {
        "items": name,
        "imageHeaders": {"dimensions": "512x512"},
        "landmarks3d": [{"point": voxel(0, 0, 4), "category": "N"}],
    }
    report, text = run(tmp_path, series)
    finding = only(report, "RB706")
    assert where(finding) == at(text, '"k"', "4")
    assert "the NIfTI image `ct.nii.gz`" in finding.message


def test_consensus_annotators_series_are_checked(tmp_path):
    task = {
        "name": "p1",
        "taskId": "t1",
        "consensus": True,
        "series": [{"items": "a.png"}],
        "consensusTasks": [
            {
                "updatedBy": "a@x.org",
                "series": [{"items": "a.png", "landmarks": [{"point": p2(0.5, 2), "category": "N"}]}],
            }
        ],
    }
    text = json.dumps([task], indent=2)
    report, _ = run(tmp_path, text)
    finding = only(report, "RB700")
    assert finding.pointer == "/0/consensusTasks/0/series/0/landmarks/0/point/yNorm"
    assert where(finding) == at(text, '"yNorm"', "2")
