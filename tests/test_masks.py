"""RB3xx: masks against their items lists — every rule failing and passing, on real NIfTI files."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import DATA, codes, only, position
from test_nifti_support import cube, save, write_nifti

from rb_lint import Options, Report, lint

CORPUS = DATA / "corpus"
Lint = Callable[..., Report]


def series_doc(**series: Any) -> list[dict[str, Any]]:
    return [{"name": "patient-001", "series": [{"items": "ct.nii.gz", **series}]}]


@pytest.fixture
def lint_series(lint_files: Lint) -> Callable[..., tuple[Report, str]]:
    """Lint one task whose series is given; only the RB3xx rules run."""

    def run(
        select: list[str] | None = None,
        options: Options | None = None,
        config: dict[str, Any] | None = None,
        **series: Any,
    ) -> tuple[Report, str]:
        text = json.dumps(series_doc(**series), indent=2)
        report = lint_files(
            {"items.json": text}, select=select or ["RB3"], options=options or Options(), config=config or {}
        )
        assert report.errors == []
        return report, text

    return run


# -- acceptance ------------------------------------------------------------------------------------


def test_acceptance_id_missing_from_mask_and_value_missing_from_segmentmap(tmp_path, lint_series):
    save(tmp_path / "seg.nii.gz", cube({(1, 1, 1): 1, (2, 2, 2): 2, (3, 3, 3): 4}))
    report, text = lint_series(segmentations="seg.nii.gz", segmentMap={"1": "a", "2": "b", "3": "c"})
    error = only(report, "RB304")
    assert error.severity.name == "ERROR"
    assert (error.line, error.column) == position(text, '"3"')
    assert "instance id `3` (`c`) is in none of the series' segmentation file" in error.message
    assert "`seg.nii.gz` holds 0, 1, 2, 4" in error.message
    warning = only(report, "RB305")
    assert warning.severity.name == "WARNING"
    assert (warning.line, warning.column) == position(text, '"seg.nii.gz"')
    assert "`seg.nii.gz` holds value 4 that `segmentMap` does not map" in warning.message


def test_acceptance_binary_file_with_several_values(tmp_path, lint_series):
    save(tmp_path / "liver.nii.gz", cube({(1, 1, 1): 1}))
    save(tmp_path / "organs.nii.gz", cube({(1, 1, 1): 1, (2, 2, 2): 2}))
    report, text = lint_series(
        segmentations=["liver.nii.gz", "organs.nii.gz"],
        binaryMask=True,
        segmentMap={
            "1": {"category": "Liver", "mask": "liver.nii.gz"},
            "2": {"category": "Spleen", "mask": "organs.nii.gz"},
        },
    )
    error = only(report, "RB309")
    assert error.severity.name == "ERROR"
    assert (error.line, error.column) == position(text, '"organs.nii.gz"')
    assert "`organs.nii.gz` holds 2 different non-zero values (1, 2)" in error.message
    assert "all of them become instance `2`" in error.message


def test_acceptance_two_shapes_in_one_series(tmp_path, lint_series):
    save(tmp_path / "a.nii.gz", cube({(1, 1, 1): 1}, shape=(240, 240, 155)))
    save(tmp_path / "b.nii.gz", cube({(1, 1, 1): 2}, shape=(240, 240, 154)))
    report, text = lint_series(
        segmentations=["a.nii.gz", "b.nii.gz"], segmentMap={"1": "Liver", "2": "Spleen"}
    )
    error = only(report, "RB324")
    assert (error.line, error.column) == position(text, '"b.nii.gz"')
    assert error.message.startswith(
        "`b.nii.gz` has shape (240, 240, 154) where `a.nii.gz`, the series' first mask, has (240, 240, 155)"
    )


CORPUS_EXPECTED = {
    "anatomical.nii": ("RB319", "negative values"),
    "example4d.nii.gz": ("RB314", "is 4-D (shape (128, 96, 24, 2))"),
    "example_nifti2.nii.gz": ("RB314", "is 4-D (shape (32, 20, 12, 2))"),
    "functional.nii": ("RB318", "scl_slope 0.075407 and scl_inter 3100.76"),
    "monai_anatomical_label.nii.gz": (None, ""),
    "monai_reoriented_anat_moved_label.nii.gz": ("RB325", "the image `anatomical.nii` has"),
    "reoriented_anat_moved.nii": ("RB317", "fractional values"),
    "resampled_anat_moved.nii": ("RB317", "non-finite values (nan)"),
    "row_major.dconn.nii": ("RB312", "is a CIFTI-2 file (intent code 3001)"),
    "standard.nii.gz": ("RB305", "holds value 255"),
}


@pytest.mark.parametrize("name", sorted(CORPUS_EXPECTED))
def test_acceptance_every_corpus_file_linted_as_a_segmentation(name, tmp_path, lint_files):
    assert sorted(p.name for p in CORPUS.glob("*.nii*")) == sorted(CORPUS_EXPECTED)
    shutil.copy(CORPUS / name, tmp_path / name)
    shutil.copy(CORPUS / "anatomical.nii", tmp_path / "anatomical.nii")  # the labels' image
    doc = [
        {
            "name": "p1",
            "series": [{"items": "anatomical.nii", "segmentations": name, "segmentMap": {"1": "Lesion"}}],
        }
    ]
    text = json.dumps(doc, indent=2)
    report = lint_files({"items.json": text}, select=["RB3"], config={})
    assert report.errors == []
    code, said = CORPUS_EXPECTED[name]
    if code is None:
        assert report.findings == []
        return
    found = [f for f in report.findings if f.code == code]
    assert len(found) == 1, [(f.code, f.message) for f in report.findings]
    assert (found[0].line, found[0].column) == position(
        text, f'"{name}"', 2 if name == "anatomical.nii" else 1
    )
    assert f"`{name}`" in found[0].message and said in found[0].message


def test_corpus_label_on_its_own_image_grid_is_clean(tmp_path, lint_files):
    for name in ("reoriented_anat_moved.nii", "monai_reoriented_anat_moved_label.nii.gz"):
        shutil.copy(CORPUS / name, tmp_path / name)
    doc = [
        {
            "name": "p1",
            "series": [
                {
                    "items": "reoriented_anat_moved.nii",
                    "segmentations": "monai_reoriented_anat_moved_label.nii.gz",
                    "segmentMap": {"1": "Lesion"},
                }
            ],
        }
    ]
    report = lint_files({"items.json": doc}, select=["RB3"], config={})
    assert report.findings == [] and report.errors == []


# -- RB301–RB303 -----------------------------------------------------------------------------------


def test_rb301_missing_file(tmp_path, lint_series):
    save(tmp_path / "labels" / "seg.nii.gz", cube({(1, 1, 1): 1}))
    report, text = lint_series(
        segmentations=["labels/seg.nii.gz", "labels/gone.nii.gz"], segmentMap={"1": "Liver"}
    )
    error = only(report, "RB301")
    assert (error.line, error.column) == position(text, '"labels/gone.nii.gz"')
    assert error.message.startswith(
        "segmentation file `labels/gone.nii.gz` does not exist "
        f"(looked for `{tmp_path / 'labels' / 'gone.nii.gz'}`"
    )
    assert "RB304" not in codes(report)  # values cannot be checked with a file missing


def test_rb301_directory(tmp_path, lint_series):
    (tmp_path / "seg.nii.gz").mkdir()
    report, text = lint_series(segmentations="seg.nii.gz", segmentMap={"1": "Liver"})
    error = only(report, "RB301")
    assert (error.line, error.column) == position(text, '"seg.nii.gz"')
    assert "is a directory, not a mask file" in error.message


def test_rb301_paths_are_relative_to_the_json_file(tmp_path, lint_files):
    save(tmp_path / "study" / "seg.nii.gz", cube({(1, 1, 1): 1}))
    (tmp_path / "ct.nii.gz").write_bytes(b"image")  # elsewhere.json's item is here: a direct-upload list
    doc = series_doc(segmentations="seg.nii.gz", segmentMap={"1": "Liver"})
    report = lint_files({"study/items.json": doc, "elsewhere.json": doc}, select=["RB301"], config={})
    assert [f.path for f in report.findings] == ["elsewhere.json"]


def test_rb302_path_outside_the_root(tmp_path):
    save(tmp_path / "shared" / "seg.nii.gz", cube({(1, 1, 1): 1}))
    doc = json.dumps(series_doc(segmentations="../shared/seg.nii.gz", segmentMap={"1": "Liver"}), indent=2)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "items.json").write_text(doc)
    report = lint([tmp_path / "data"], select=["RB3"], config={})
    warning = only(report, "RB302")
    assert (warning.line, warning.column) == position(doc, '"../shared/seg.nii.gz"')
    assert f"is outside the linted root `{tmp_path / 'data'}`" in warning.message
    assert codes(report) == ["RB302"]  # the file is still checked, and fine


def test_rb302_rb303_local_file_inside_the_root_passes(tmp_path, lint_series):
    save(tmp_path / "seg.nii.gz", cube({(1, 1, 1): 1}))
    report, _ = lint_series(segmentations="./seg.nii.gz", segmentMap={"1": "Liver"})
    assert report.findings == []


def test_rb303_remote_file(lint_series):
    report, text = lint_series(segmentations="s3://bucket/seg.nii.gz", segmentMap={"1": "Liver"})
    info = only(report, "RB303")
    assert info.severity.name == "INFO"
    assert (info.line, info.column) == position(text, '"s3://bucket/seg.nii.gz"')
    assert "`s3://bucket/seg.nii.gz` is remote: rb-lint does not download masks" in info.message
    assert codes(report) == ["RB303"]


def test_rb303_one_note_per_file(lint_series):
    remote = ["gs://b/a.nii.gz", "https://host/b.nii.gz", "az://c/d.nii.gz"]
    report, text = lint_series(segmentations=remote, segmentMap={"1": "Liver"})
    info = only(report, "RB303")
    assert (info.line, info.column) == position(text, '"gs://b/a.nii.gz"')
    assert "is remote (and 2 more remote segmentation files in this file)" in info.message


# -- RB304–RB305 -----------------------------------------------------------------------------------


def test_rb304_rb305_values_spread_over_several_files_pass(tmp_path, lint_series):
    save(tmp_path / "a.nii.gz", cube({(1, 1, 1): 1}))
    save(tmp_path / "b.nii.gz", cube({(1, 1, 1): 2}))
    report, _ = lint_series(
        segmentations=["a.nii.gz", "b.nii.gz"], segmentMap={"1": "Liver", "2": {"category": "Spleen"}}
    )
    assert report.findings == []


def test_rb304_lists_every_file(tmp_path, lint_series):
    save(tmp_path / "a.nii.gz", cube({(1, 1, 1): 1}))
    save(tmp_path / "b.nii.gz", cube({(1, 1, 1): 2}))
    report, text = lint_series(
        segmentations=["a.nii.gz", "b.nii.gz"], segmentMap={"1": "Liver", "7": ["Abdomen", "Kidney"]}
    )
    error = only(report, "RB304")
    assert (error.line, error.column) == position(text, '"7"')
    assert (
        "instance id `7` (`Abdomen > Kidney`) is in none of the series' segmentation files "
        "(`a.nii.gz` holds 0, 1; `b.nii.gz` holds 0, 2)"
    ) in error.message


def test_rb304_rb305_overlapping_group_values(tmp_path, lint_series):
    # Value 3 is the group where instances 1 and 2 overlap: it makes both present and is mapped.
    save(tmp_path / "seg.nii.gz", cube({(1, 1, 1): 1, (2, 2, 2): 3}))
    report, _ = lint_series(
        segmentations="seg.nii.gz",
        segmentMap={
            "1": {"category": "Liver", "overlappingGroups": [3]},
            "2": {"category": "Tumor", "overlappingGroups": [3]},
        },
    )
    assert report.findings == []


def test_rb304_binary_instance_whose_file_is_empty(tmp_path, lint_series):
    save(tmp_path / "liver.nii.gz", cube({(1, 1, 1): 1}))
    save(tmp_path / "spleen.nii.gz", cube())
    report, text = lint_series(
        segmentations=["liver.nii.gz", "spleen.nii.gz"],
        binaryMask=True,
        segmentMap={
            "1": {"category": "Liver", "mask": "liver.nii.gz"},
            "2": {"category": "Spleen", "mask": "spleen.nii.gz"},
        },
    )
    error = only(report, "RB304")
    assert (error.line, error.column) == position(text, '"2"')
    assert "its mask `spleen.nii.gz` holds no non-zero voxel" in error.message


def test_rb305_not_checked_for_binary_masks(tmp_path, lint_series):
    save(tmp_path / "liver.nii.gz", cube({(1, 1, 1): 255}))
    report, _ = lint_series(
        segmentations="liver.nii.gz",
        binaryMask=True,
        segmentMap={"1": {"category": "Liver", "mask": "liver.nii.gz"}},
    )
    assert report.findings == []


def test_rb305_several_values(tmp_path, lint_series):
    save(tmp_path / "seg.nii.gz", cube({(1, 1, 1): 1, (2, 2, 2): 5, (3, 3, 3): 9}))
    report, text = lint_series(segmentations="seg.nii.gz", segmentMap={"1": "Liver"})
    warning = only(report, "RB305")
    assert (warning.line, warning.column) == position(text, '"seg.nii.gz"')
    assert "holds values 5, 9 that `segmentMap` does not map: they upload as uneditable" in warning.message


# -- RB306–RB311 -----------------------------------------------------------------------------------


def binary(tmp_path: Path, **entries: Any) -> dict[str, Any]:
    for name in ("liver.nii.gz", "spleen.nii.gz"):
        save(tmp_path / name, cube({(1, 1, 1): 1}))
    return {"segmentations": ["liver.nii.gz", "spleen.nii.gz"], "binaryMask": True, "segmentMap": entries}


def test_rb306_mask_not_matching_by_exact_string(tmp_path, lint_series):
    report, text = lint_series(
        **binary(
            tmp_path,
            **{
                "1": {"category": "Liver", "mask": "./liver.nii.gz"},
                "2": {"category": "Spleen", "mask": "spleen.nii.gz"},
            },
        )
    )
    error = only(report, "RB306")
    assert (error.line, error.column) == position(text, '"./liver.nii.gz"')
    assert (
        "`mask` `./liver.nii.gz` of instance id `1` is not one of this series' `segmentations` strings"
    ) in error.message
    assert error.message.endswith("write it exactly as `liver.nii.gz`")


def test_rb306_entry_without_mask(tmp_path, lint_series):
    report, text = lint_series(
        **binary(tmp_path, **{"1": "Liver", "2": {"category": "Spleen", "mask": "spleen.nii.gz"}})
    )
    error = only(report, "RB306")
    assert (error.line, error.column) == position(text, '"1"')
    assert "instance id `1` names no `mask` file" in error.message


def test_rb306_to_rb309_well_formed_binary_series_passes(tmp_path, lint_series):
    report, _ = lint_series(
        **binary(
            tmp_path,
            **{
                "1": {"category": "Liver", "mask": "liver.nii.gz"},
                "2": {"category": "Spleen", "mask": "spleen.nii.gz"},
            },
        )
    )
    assert report.findings == []


def test_rb307_file_claimed_twice(tmp_path, lint_series):
    report, text = lint_series(
        **binary(
            tmp_path,
            **{
                "1": {"category": "Liver", "mask": "liver.nii.gz"},
                "2": {"category": "Spleen", "mask": "liver.nii.gz"},
            },
        )
    )
    error = only(report, "RB307")
    assert (error.line, error.column) == position(text, '"liver.nii.gz"', 3)
    assert "`liver.nii.gz` is already the mask of instance id `1`" in error.message


def test_rb308_file_no_entry_claims(tmp_path, lint_series):
    report, text = lint_series(**binary(tmp_path, **{"1": {"category": "Liver", "mask": "spleen.nii.gz"}}))
    warning = only(report, "RB308")
    assert (warning.line, warning.column) == position(text, '"liver.nii.gz"')
    assert (
        "no `segmentMap` entry names `liver.nii.gz` in its `mask`: as the series' first "
        "file, its raw values are imported unmapped"
    ) in warning.message


def test_rb306_rb308_list_mask_whose_files_are_all_segmentations(tmp_path, lint_series):
    # The current format (redbrick-sdk 2.35.4) allows a list `mask`; each path is a mask path.
    report, _ = lint_series(
        **binary(tmp_path, **{"1": {"category": "Liver", "mask": ["liver.nii.gz", "spleen.nii.gz"]}})
    )
    assert not {"RB306", "RB307", "RB308"} & set(codes(report))


def test_rb306_list_mask_element_not_in_segmentations(tmp_path, lint_series):
    report, text = lint_series(
        **binary(
            tmp_path,
            **{
                "1": {"category": "Liver", "mask": ["liver.nii.gz", "kidney.nii.gz"]},
                "2": {"category": "Spleen", "mask": "spleen.nii.gz"},
            },
        )
    )
    error = only(report, "RB306")
    assert error.pointer == "/0/series/0/segmentMap/1/mask/1"
    assert (error.line, error.column) == position(text, '"kidney.nii.gz"')
    assert (
        "`mask` `kidney.nii.gz` of instance id `1` is not one of this series' `segmentations` strings"
    ) in error.message


def test_rb307_file_claimed_by_a_list_mask_and_another_entry(tmp_path, lint_series):
    report, text = lint_series(
        **binary(
            tmp_path,
            **{
                "1": {"category": "Liver", "mask": "liver.nii.gz"},
                "2": {"category": "Spleen", "mask": ["spleen.nii.gz", "liver.nii.gz"]},
            },
        )
    )
    error = only(report, "RB307")
    assert error.pointer == "/0/series/0/segmentMap/2/mask/1"
    assert (error.line, error.column) == position(text, '"liver.nii.gz"', 3)
    assert "`liver.nii.gz` is already the mask of instance id `1`" in error.message


def test_rb310_mask_without_binarymask(tmp_path, lint_series):
    save(tmp_path / "liver.nii.gz", cube({(1, 1, 1): 1}))
    report, text = lint_series(
        segmentations="liver.nii.gz", segmentMap={"1": {"category": "Liver", "mask": "liver.nii.gz"}}
    )
    warning = only(report, "RB310")
    assert (warning.line, warning.column) == position(text, '"mask"')
    assert "`mask` is read only with `binaryMask: true`" in warning.message


def test_rb311_group_id_that_is_an_instance_id(tmp_path, lint_series):
    save(tmp_path / "seg.nii.gz", cube({(1, 1, 1): 1, (2, 2, 2): 2}))
    report, text = lint_series(
        segmentations="seg.nii.gz",
        segmentMap={"1": {"category": "Liver", "overlappingGroups": [5, 2]}, "2": "Tumor"},
    )
    error = only(report, "RB311")
    assert (error.line, error.column) == position(text, "2\n")
    assert error.pointer == "/0/series/0/segmentMap/1/overlappingGroups/1"
    assert "group id 2 is also an instance id" in error.message


# -- RB312–RB323: headers and data -----------------------------------------------------------------


@pytest.fixture
def one_mask(
    tmp_path: Path, lint_series: Callable[..., tuple[Report, str]]
) -> Callable[..., tuple[Report, str]]:
    """Lint a series with one mask file (written by `make(path)`) mapped as `{"1": "Liver"}`."""

    def run(name: str, make: Callable[[Path], Any], **kwargs: Any) -> tuple[Report, str]:
        make(tmp_path / name)
        return lint_series(segmentations=name, segmentMap={"1": "Liver"}, **kwargs)

    return run


def at_path(report: Report, text: str, code: str, name: str = "seg.nii.gz") -> str:
    finding = only(report, code)
    assert (finding.line, finding.column) == position(text, f'"{name}"')
    assert finding.message.startswith(f"`{name}` ")
    return finding.message


GOOD = cube({(1, 1, 1): 1})


def test_header_and_data_rules_pass_on_a_good_mask(one_mask):
    report, _ = one_mask("seg.nii.gz", lambda p: save(p, GOOD))
    assert report.findings == []


def test_rb312_text_file(one_mask):
    report, text = one_mask("seg.nii", lambda p: p.write_text("1,2,3\n" * 100))
    message = at_path(report, text, "RB312", "seg.nii")
    assert "is not a NIfTI-1/2 volume: it is a text file (it starts with `1,2,3`)" in message


def test_rb313_gzipped_file_named_nii(one_mask):
    def make(path: Path) -> None:
        path.write_bytes(gzip.compress(write_nifti(path, GOOD).read_bytes()))

    report, text = one_mask("seg.nii", make)
    message = at_path(report, text, "RB313", "seg.nii")
    assert "is gzip-compressed but named `.nii`" in message


@pytest.mark.parametrize(
    ("shape", "said"),
    [
        ((6, 6, 6, 1), "is 4-D (shape (6, 6, 6, 1)): the platform accepts exactly 3-D masks"),
        ((6, 6), "is 2-D (shape (6, 6))"),
    ],
)
def test_rb314_not_3d(one_mask, shape, said):
    report, text = one_mask("seg.nii.gz", lambda p: save(p, np.ones(shape, np.uint8)))
    assert said in at_path(report, text, "RB314")


def test_rb315_rgb(one_mask):
    report, text = one_mask(
        "seg.nii.gz", lambda p: write_nifti(p, np.zeros((2, 2, 2), np.uint8), datatype=128, payload=bytes(24))
    )
    assert "holds RGB24 voxels (complex or RGB data)" in at_path(report, text, "RB315")


def test_rb316_float_mask_with_whole_values(one_mask):
    report, text = one_mask("seg.nii.gz", lambda p: save(p, GOOD.astype(np.float32)))
    assert "stores float32 voxels: the platform rounds them" in at_path(report, text, "RB316")
    assert "RB317" not in codes(report)


def test_rb317_fractional_and_nan(one_mask):
    data = GOOD.astype(np.float32)
    data[2, 2, 2], data[3, 3, 3] = 0.5, np.nan
    report, text = one_mask("seg.nii.gz", lambda p: save(p, data))
    message = at_path(report, text, "RB317")
    assert "holds fractional values (e.g. 0.5) and non-finite values (nan)" in message


def test_rb318_scaling(one_mask):
    report, text = one_mask("seg.nii.gz", lambda p: write_nifti(p, GOOD, slope=2.0, inter=1.0))
    assert "has scl_slope 2 and scl_inter 1" in at_path(report, text, "RB318")


@pytest.mark.parametrize("slope", [0.0, float("nan"), 1.0])
def test_rb318_identity_scaling_passes(one_mask, slope):
    report, _ = one_mask("seg.nii.gz", lambda p: write_nifti(p, GOOD, slope=slope, inter=0.0))
    assert report.findings == []


def test_rb319_negative_and_large_values(one_mask):
    data = cube({(1, 1, 1): 1, (2, 2, 2): -1, (3, 3, 3): 70000}, dtype=np.int32)
    report, text = one_mask("seg.nii.gz", lambda p: save(p, data))
    message = at_path(report, text, "RB319")
    assert "holds negative values (e.g. -1) and values above 65535 (e.g. 70000)" in message


def test_rb320_empty_mask(one_mask):
    report, text = one_mask("seg.nii.gz", lambda p: save(p, cube()))
    assert "holds no non-zero voxel" in at_path(report, text, "RB320")


def test_rb321_no_orientation(one_mask):
    report, text = one_mask("seg.nii.gz", lambda p: write_nifti(p, GOOD, qform_code=0, sform_code=0))
    assert "has qform_code and sform_code 0" in at_path(report, text, "RB321")


def test_rb322_truncated_gzip(one_mask):
    def make(path: Path) -> None:
        raw = save(path, np.arange(6000, dtype=np.int16).reshape(20, 30, 10) % 7).read_bytes()
        path.write_bytes(raw[:-50])

    report, text = one_mask("seg.nii.gz", make)
    assert "is damaged: its gzip stream is truncated" in at_path(report, text, "RB322")
    assert "RB304" not in codes(report)  # incomplete values: no conclusion about ids


def test_rb322_less_data_than_the_header_promises(one_mask):
    report, text = one_mask("seg.nii", lambda p: write_nifti(p, GOOD, payload=GOOD.tobytes()[:100]))
    message = at_path(report, text, "RB322", "seg.nii")
    assert "holds 100 bytes of voxel data where its header promises 216" in message


def test_rb323_header_over_the_limit(one_mask):
    report, text = one_mask(
        "seg.nii.gz",
        lambda p: save(p, np.ones((20, 20, 20), np.uint8)),
        config={"masks": {"max-uncompressed-bytes": 4000}},
    )
    message = at_path(report, text, "RB323")
    assert (
        "promises 8,000 bytes of voxel data (shape (20, 20, 20), uint8), over "
        "`max-uncompressed-bytes` (4,000)" in message
    )
    assert "RB304" not in codes(report)


# -- RB324–RB325: grids ----------------------------------------------------------------------------


def test_rb324_affine_mismatch(tmp_path, lint_series):
    save(tmp_path / "a.nii.gz", cube({(1, 1, 1): 1}))
    save(tmp_path / "b.nii.gz", cube({(1, 1, 1): 2}), affine=np.diag([1.0, 1.0, 2.0, 1.0]))
    report, text = lint_series(
        segmentations=["a.nii.gz", "b.nii.gz"], segmentMap={"1": "Liver", "2": "Spleen"}
    )
    error = only(report, "RB324")
    assert (error.line, error.column) == position(text, '"b.nii.gz"')
    assert (
        "has an affine that differs from `a.nii.gz`, the series' first mask,'s by 1 "
        "(row 2, column 2; tolerance 0.001)"
    ) in error.message


def test_rb324_within_tolerance_passes(tmp_path, lint_series):
    save(tmp_path / "a.nii.gz", cube({(1, 1, 1): 1}))
    save(tmp_path / "b.nii.gz", cube({(1, 1, 1): 2}), affine=np.diag([1.0, 1.0, 1.0002, 1.0]))
    report, _ = lint_series(segmentations=["a.nii.gz", "b.nii.gz"], segmentMap={"1": "Liver", "2": "Spleen"})
    assert report.findings == []


def test_rb325_mask_off_the_image_grid(tmp_path, lint_series):
    save(tmp_path / "ct.nii.gz", np.zeros((6, 6, 7), np.int16))
    save(tmp_path / "seg.nii.gz", GOOD)
    report, text = lint_series(segmentations="seg.nii.gz", segmentMap={"1": "Liver"})
    error = only(report, "RB325")
    assert (error.line, error.column) == position(text, '"seg.nii.gz"')
    assert "has shape (6, 6, 6) where the image `ct.nii.gz` has (6, 6, 7)" in error.message


def test_rb325_mask_on_the_image_grid_passes(tmp_path, lint_series):
    save(tmp_path / "ct.nii.gz", np.zeros((6, 6, 6), np.int16))
    save(tmp_path / "seg.nii.gz", GOOD)
    report, _ = lint_series(segmentations="seg.nii.gz", segmentMap={"1": "Liver"})
    assert report.findings == []


# -- running: scanning once, cache, jobs, explicit mask paths --------------------------------------


class Watched:
    """The NIfTI files a run scanned (the batch's and the image-header reader's `scan_file`) and
    opened (any `open` of a `.nii`/`.nii.gz` path: scanning, hashing for the cache)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import builtins

        from rb_lint.nifti import batch, scan

        self.scanned: list[Path] = []
        self.opened: list[Path] = []
        real_open = builtins.open

        def counting_open(file: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(file, (str, Path)) and str(file).endswith((".nii", ".nii.gz")):
                self.opened.append(Path(file))
            return real_open(file, *args, **kwargs)

        def counting(original: Callable[..., Any]) -> Callable[..., Any]:
            def scan_file(path: Any, *args: Any, **kwargs: Any) -> Any:
                self.scanned.append(Path(path))
                return original(path, *args, **kwargs)

            return scan_file

        monkeypatch.setattr(builtins, "open", counting_open)
        monkeypatch.setattr(batch, "scan_file", counting(batch.scan_file))
        monkeypatch.setattr(scan, "scan_file", counting(scan.scan_file))


def masks_repository(tmp_path: Path) -> dict[str, Any]:
    """A task file whose series name an image, masks that exist, a missing mask and binary masks."""
    save(tmp_path / "ct.nii.gz", np.zeros((6, 6, 6), np.int16))
    save(tmp_path / "seg.nii.gz", GOOD)
    save(tmp_path / "liver.nii.gz", GOOD)
    return {
        "items.json": [
            {
                "name": "patient-001",
                "series": [
                    {
                        "items": "ct.nii.gz",
                        "segmentations": ["seg.nii.gz", "gone.nii.gz"],
                        "segmentMap": {"1": "Liver", "2": "Spleen"},
                    }
                ],
            },
            {
                "name": "patient-002",
                "series": [
                    {
                        "items": "ct.nii.gz",
                        "segmentations": ["liver.nii.gz"],
                        "binaryMask": True,
                        "segmentMap": {
                            "1": {"category": "Liver", "mask": "liver.nii.gz"},
                            "2": {"category": "Spleen"},
                        },
                    }
                ],
            },
        ]
    }


@pytest.mark.parametrize("use_cache", [True, False], ids=["cache", "no-cache"])
def test_each_file_is_scanned_once_per_run(tmp_path, lint_files, monkeypatch, use_cache):
    save(tmp_path / "seg.nii.gz", GOOD)
    doc = series_doc(segmentations="seg.nii.gz", segmentMap={"1": "Liver", "2": "Spleen"})
    options = Options(use_cache=use_cache)  # without the cache, a second scan could not hide
    watched = Watched(monkeypatch)
    report = lint_files({"a.json": doc, "b.json": doc}, select=["RB3"], options=options, config={})
    assert [f.code for f in report.findings] == ["RB304", "RB304"]
    # every content rule looked at the file, in both documents: it was scanned exactly once
    assert [p.resolve() for p in watched.scanned] == [(tmp_path / "seg.nii.gz").resolve()]


@pytest.mark.parametrize(
    "select",
    [
        ["RB201"],
        ["RB1", "RB2"],
        ["RB301", "RB302", "RB303", "RB306", "RB307", "RB308", "RB310", "RB311"],
    ],
    ids=["RB201", "other-families", "mask-rules-without-content"],
)
def test_rules_that_need_no_mask_content_open_no_mask(tmp_path, lint_files, monkeypatch, select):
    files = masks_repository(tmp_path)
    watched = Watched(monkeypatch)
    report = lint_files(files, select=select)
    assert report.errors == []
    assert watched.scanned == [] and watched.opened == []
    assert not (tmp_path / ".rb_lint_cache").exists()  # the scan never started
    if "RB301" in select:
        assert only(report, "RB301").message.startswith("segmentation file `gone.nii.gz` does not exist")


@pytest.mark.parametrize("select", [["RB304"], ["RB309"], ["RB312"], ["RB3"]])
def test_a_content_rule_scans_every_mask_once(tmp_path, lint_files, monkeypatch, select):
    files = masks_repository(tmp_path)
    watched = Watched(monkeypatch)
    report = lint_files(files, select=select, options=Options(use_cache=False))
    assert report.errors == []
    names = ["seg.nii.gz", "liver.nii.gz"] + (["ct.nii.gz"] if select == ["RB3"] else [])  # RB325
    expected = sorted((tmp_path / name).resolve() for name in names)
    assert sorted(p.resolve() for p in watched.scanned) == expected  # each once


def test_the_image_header_is_read_only_for_the_image_grid_rule(tmp_path, lint_files, monkeypatch):
    files = masks_repository(tmp_path)
    watched = Watched(monkeypatch)
    lint_files(files, select=["RB325"], options=Options(use_cache=False))
    scanned = [p.resolve() for p in watched.scanned]
    assert scanned.count((tmp_path / "ct.nii.gz").resolve()) == 1  # once, although two series name it
    assert len(scanned) == 3


def test_a_failing_scan_is_an_internal_error_of_each_rule_that_needs_it(tmp_path, lint_files, monkeypatch):
    from rb_lint.nifti import batch

    calls = []

    def broken(path: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(path)
        raise RuntimeError("scanner exploded")

    files = masks_repository(tmp_path)
    monkeypatch.setattr(batch, "scan_file", broken)
    report = lint_files(files, select=["RB3"], options=Options(use_cache=False))
    failed = {code for error in report.errors for code in re.findall(r"rule (RB\d{3}) ", error)}
    content = {"RB304", "RB305", "RB309", *(f"RB{n}" for n in range(312, 326))}
    assert failed == content
    assert all("scanner exploded" in error for error in report.errors)
    assert len(calls) == 1  # the failed scan is not retried by every rule that asks
    assert {"RB301", "RB306"} <= set(codes(report))  # the rules that need no scan still report


def test_no_cache_writes_no_cache(tmp_path, lint_series):
    save(tmp_path / "seg.nii.gz", GOOD)
    lint_series(segmentations="seg.nii.gz", segmentMap={"1": "Liver"}, options=Options(use_cache=False))
    assert not (tmp_path / ".rb_lint_cache").exists()
    lint_series(segmentations="seg.nii.gz", segmentMap={"1": "Liver"})
    assert (tmp_path / ".rb_lint_cache" / "CACHEDIR.TAG").is_file()


def test_cache_dir_from_config(tmp_path, lint_series):
    save(tmp_path / "seg.nii.gz", GOOD)
    lint_series(
        segmentations="seg.nii.gz",
        segmentMap={"1": "Liver"},
        config={"masks": {"cache-dir": "build/scan-cache"}},
    )
    assert (tmp_path / "build" / "scan-cache" / "CACHEDIR.TAG").is_file()


def test_explicit_mask_paths_do_not_crash(tmp_path):
    mask = save(tmp_path / "seg.nii.gz", GOOD)
    items = tmp_path / "items.json"
    items.write_text(json.dumps(series_doc(segmentations="seg.nii.gz", segmentMap={"1": "L"})))
    report = lint([mask, items], select=["RB3"], config={})
    assert report.errors == [] and report.findings == []


def test_cli_jobs_and_no_cache(tmp_path):
    for value in (1, 2):
        save(tmp_path / f"seg{value}.nii.gz", cube({(1, 1, 1): value}))
    doc = series_doc(segmentations=["seg1.nii.gz", "seg2.nii.gz"], segmentMap={"1": "Liver"})
    text = json.dumps(doc, indent=2)
    (tmp_path / "items.json").write_text(text)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "rb_lint",
            "check",
            "--select",
            "RB3",
            "--jobs",
            "2",
            "--no-cache",
            "items.json",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr  # RB305 is a warning
    line, column = position(text, '"seg2.nii.gz"')
    assert f"items.json:{line}:{column}: RB305 [warning] `seg2.nii.gz` holds value 2" in done.stdout
    assert not (tmp_path / ".rb_lint_cache").exists()


def test_config_keys_are_validated():
    with pytest.raises(Exception, match="max-uncompressed-bytes"):
        lint(["."], config={"masks": {"max-uncompressed-bytes": 0}})
