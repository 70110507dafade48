"""RB8xx: DICOM series and RT-STRUCT / DICOM-SEG segmentations, on real files written by pydicom.

Each rule fails and passes at an exact line and column; hostile files (a directory, a text file, a
truncated file, a header that claims gigabytes) are findings, never tracebacks, read in bounded memory.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pytest
from conftest import only, position
from dicom_builders import AXIAL, ORIGIN, ct_image, save_dicom, segmentation, series_affine, structure_set
from pydicom.uid import generate_uid

from rb_lint import Report, lint_documents
from rb_lint.facts.grid import series_grid
from rb_lint.formats.dicom import DicomHeader, NotDicom, read_dicom

SERIES = "1.2.826.0.1.3680043.8.498.1"
ROWS, COLUMNS = 8, 6


def instance(path: Path, z: float, **changes: Any) -> str:
    """One CT instance (8 rows x 6 columns of pixels, a new UID unless `uid`); returns its SOPInstanceUID."""
    ds = ct_image(
        changes.get("uid") or generate_uid(),
        changes.get("series", SERIES),
        z,
        rows=changes.get("rows", ROWS),
        columns=changes.get("columns", COLUMNS),
        orientation=changes.get("orientation", AXIAL),
    )
    save_dicom(path, ds)
    return str(ds.SOPInstanceUID)


def series(
    tmp_path: Path, count: int = 4, gap_at: int | None = None, **changes: Any
) -> tuple[list[str], list[str]]:
    """`count` instances 5 mm apart under ct/ (an extra 10 mm before index `gap_at`): names, UIDs."""
    names, uids = [], []
    for k in range(count):
        z = 5.0 * k + (10.0 if gap_at is not None and k >= gap_at else 0.0)
        name = f"ct/{k:03d}.dcm"
        uids.append(instance(tmp_path / name, z, **changes))
        names.append(name)
    return names, uids


def rtstruct(
    path: Path, rois: list[str], referenced_series: str = SERIES, images: tuple[str, ...] = ()
) -> Path:
    ds = structure_set(
        rois,
        uid=generate_uid(),
        series_uid=generate_uid(),
        study_uid=generate_uid(),
        frame_uid=generate_uid(),
        referenced_series=referenced_series,
        images=images,
    )
    return save_dicom(path, ds)


def dicom_seg(path: Path, labels: list[str], referenced_series: str = SERIES) -> Path:
    ds = segmentation(
        labels,
        uid=generate_uid(),
        series_uid=generate_uid(),
        referenced_series=referenced_series,
        rows=ROWS,
        columns=COLUMNS,
    )
    return save_dicom(path, ds)


def mask(
    tmp_path: Path, shape: tuple[int, int, int], affine: np.ndarray | None = None, name: str = "seg.nii.gz"
) -> str:
    image = nib.Nifti1Image(np.zeros(shape, np.uint8), series_affine() if affine is None else affine)  # type: ignore[no-untyped-call, unused-ignore]
    nib.save(image, tmp_path / name)
    return name


def run(tmp_path: Path, *series_list: dict[str, Any], select: str = "RB8") -> tuple[Report, str]:
    text = json.dumps([{"name": "p1", "series": list(series_list)}], indent=2)
    return lint_documents({"tasks.json": text}, root=tmp_path, config={}, select=[select]), text


def at(finding: Any) -> tuple[int, int]:
    return finding.line, finding.column


def clean(report: Report) -> None:
    assert report.errors == []
    assert [(f.code, f.message) for f in report.findings] == []


# -- a clean upload ----------------------------------------------------------------------------------


def test_a_consistent_series_with_a_matching_mask_and_rtstruct_passes(tmp_path: Path) -> None:
    names, uids = series(tmp_path)
    rtstruct(tmp_path / "rt.dcm", ["Liver", "Spleen"], images=tuple(uids))
    report, _ = run(
        tmp_path,
        {"name": "CT", "items": names, "segmentations": mask(tmp_path, (COLUMNS, ROWS, 4))},
        {
            "name": "RT",
            "items": names,
            "segmentations": "rt.dcm",
            "segmentMap": {"Liver": "Liver", "Spleen": "Spleen"},
        },
    )
    clean(report)


def test_remote_and_missing_items_are_not_read(tmp_path: Path) -> None:
    report, _ = run(tmp_path, {"items": ["s3://bucket/ct/001.dcm", "ct/not-checked-out.dcm"]})
    clean(report)


# -- RB800 unreadable-dicom ------------------------------------------------------------------------------


def hostile(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / "ct" / "003.dcm"
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "directory":
        path.mkdir()
    elif kind == "text":
        path.write_text("patient,slice\n001,3\n", encoding="utf-8")
    elif kind == "empty":
        path.write_bytes(b"")
    else:
        # A fixed UID: `generate_uid()`'s vary in length (one in a hundred is two bytes shorter),
        # and so would the byte at which the truncated header ends.
        instance(path, 15.0, uid="1.2.826.0.1.3680043.8.498." + "1" * 38)
        data = bytearray(path.read_bytes())
        if kind == "truncated":
            data = data[:300]
        elif kind == "gigabytes":  # Pixel Data (7FE0,0010) OW claims 4 GB in an 800-byte file
            tag = data.index(b"\xe0\x7f\x10\x00OW")
            data[tag + 8 : tag + 12] = struct.pack("<I", 0xFFFFFFF0)
        elif kind == "gigabytes-header":  # a private element before Rows claims 4 GB
            tag = data.index(b"\x28\x00\x10\x00US")
            data[tag:tag] = b"\x09\x00\x10\x10OB\x00\x00" + struct.pack("<I", 0xFFFFFFF0) + b"x" * 8
        path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("directory", "is a directory, not a DICOM file"),
        ("text", "is not a DICOM file: it is a text file (it starts with `patient,slice`)"),
        ("empty", "is empty (0 bytes)"),
        ("truncated", "is truncated or damaged: at byte 300"),
        ("gigabytes", "bytes long, but the file ends 96 bytes later"),
        ("gigabytes-header", "its header needs 4,294,967,280 more bytes"),
    ],
)
def test_rb800_hostile_files_are_findings_at_their_item(tmp_path: Path, kind: str, says: str) -> None:
    names, _ = series(tmp_path, 3)
    hostile(tmp_path, kind)
    report, text = run(tmp_path, {"items": [*names, "ct/003.dcm"]})
    assert report.errors == []
    finding = only(report, "RB800")
    assert finding.pointer == "/0/series/0/items/3"
    assert at(finding) == position(text, '"ct/003.dcm"')
    assert finding.message.startswith("`ct/003.dcm` ") and says in finding.message
    assert "the series cannot be built from it" in finding.message


@pytest.mark.parametrize("kind", ["truncated", "gigabytes", "gigabytes-header", "text", "directory"])
def test_rb800_hostile_headers_are_read_in_bounded_memory(tmp_path: Path, kind: str) -> None:
    path = hostile(tmp_path, kind)
    tracemalloc.start()
    try:
        result = read_dicom(path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(result, NotDicom)
    assert peak < 2 * 1024 * 1024


def test_rb800_a_header_over_the_budget_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "big.dcm"
    instance(path, 0.0)
    assert isinstance(read_dicom(path), DicomHeader)
    result = read_dicom(path, budget=200)
    assert isinstance(result, NotDicom) and "header goes on past" in result.reason


def test_rb800_an_image_without_pixel_data_and_an_unreadable_segmentation(tmp_path: Path) -> None:
    names, _ = series(tmp_path, 2)
    path = tmp_path / names[1]
    data = path.read_bytes()
    path.write_bytes(data[: data.index(b"\xe0\x7f\x10\x00OW")])  # cut exactly before Pixel Data
    (tmp_path / "rt.dcm").write_text("not a structure set", encoding="utf-8")
    report, _ = run(tmp_path, {"items": names, "segmentations": ["rt.dcm"], "segmentMap": {"Liver": "Liver"}})
    found = sorted((f.pointer, f.message) for f in report.findings if f.code == "RB800")
    assert found == [
        ("/0/series/0/items/1", "`ct/001.dcm` has no pixel data: the file is cut short before its image, or "
         "holds none: the series cannot be built from it"),
        ("/0/series/0/segmentations/0", "`rt.dcm` is not a DICOM file: it is a text file (it starts with "
         "`not a structure set`): the SDK's conversion fails on it"),
    ]  # fmt: skip
    assert report.errors == []


def test_rb800_an_extensionless_instance_is_read(tmp_path: Path) -> None:
    instance(tmp_path / "ct" / "1.2.840.1", 0.0)
    (tmp_path / "ct" / "IM0002").write_text("oops", encoding="utf-8")
    report, text = run(tmp_path, {"items": ["ct/1.2.840.1", "ct/IM0002"]})
    assert at(only(report, "RB800")) == position(text, '"ct/IM0002"')


# -- RB801 to RB805: the instances of a series ---------------------------------------------------------


def test_rb801_an_instance_of_another_series(tmp_path: Path) -> None:
    names, _ = series(tmp_path, 3)
    instance(tmp_path / "other.dcm", 15.0, series="1.2.826.0.1.3680043.8.498.2")
    report, text = run(tmp_path, {"items": [*names, "other.dcm"]})
    finding = only(report, "RB801")
    assert (finding.pointer, at(finding)) == ("/0/series/0/items/3", position(text, '"other.dcm"'))
    assert "belongs to DICOM series `1.2.826.0.1.3680043.8.498.2`" in finding.message
    clean(run(tmp_path, {"items": names})[0])


def test_rb802_an_instance_of_another_size(tmp_path: Path) -> None:
    names, _ = series(tmp_path, 3)
    instance(tmp_path / "scout.dcm", 15.0, rows=4)
    report, text = run(tmp_path, {"items": [*names, "scout.dcm"]}, select="RB802")
    finding = only(report, "RB802")
    assert at(finding) == position(text, '"scout.dcm"')
    assert finding.message.startswith("`scout.dcm` is 6 x 4 pixels (Columns x Rows), but the series' first")


def test_rb803_an_instance_with_another_orientation(tmp_path: Path) -> None:
    names, _ = series(tmp_path, 3)
    instance(tmp_path / "sag.dcm", 15.0, orientation=(0, 1, 0, 0, 0, -1))
    instance(tmp_path / "almost.dcm", 20.0, orientation=(1, 0.0005, 0, 0, 1, 0))  # within 0.001
    report, text = run(tmp_path, {"items": [*names, "sag.dcm", "almost.dcm"]}, select="RB803")
    finding = only(report, "RB803")
    assert at(finding) == position(text, '"sag.dcm"')
    assert "ImageOrientationPatient [0, 1, 0, 0, 0, -1]" in finding.message


def test_rb804_the_same_instance_twice(tmp_path: Path) -> None:
    names, uids = series(tmp_path, 3)
    instance(tmp_path / "copy.dcm", 0.0, uid=uids[1])
    report, text = run(tmp_path, {"items": [*names, "copy.dcm", names[0]]}, select="RB804")
    found = sorted((f.pointer, at(f), f.message.split(" (")[0]) for f in report.findings)
    copy, again = position(text, '"copy.dcm"'), position(text, '"ct/000.dcm"', 2)
    assert found == [
        ("/0/series/0/items/3", copy, "`copy.dcm` is the same instance as `ct/001.dcm`"),
        ("/0/series/0/items/4", again, "`ct/000.dcm` lists the same file as `ct/000.dcm`"),
    ]


def test_rb805_a_gap_in_the_slice_positions(tmp_path: Path) -> None:
    names, _ = series(tmp_path, 5, gap_at=3)  # z = 0, 5, 10, 25, 30: 003 is 15 mm after 002
    report, text = run(tmp_path, {"items": names})
    finding = only(report, "RB805")
    assert finding.severity.name == "WARNING"
    assert (finding.pointer, at(finding)) == ("/0/series/0/items/3", position(text, '"ct/003.dcm"'))
    assert finding.message.startswith("`ct/003.dcm` is 15 mm from the slice before it (`ct/002.dcm`")
    assert "slices are 5 mm apart: about 2 instances are missing" in finding.message


def test_rb805_passes_evenly_spaced_slices_in_any_item_order(tmp_path: Path) -> None:
    names, _ = series(tmp_path, 5)
    clean(run(tmp_path, {"items": list(reversed(names))})[0])


# -- RB806 / RB807: a NIfTI mask on the series ----------------------------------------------------------


def test_rb806_a_mask_one_slice_short(tmp_path: Path) -> None:
    names, _ = series(tmp_path)
    report, text = run(tmp_path, {"items": names, "segmentations": mask(tmp_path, (COLUMNS, ROWS, 3))})
    finding = only(report, "RB806")
    assert (finding.pointer, at(finding)) == ("/0/series/0/segmentations", position(text, '"seg.nii.gz"'))
    assert finding.message == (
        "mask `seg.nii.gz` has 3 slices where the series has 4 instances (one slice short): shape "
        "(6, 8, 3), expected (6, 8, 4); its labels land on the wrong slices"
    )


def test_rb806_a_transposed_mask_and_another_shape(tmp_path: Path) -> None:
    names, _ = series(tmp_path)
    report, text = run(
        tmp_path,
        {
            "items": names,
            "segmentations": [mask(tmp_path, (ROWS, COLUMNS, 4)), mask(tmp_path, (5, 5, 4), name="b.nii")],
        },
    )
    found = sorted((f.pointer, at(f), f.message) for f in report.findings if f.code == "RB806")
    assert [(p, a) for p, a, _m in found] == [
        ("/0/series/0/segmentations/0", position(text, '"seg.nii.gz"')),
        ("/0/series/0/segmentations/1", position(text, '"b.nii"')),
    ]
    assert "is transposed: its shape is (8, 6, 4), the series' is (6, 8, 4)" in found[0][2]
    assert (
        found[1][2]
        == "mask `b.nii` has shape (5, 5, 4), but the series is (6, 8, 4) (Columns, Rows, instances)"
    )


def test_rb807_a_mask_on_another_grid(tmp_path: Path) -> None:
    names, _ = series(tmp_path)
    wrong_spacing = series_affine()
    wrong_spacing[0, 0] = -1.0
    shifted = series_affine()
    shifted[2, 3] += 5.0  # one slice up
    report, text = run(
        tmp_path,
        {
            "items": names,
            "segmentations": [
                mask(tmp_path, (COLUMNS, ROWS, 4), wrong_spacing, "a.nii.gz"),
                mask(tmp_path, (COLUMNS, ROWS, 4), shifted, "b.nii.gz"),
                mask(tmp_path, (COLUMNS, ROWS, 4), np.diag([-1.0, -1, 1, 1]), "placeholder.nii.gz"),
                mask(tmp_path, (COLUMNS, ROWS, 4), name="good.nii.gz"),
            ],
        },
    )
    found = sorted((at(f), f.message) for f in report.findings)
    assert [f.code for f in report.findings] == ["RB807", "RB807"]
    assert found[0][0] == position(text, '"a.nii.gz"')
    assert "has spacing (1, 0.5, 5) mm where the series has (0.75, 0.5, 5)" in found[0][1]
    assert found[1][0] == position(text, '"b.nii.gz"')
    assert "(0, 0, 1) voxels from the series' first slice position (-10, -20, 30)" in found[1][1]


# -- RB808 / RB809: segmentMap keys against the ROIs ------------------------------------------------------


def test_rb808_a_stale_roi_key_and_rb809_an_unmapped_roi(tmp_path: Path) -> None:
    names, uids = series(tmp_path)
    rtstruct(tmp_path / "rt.dcm", ["Liver", "Spleen", "Kidney_L"], images=tuple(uids))
    report, text = run(
        tmp_path,
        {"items": names, "segmentations": "rt.dcm", "segmentMap": {"Liver": "Liver", "Kidney L": "Kidney"}},
    )
    stale = only(report, "RB808")
    assert (stale.pointer, at(stale)) == ("/0/series/0/segmentMap/Kidney L", position(text, '"Kidney L"'))
    assert stale.message == (
        "segmentMap key `Kidney L` is no ROI of `rt.dcm` (its ROIs: Liver, Spleen, Kidney_L): did you mean "
        "`Kidney_L`?; the upload drops this entry without a warning"
    )
    unmapped = only(report, "RB809")
    assert unmapped.severity.name == "WARNING"
    assert (unmapped.pointer, at(unmapped)) == ("/0/series/0/segmentations", position(text, '"rt.dcm"'))
    assert unmapped.message.startswith("`rt.dcm` has 2 ROIs with no segmentMap key: `Spleen`, `Kidney_L`;")


def test_rb808_dicom_seg_keys_are_segment_numbers(tmp_path: Path) -> None:
    names, _ = series(tmp_path)
    dicom_seg(tmp_path / "seg.dcm", ["Liver", "Spleen"])
    report, text = run(
        tmp_path,
        {"items": names, "segmentations": ["seg.dcm"], "segmentMap": {"1": "Liver", "Spleen": "Spleen"}},
    )
    stale = only(report, "RB808")
    assert at(stale) == position(text, '"Spleen":')
    assert (
        "is no segment number of `seg.dcm` (its segments: 1 Liver, 2 Spleen): `Spleen` is the label"
        in stale.message
    )
    assert only(report, "RB809").message.startswith(
        "`seg.dcm` has 1 segment with no segmentMap key: 2 (`Spleen`);"
    )
    clean(
        run(tmp_path, {"items": names, "segmentations": ["seg.dcm"], "segmentMap": {"1": "Liver", "2": "S"}})[
            0
        ]
    )


def test_rb808_is_not_judged_when_a_segmentation_is_not_local(tmp_path: Path) -> None:
    names, _ = series(tmp_path)
    rtstruct(tmp_path / "rt.dcm", ["Liver"])
    report, _ = run(
        tmp_path,
        {
            "items": names,
            "segmentations": ["rt.dcm", "s3://b/rt2.dcm"],
            "segmentMap": {"Liver": "L", "GTV": "G"},
        },
    )
    clean(report)


def test_rb114_leaves_rtstruct_keys_to_rb808(tmp_path: Path) -> None:
    rtstruct(tmp_path / "rt.dcm", ["Liver"])
    report, text = run(
        tmp_path,
        {"items": "ct.nii.gz", "segmentations": "rt.dcm", "segmentMap": {"Liver": "Liver"}},
        {"items": "ct.nii.gz", "segmentations": "seg.nii.gz", "segmentMap": {"Liver": "Liver"}},
        select="RB114",
    )
    finding = only(report, "RB114")
    assert (finding.pointer, at(finding)) == ("/0/series/1/segmentMap/Liver", position(text, '"Liver":', 2))


# -- RB810 / RB811 ----------------------------------------------------------------------------------------


def test_rb810_a_structure_set_of_another_series(tmp_path: Path) -> None:
    names, uids = series(tmp_path)
    rtstruct(tmp_path / "other.dcm", ["Liver"], referenced_series="1.2.3.4")
    rtstruct(tmp_path / "images.dcm", ["Liver"], images=(uids[0], "1.2.3.5"))
    dicom_seg(tmp_path / "seg.dcm", ["Liver"])
    report, text = run(
        tmp_path,
        {"items": names, "segmentations": ["other.dcm", "images.dcm"], "segmentMap": {"Liver": "Liver"}},
        {"items": names, "segmentations": "seg.dcm", "segmentMap": {"1": "Liver"}},
    )
    found = sorted((f.pointer, at(f), f.message) for f in report.findings)
    assert [(p, a) for p, a, _m in found] == [
        ("/0/series/0/segmentations/0", position(text, '"other.dcm"')),
        ("/0/series/0/segmentations/1", position(text, '"images.dcm"')),
    ]
    assert found[0][2].startswith(
        f"`other.dcm` refers to DICOM series `1.2.3.4`, but the items are series `{SERIES}`"
    )
    assert found[1][2].startswith(
        "`images.dcm` draws on 1 image that is not among the items (first: SOPInstanceUID `1.2.3.5`)"
    )


def test_rb811_a_structure_set_among_the_items_and_an_image_as_segmentation(tmp_path: Path) -> None:
    names, _ = series(tmp_path)
    rtstruct(tmp_path / "ct" / "rt.dcm", ["Liver"])
    report, text = run(
        tmp_path,
        {"items": [*names, "ct/rt.dcm"]},
        {"items": names, "segmentations": names[0], "segmentMap": {"1": "Liver"}},
        select="RB811",
    )
    found = sorted((f.pointer, at(f), f.message) for f in report.findings)
    assert found[0][:2] == ("/0/series/0/items/4", position(text, '"ct/rt.dcm"'))
    assert found[0][2].startswith(
        "`ct/rt.dcm` is an RT Structure Set, not an image: it belongs in `segmentations`"
    )
    assert found[1][:2] == ("/0/series/1/segmentations", position(text, '"ct/000.dcm"', 3))
    assert found[1][2].startswith("`ct/000.dcm` is a DICOM CT object, neither an RT Structure Set nor")


# -- the grid the geometry family uses ------------------------------------------------------------------


def test_the_grid_of_a_dicom_series(tmp_path: Path) -> None:
    names, _ = series(tmp_path)
    report, _ = run(
        tmp_path,
        {"items": names, "landmarks3d": [{"point": {"i": 2, "j": 3, "k": 4}, "category": "Nodule"}]},
        select="RB706",
    )
    assert "grid 6 x 8 x 4 from its 4 DICOM instances" in only(report, "RB706").message


def test_dicom_grid_affine_is_lps(tmp_path: Path) -> None:
    from rb_lint.core.config import LoadedConfig, parse_config
    from rb_lint.core.context import Context
    from rb_lint.io.loading import document_from_bytes

    names, _ = series(tmp_path)
    text = json.dumps([{"name": "p1", "series": [{"items": list(reversed(names))}]}])
    doc = document_from_bytes(text.encode(), tmp_path / "tasks.json", "tasks.json", None)
    ctx = Context(LoadedConfig(parse_config({}), tmp_path.resolve()), [doc])
    grid = series_grid(doc, ctx, "/0/series/0")
    assert grid is not None and grid.dimensions == (COLUMNS, ROWS, 4)
    assert grid.to_world((1.0, 2.0, 3.0)) == (ORIGIN[0] + 0.75, ORIGIN[1] + 1.0, ORIGIN[2] + 15.0)


def test_pydicom_is_imported_only_when_a_dicom_file_is_read() -> None:
    code = "import sys, rb_lint.rules, rb_lint.cli; assert 'pydicom' not in sys.modules, 'imported'"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).returncode == 0
