"""DataGym exports: point counts, coordinates, ring validity (shapely), bounds, classifications."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from typing import Any

import pytest
from conftest import codes, only, position
from test_datagym import TRIANGLE, Lint, assert_at, dg_task, export, obj, run, value_at

from rb_lint.facts.datagym_shapes import EnvelopeIndex

__all__ = ["run"]  # the fixture, shared with test_datagym


def pts(*xy: tuple[float | None, float | None]) -> list[dict[str, Any]]:
    return [{"x": x, "y": y} for x, y in xy]


def square(x0: int, y0: int, x1: int, y1: int) -> list[dict[str, Any]]:
    return pts((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def ring_at(text: str, first_x: int, occurrence: int = 1) -> tuple[int, int]:
    """The `[` that opens the ring whose first point has `"x": first_x` (indent=2 layout: two
    lines above the `"x"` and four columns to its left)."""
    line, column = position(text, f'"x": {first_x},', occurrence)
    return line - 2, column - 4


def segmentation(*instances: list[list[dict[str, Any]]]) -> dict[str, Any]:
    return {"road": [obj("image_segmentation", rings) for rings in instances]}


# --- RB611 wrong-point-count -------------------------------------------------------------------


def test_rb611_polygon_with_two_points(run: Lint) -> None:
    labels = {"car": [obj(coords=pts((57, 412), (54, 463)))]}
    report, text = run(export(dg_task(labels=labels)))
    finding = only(report, "RB611")
    assert_at(finding, value_at(text, "polygon"))
    assert "polygon of class `car` has 2 point(s)" in finding.message
    assert "at least 3" in finding.message


def test_rb611_closing_point_does_not_count(run: Lint) -> None:
    labels = {"car": [obj(coords=pts((1, 1), (9, 9), (1, 1)))]}
    report, text = run(export(dg_task(labels=labels)))
    assert_at(only(report, "RB611"), value_at(text, "polygon"))


@pytest.mark.parametrize(
    ("key", "cls", "coords", "part"),
    [
        ("point", "head", pts((1, 1), (2, 2)), "exactly one `{x, y}`, but this one has 2"),
        ("point", "head", [], "but this one has 0"),
        ("line", "lane", pts((1, 1)), "line of class `lane` has 1 point(s)"),
        ("rectangle", "bus", [{"x": 1, "y": 1, "w": 2, "h": 2}] * 2, "exactly one `{x, y, w, h}`"),
        ("image_segmentation", "road", [], "has no ring"),
    ],
)
def test_rb611_other_types(run: Lint, key: str, cls: str, coords: Any, part: str) -> None:
    report, text = run(export(dg_task(labels={cls: [obj(key, coords)]})))
    finding = only(report, "RB611")
    assert_at(finding, value_at(text, key))
    assert part in finding.message


def test_rb611_segmentation_ring_with_two_points(run: Lint) -> None:
    rings = [square(0, 0, 100, 100), pts((20, 20), (30, 30))]
    report, text = run(export(dg_task(labels=segmentation(rings))))
    finding = only(report, "RB611")
    assert_at(finding, ring_at(text, 20))
    assert "cut-out ring 1 of segmentation `road` has 2 point(s)" in finding.message


def test_rb611_passes(run: Lint) -> None:
    labels = {
        "car": [obj()],
        "head": [obj("point", pts((1, 1)))],
        "lane": [obj("line", pts((1, 1), (5, 5)))],
        "bus": [obj("rectangle", [{"x": 1, "y": 1, "w": 2, "h": 2}])],
        "road": [obj("image_segmentation", [square(0, 0, 9, 9)])],
    }
    report, _ = run(export(dg_task(labels=labels)))
    assert codes(report) == []


# --- RB612 degenerate-rectangle ----------------------------------------------------------------


def test_rb612_zero_width(run: Lint) -> None:
    labels = {"bus": [obj("rectangle", [{"x": 120, "y": 80, "w": 0, "h": 45}])]}
    report, text = run(export(dg_task(labels=labels)))
    finding = only(report, "RB612")
    assert_at(finding, value_at(text, "w"))
    assert "`w: 0`" in finding.message and "`bus`" in finding.message


def test_rb612_negative_height_under_geometry_key(run: Lint) -> None:
    labels = {"bus": [obj("geometry", [{"x": 120, "y": 80, "w": 5, "h": -3}])]}
    report, text = run(export(dg_task(labels=labels)))
    finding = only(report, "RB612")
    assert_at(finding, value_at(text, "h"))
    assert "`h: -3`" in finding.message


def test_rb612_passes(run: Lint) -> None:
    labels = {"bus": [obj("rectangle", [{"x": 0, "y": 0, "w": 1, "h": 1}])]}
    report, _ = run(export(dg_task(labels=labels)))
    assert "RB612" not in codes(report)


# --- RB613 null-coordinate ---------------------------------------------------------------------


def test_rb613_null_vertex(run: Lint) -> None:
    labels = {"car": [obj(coords=pts((10, 10), (None, None), (35, 50), (60, 10)))]}
    report, text = run(export(dg_task(labels=labels)))
    finding = only(report, "RB613")
    assert_at(finding, value_at(text, "x", 2))
    assert "`x` is null" in finding.message and "negative or unset" in finding.message


def test_rb613_nulled_rectangle_reported_once(run: Lint) -> None:
    labels = {"bus": [obj("rectangle", [{"x": None, "y": None, "w": None, "h": None}])]}
    report, text = run(export(dg_task(labels=labels)))
    assert_at(only(report, "RB613"), value_at(text, "x"))


def test_rb613_null_in_segmentation_ring(run: Lint) -> None:
    rings = [square(0, 0, 100, 100), pts((20, 20), (40, None), (40, 40))]
    report, text = run(export(dg_task(labels=segmentation(rings))))
    finding = only(report, "RB613")
    assert_at(finding, value_at(text, "y", 6))
    assert "`y` is null" in finding.message


def test_rb613_passes(run: Lint) -> None:
    report, _ = run(export(dg_task(labels={"car": [obj()]})))
    assert "RB613" not in codes(report)


# --- RB614 non-integer-coordinate --------------------------------------------------------------


def test_rb614_fraction_reported_once_per_object(run: Lint) -> None:
    labels = {"car": [obj(coords=pts((10, 10.5), (60, 10), (35.25, 50)))]}
    report, text = run(export(dg_task(labels=labels)))
    finding = only(report, "RB614")
    assert_at(finding, value_at(text, "y"))
    assert "10.5" in finding.message and "2 fractional values" in finding.message
    assert str(finding.severity) == "warning"


def test_rb614_passes_for_whole_numbers_written_as_floats(run: Lint) -> None:
    labels = {"car": [obj(coords=pts((10.0, 10), (60, 10), (35, 50.0)))]}
    report, _ = run(export(dg_task(labels=labels)))
    assert "RB614" not in codes(report)


# --- RB615 invalid-ring ------------------------------------------------------------------------


def test_rb615_bow_tie_segmentation_is_an_error(run: Lint) -> None:
    bow_tie = pts((0, 0), (100, 100), (100, 0), (0, 100))
    report, text = run(export(dg_task(labels=segmentation([bow_tie]))))
    finding = only(report, "RB615")
    assert str(finding.severity) == "error"
    assert_at(finding, ring_at(text, 0))
    assert "outer ring of segmentation `road` crosses itself at (50, 50)" in finding.message


def test_rb615_bow_tie_polygon(run: Lint) -> None:
    labels = {"car": [obj(coords=pts((0, 0), (10, 10), (10, 0), (0, 10)))]}
    report, text = run(export(dg_task(labels=labels)))
    finding = only(report, "RB615")
    assert_at(finding, value_at(text, "polygon"))
    assert "polygon `car` crosses itself at (5, 5)" in finding.message


def test_rb615_collinear_cut_out(run: Lint) -> None:
    rings = [square(0, 0, 100, 100), pts((20, 20), (30, 20), (40, 20))]
    report, text = run(export(dg_task(labels=segmentation(rings))))
    finding = only(report, "RB615")
    assert_at(finding, ring_at(text, 20))
    assert "cut-out ring 1" in finding.message and "zero area" in finding.message


def test_rb615_valid_ring_with_hole_gives_no_finding(run: Lint) -> None:
    closed_outer = [*square(0, 0, 100, 100), {"x": 0, "y": 0}]
    hole = list(reversed(square(20, 20, 40, 40)))
    report, _ = run(export(dg_task(labels=segmentation([closed_outer, hole]))))
    assert codes(report) == []


# --- RB616 invalid-cut-out ---------------------------------------------------------------------


def test_rb616_cut_out_outside_outer_ring(run: Lint) -> None:
    rings = [square(0, 0, 100, 100), square(90, 90, 120, 120)]
    report, text = run(export(dg_task(labels=segmentation(rings))))
    finding = only(report, "RB616")
    assert_at(finding, ring_at(text, 90))
    assert "cut-out ring 1 of segmentation `road` is not inside its outer ring" in finding.message


def test_rb616_overlapping_cut_outs(run: Lint) -> None:
    rings = [square(0, 0, 100, 100), square(20, 20, 40, 40), square(30, 30, 50, 50)]
    report, text = run(export(dg_task(labels=segmentation(rings))))
    finding = only(report, "RB616")
    assert_at(finding, ring_at(text, 30))
    assert "cut-out ring 2" in finding.message and "overlaps cut-out ring 1" in finding.message


def test_rb616_passes_for_touching_cut_outs(run: Lint) -> None:
    rings = [square(0, 0, 100, 100), square(20, 20, 40, 40), square(40, 20, 60, 40)]
    report, _ = run(export(dg_task(labels=segmentation(rings))))
    assert "RB616" not in codes(report)


def _random_rings(rng: random.Random, count: int) -> list[list[dict[str, Any]]]:
    """An outer ring, then cut-outs on a coarse grid: many touch, overlap, nest or stick out."""
    rings = [square(0, 0, 60, 60)]
    for _ in range(count):
        x, y = rng.randrange(-10, 60, 5), rng.randrange(-10, 60, 5)
        w, h = rng.randrange(5, 25, 5), rng.randrange(5, 25, 5)
        if rng.random() < 0.3:
            rings.append(pts((x, y), (x + w, y), (x, y + h)))  # a triangle
        elif rng.random() < 0.1:
            rings.append(pts((x, y), (x + w, y + h), (x + w, y), (x, y + h)))  # a bow tie: RB615's
        else:
            rings.append(square(x, y, x + w, y + h))
    return rings


@pytest.mark.parametrize("seed", range(12))
def test_rb616_findings_equal_the_all_pairs_comparison(
    run: Lint, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """The STRtree only narrows the candidates: the findings are those of comparing every cut-out
    with every earlier one, as RB616 did before (promise 8: 8,000 cut-outs took 93 s)."""
    rng = random.Random(seed)
    data = export(dg_task(labels=segmentation(*(_random_rings(rng, rng.randrange(2, 30)) for _ in range(3)))))
    indexed, _ = run(data)
    monkeypatch.setattr(EnvelopeIndex, "earlier", lambda self, position: list(range(position)))
    every_pair, _ = run(data)
    found = [(f.line, f.column, f.message) for f in indexed.findings if f.code == "RB616"]
    assert found == [(f.line, f.column, f.message) for f in every_pair.findings if f.code == "RB616"]
    assert found or seed > 3  # the first cases do find overlapping cut-outs


def test_rb616_many_cut_outs_stay_fast(run: Lint) -> None:
    """2,000 cut-outs in a grid, every tenth overlapping its neighbours (all pairs: ~6 s)."""
    rings = [square(0, 0, 460, 460)]
    rings += [
        square(x + 5, y + 5, x + (17 if (x + y) % 100 == 0 else 13), y + 13)
        for x in range(0, 450, 10)
        for y in range(0, 450, 10)
    ][:2000]
    report, _ = run(export(dg_task(labels=segmentation(rings))))
    assert codes(report).count("RB616") > 0


# --- RB617 cut-out-erases-instance -------------------------------------------------------------


def test_rb617_cut_out_over_another_instance(run: Lint) -> None:
    main = [square(0, 0, 100, 100), square(30, 30, 70, 70)]
    inner = [square(45, 45, 55, 55)]
    report, text = run(export(dg_task(labels=segmentation(main, inner))))
    finding = only(report, "RB617")
    assert_at(finding, ring_at(text, 30))
    victim_line = ring_at(text, 45)[0] - 2
    assert f"another `road` instance (line {victim_line})" in finding.message
    assert "erases" in finding.message and str(finding.severity) == "warning"


def test_rb617_passes_across_tasks_and_classes(run: Lint) -> None:
    main = [square(0, 0, 100, 100), square(30, 30, 70, 70)]
    elsewhere = dg_task("m-2", "b.jpg", labels=segmentation([square(45, 45, 55, 55)]))
    report, _ = run(export(dg_task(labels=segmentation(main)), elsewhere))
    assert codes(report) == []


# --- RB618 coordinate-out-of-bounds ------------------------------------------------------------


def test_rb618_rectangle_beyond_width(run: Lint) -> None:
    labels = {"bus": [obj("rectangle", [{"x": 1900, "y": 80, "w": 64, "h": 45}])]}
    report, text = run(export(dg_task(labels=labels)), **{"image-width": 1920})
    finding = only(report, "RB618")
    assert_at(finding, value_at(text, "w"))
    assert "`x` + `w` = 1964" in finding.message and "width 1920" in finding.message


def test_rb618_vertex_below_image(run: Lint) -> None:
    labels = {"car": [obj(coords=pts((10, 10), (60, 730), (35, 750)))]}
    report, text = run(export(dg_task(labels=labels)), **{"image-height": 720})
    finding = only(report, "RB618")
    assert_at(finding, value_at(text, "y", 2))
    assert "`y` = 730" in finding.message and "2 values" in finding.message


def test_rb618_passes_inside_and_without_configuration(run: Lint) -> None:
    labels = {"bus": [obj("rectangle", [{"x": 1856, "y": 0, "w": 64, "h": 720}])]}
    report, _ = run(export(dg_task(labels=labels)), **{"image-width": 1920, "image-height": 720})
    assert "RB618" not in codes(report)
    report, _ = run(export(dg_task(labels={"car": [obj(coords=pts((1, 1), (9e5, 1), (1, 9e5)))]})))
    assert "RB618" not in codes(report)


# --- RB619 malformed-classification ------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "needle", "part"),
    [
        ([], "[]", "has no value"),
        ([{"daytime": ["day"]}, "sunny"], '"sunny"', "follows a nested classification"),
        (["sunny", "rain"], '"rain"', "radio classification with 2 answers"),
        ([None, "sunny"], "null", "`null` beside answers"),
        (["sunny", {}], "{}", "empty nested object"),
    ],
)
def test_rb619_malformed_values(run: Lint, values: list[Any], needle: str, part: str) -> None:
    report, text = run(export(dg_task(global_classifications={"weather": values})))
    finding = only(report, "RB619")
    assert_at(finding, position(text, needle))
    assert part in finding.message


def test_rb619_passes_for_checklist_answers_and_nesting(run: Lint) -> None:
    classifications = {"occlusion": ["hidden", "truncated"], "note": ["looks odd"], "car_type": [None]}
    labels = {"car": [obj(classifications=classifications)]}
    report, _ = run(
        export(dg_task(labels=labels, global_classifications={"weather": ["sunny", {"daytime": ["day"]}]}))
    )
    assert codes(report) == []


# --- RB620 unanswered-required-classification --------------------------------------------------


def test_rb620_required_class_is_null(run: Lint) -> None:
    labels = {"car": [obj(classifications={"car_type": [None]})]}
    report, text = run(export(dg_task(labels=labels)), **{"required-classes": ["car_type"]})
    finding = only(report, "RB620")
    assert_at(finding, value_at(text, "car_type"))
    assert "`car_type` is a required classification but unanswered" in finding.message


def test_rb620_nested_required_class(run: Lint) -> None:
    data = export(dg_task(global_classifications={"weather": ["sunny", {"daytime": [None]}]}))
    report, text = run(data, **{"required-classes": ["daytime"]})
    assert_at(only(report, "RB620"), value_at(text, "daytime"))


def test_rb620_passes_when_answered_or_not_required(run: Lint) -> None:
    labels = {"car": [obj(classifications={"car_type": ["van"], "occlusion": [None]})]}
    report, _ = run(export(dg_task(labels=labels)), **{"required-classes": ["car_type"]})
    assert "RB620" not in codes(report)
    report, _ = run(export(dg_task(labels={"car": [obj(classifications={"car_type": [None]})]})))
    assert "RB620" not in codes(report)


def test_triangle_fixture_is_valid(run: Lint) -> None:
    report, _ = run(export(dg_task(labels={"car": [obj(coords=TRIANGLE)]})))
    assert codes(report) == []


# --- shapely and numpy load lazily -------------------------------------------------------------

_SHAPELY_LOADED = """
import json, sys
from rb_lint import lint_documents
select = sys.argv[2].split(",") if sys.argv[2] else None
report = lint_documents({"export.json": json.loads(sys.argv[1])}, kind="datagym", select=select)
assert not report.errors, report.errors
print("shapely" in sys.modules)
"""


@pytest.mark.parametrize(
    ("labels", "select", "loaded"),
    [
        ({"head": [obj("point", pts((1, 1)))]}, "", False),  # no ring to check
        ({"car": [obj(coords=pts((1, 1), (2, 2)))]}, "", False),  # too few points: no ring either
        ({"car": [obj()]}, "RB600,RB611,RB613", False),  # rings, but no rule about shapes selected
        ({"car": [obj()]}, "RB615", True),
        ({"road": [obj("image_segmentation", [TRIANGLE])]}, "", True),
    ],
)
def test_shapely_is_imported_only_when_a_ring_is_checked(
    labels: dict[str, Any], select: str, loaded: bool
) -> None:
    data = export(dg_task(labels=labels))
    result = subprocess.run(
        [sys.executable, "-c", _SHAPELY_LOADED, json.dumps(data), select],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.strip() == str(loaded), result.stderr
