"""Inputs and harness of the report-identity test (`test_report_identity.py`).

Three inputs, each built in a scratch directory and linted with the `rb-lint` CLI only (no import of
rb_lint here: the package layout may change, the CLI and its JSON/SARIF reports may not):

- `examples`: a copy of the bundled example data repository, linted as `rb-lint check examples`;
- `corpus`: copies of the real NIfTI files of `tests/data/corpus`, each one the segmentation of a
  task of one items list;
- `generated`: `make_repository`, a deterministic data repository written to make every rule fire.

`python tests/identity_regenerate.py` rewrites the expectations in `tests/data/identity/` with
whatever rb_lint is importable (see the test's docstring for when that is allowed).

Rules the generated repository does not trigger in the same run as the others:

- RB400 no-taxonomy fires only when no taxonomy is available, and RB402-RB409 only when one is, so
  the generated repository is linted in two runs: `project/` (taxonomy configured) and
  `no-taxonomy/` (an items list that labels, no taxonomy). Every code fires in one of the two.
  `no-taxonomy/` also holds the geometry (RB7xx) and DICOM (RB8xx) cases, whose labels would
  otherwise need categories of every label type in the taxonomy; their files sort after
  `items.json`, where RB400 is reported.
- RB008 unreadable-file is triggered by a dangling symbolic link, not by `chmod 000`, which root
  can read anyway. Where symbolic links cannot be created, `make_repository` raises.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

import numpy as np
from consensus_builders import A, B, C, complete, consensus, entry
from datagym_builders import dg_object, dg_task, label_classes
from dicom_builders import AXIAL, ct_image, save_dicom, segmentation, series_affine, structure_set
from export_folder_builders import consensus as annotators
from export_folder_builders import series, task
from taxonomy_builders import attribute, glioma, legacy_taxonomy, object_type, taxonomy
from test_nifti_support import cube, write_nifti

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
EXAMPLES = REPO / "examples"
CORPUS = TESTS / "data" / "corpus"
EXPECTED = TESTS / "data" / "identity"

PLACEHOLDER = "<ROOT>"
FIELDS = ("code", "name", "severity", "message", "path", "line", "column", "pointer")
COMMON_ARGS = ("--no-cache", "--jobs", "2")  # fixed, not the machine's core count
TIMEOUT = 120


@dataclass(frozen=True)
class Run:
    """One CLI invocation: `rb-lint check PATHS... COMMON_ARGS` in `cwd` (relative to the input's
    base directory)."""

    name: str
    cwd: str
    paths: tuple[str, ...]

    @property
    def args(self) -> list[str]:
        return ["check", *self.paths, *COMMON_ARGS]


RUNS: dict[str, tuple[Run, ...]] = {
    "examples": (Run("examples", ".", ("examples",)),),
    "corpus": (Run("corpus", "corpus", (".",)),),
    "generated": (Run("project", "project", (".",)), Run("no-taxonomy", "no-taxonomy", (".",))),
}
INPUTS = tuple(RUNS)


# --- writing files ---------------------------------------------------------------------------------


def _write_json(path: Path, data: Any) -> None:
    """Indented JSON, one key per line (positions in the report follow from the data)."""
    _write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _write_text(path: Path, text: str) -> None:
    _write_bytes(path, text.encode("utf-8"))


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _nifti(path: Path, data: Any, *, qform_code: int = 1, sform_code: int = 1, **options: Any) -> None:
    """A NIfTI-1 file (`nifti_bytes`: little-endian, both transforms coded 1 unless told), gzip-compressed
    when the name ends in `.gz` unless `compress` says otherwise, with no time stamp: the same bytes
    every time."""
    write_nifti(path, data, qform_code=qform_code, sform_code=sform_code, level=6, mtime=0, **options)


ONE = {(1, 1, 1): 1}


# --- the generated repository ----------------------------------------------------------------------


def make_repository(root: Path) -> None:
    """Write the generated data repository under `root` (which must not hold one yet).

    `root/project/` is a data repository with an `rb-lint.toml` (taxonomy, mask limit, DataGym image
    size and required classes) and one folder per rule family; `root/shared/` holds a mask outside
    it (RB302); `root/no-taxonomy/` is a second repository without a taxonomy (RB400), with the label
    geometry cases in `labels/` and the DICOM series, masks and structure sets in `scans/`.
    """
    project = root / "project"
    _write_text(
        project / "rb-lint.toml",
        "# The identity test's generated data repository (tests/identity_repo.py).\n"
        'taxonomy = "taxonomy.json"\n\n'
        "[masks]\n"
        "max-uncompressed-bytes = 100000  # RB323: masks/large.nii.gz promises 125,000 bytes\n\n"
        "[datagym]\n"
        "image-width = 640\n"
        "image-height = 480\n"
        'required-classes = ["car_type"]\n',
    )
    _write_json(project / "taxonomy.json", TAXONOMY)
    _parsing(project / "parsing")
    _structure(project / "items")
    _names(project / "items")
    _labels(project / "items")
    _taxonomies(project / "taxonomies")
    _masks(project / "masks", root / "shared")
    _consensus(project / "consensus")
    _export_folder(project / "export")
    _write_json(project / "datagym" / "export.json", DATAGYM)

    other = root / "no-taxonomy"
    _write_text(
        other / "rb-lint.toml",
        "# A repository without a taxonomy: RB400; label geometry and DICOM: RB7xx, RB8xx.\n",
    )
    _write_json(
        other / "items.json",
        [_task("plain-001", segmentations="s3://bucket/plain.nii.gz", segmentMap={"1": "Liver"})],
    )
    _geometry(other / "labels")
    _dicom(other / "scans")


def _task(name: str, **series: Any) -> dict[str, Any]:
    return {"name": name, "series": [{"items": "ct.nii.gz", **series}]}


REMOTE = "s3://bucket/labels/seg.nii.gz"  # segmentation paths that are not scanned (one RB303 per file)


def _parsing(folder: Path) -> None:
    """RB001-RB009: files that cannot be read as JSON documents."""
    _write_text(
        folder / "invalid.json", '[\n  {"name": "parsing-001", "series": [{"items": "ct.nii.gz"}]},\n]\n'
    )
    _write_text(
        folder / "duplicate-key.json",
        '[\n  {"name": "parsing-002",\n   "metaData": {"site": "A",\n                "site": "B"},\n'
        '   "series": [{"items": "ct.nii.gz"}]}\n]\n',
    )
    _write_text(
        folder / "nan.json",
        '[\n  {"name": "parsing-003", "priority": NaN,\n   "series": [{"items": "ct.nii.gz"}]}\n]\n',
    )
    _write_bytes(
        folder / "bom.json", b'\xef\xbb\xbf[{"name": "parsing-004", "series": [{"items": "ct.nii.gz"}]}]\n'
    )
    _write_bytes(folder / "latin1.json", b'[{"name": "Patient M\xfcller",\n "series": []}]\n')
    _write_text(folder / "empty.json", "  \n")
    _write_text(folder / "unknown.json", '{"tasks": [{"name": "parsing-007"}]}\n')
    folder.mkdir(parents=True, exist_ok=True)
    os.symlink("gone/items.json", folder / "dangling.json")  # RB008: a link whose target is gone
    _write_text(
        folder / "lfs.json",
        "version https://git-lfs.github.com/spec/v1\n"
        "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
        "size 12345\n",
    )
    _write_json(folder / "not-a-list.json", {"name": "parsing-100", "series": [{"items": "ct.nii.gz"}]})


def _structure(folder: Path) -> None:
    """RB100-RB115 in one items list, one task per rule."""
    tasks: list[Any] = [
        "structure-100",  # RB100: not an object
        {"name": "structure-101"},  # RB101: no series
        {"name": "structure-102", "series": [{"items": "ct.nii.gz", "binaryMask": "true"}]},
        {"name": "structure-103", "priorty": 0.5, "series": [{"items": "ct.nii.gz"}]},
        _task("structure-104", items=[]),
        _task("structure-105", segmentations=REMOTE),
        _task("structure-106", segmentMap={"1": "Liver"}),
        {
            "name": "structure-107",
            "segmentMap": {"1": "Liver"},
            "series": [{"items": "ct.nii.gz", "segmentations": REMOTE, "segmentMap": {"1": "Liver"}}],
        },
        _task(
            "structure-108",
            segmentations=[REMOTE],
            segmentMap={"1": {"category": "Liver", "mask": REMOTE}, "binaryMask": True},
        ),
        _task(
            "structure-109",
            items="x.png",
            pngMask=True,
            segmentations=["s3://bucket/a.png"],
            segmentMap={"1": "Liver"},
        ),
        _task("structure-110", items=["t1.nii.gz", "t2.nii.gz"]),
        _task("structure-111", items="scan.mha"),
        {"name": "structure-112", "priority": 5, "series": [{"items": "ct.nii.gz"}]},
        {"name": "structure-113", "metaData": {"age": 54, "site": "A"}, "series": [{"items": "ct.nii.gz"}]},
        _task("structure-114", segmentations=REMOTE, segmentMap={"0": "Liver", "1": "Spleen"}),
        _task("structure-115", segmentations=REMOTE, segmentMap={"1": True, "2": 2.5}),
        {
            "name": "structure-measure",
            "series": [
                {
                    "items": "ct.nii.gz",
                    "measurements": [
                        {
                            "type": "area",
                            "point1": {"i": 1, "j": 1, "k": 1},
                            "point2": {"i": 2, "j": 2, "k": 2},
                            "category": "Midline shift",
                        }
                    ],
                }
            ],
        },
    ]
    _write_json(folder / "structure.json", tasks)


def _names(folder: Path) -> None:
    """RB201-RB205: names across two items lists. The exporter's file and folder names are those of
    redbrick-sdk 2.35.4 (`T1 post` and `names 205` keep their spaces)."""
    _write_json(folder / "names-a.json", [_task("names-001"), _task("names-007")])
    two_ids = [
        {
            "name": name,
            "items": f"{name}.nii.gz",
            "segmentations": f"s3://bucket/{name}.nii.gz",
            "segmentMap": {"1": category},
        }
        for name, category in (("T1", "Liver"), ("T2", "Spleen"))
    ]
    _write_json(
        folder / "names-b.json",
        [
            _task("names-007"),  # RB201: also in names-a.json
            {
                "name": "names-202",
                "series": [{"name": "T1", "items": "a.nii.gz"}, {"name": "T1", "items": "b.nii.gz"}],
            },
            {
                "name": "names-203",
                "series": [
                    {"name": "T1 post", "items": "a.nii.gz"},  # `T1 post.nii.gz`: no collision
                    {"name": "T1-post", "items": "b.nii.gz"},
                    {"items": "c.nii.gz"},
                    {"name": "C", "items": "d.nii.gz"},  # RB203: `C.nii.gz`, as the unnamed series
                ],
            },
            {"name": "names-204", "series": two_ids},
            _task("names 205"),  # its own folder `names 205/`: the exporter keeps spaces (SDK 2.35.4)
            _task("names-205"),
            _task("names:205"),  # RB205: exports to folder `names-205/`, as `names-205` does
            {
                "name": "names-203-colon",  # RB203: `T1:post` exports to `T1-post.nii.gz`
                "series": [
                    {"name": "T1-post", "items": "a.nii.gz"},
                    {"name": "T1:post", "items": "b.nii.gz"},
                ],
            },
        ],
    )


VOXEL = {"i": 1, "j": 2, "k": 3}
POINT = {"xNorm": 0.2, "yNorm": 0.3}
GLIOMA = ["Brain", "Tumor", "Glioma"]


def _labels(folder: Path) -> None:
    """RB402-RB409: categories and attributes checked against the configured taxonomy."""

    def segmented(name: str, segment_map: dict[str, Any], **series: Any) -> dict[str, Any]:
        return _task(name, segmentations=REMOTE, segmentMap=segment_map, **series)

    def attributes(name: str, values: Any) -> dict[str, Any]:
        return segmented(name, {"1": {"category": GLIOMA, "attributes": values}})

    clean = segmented(
        "labels-clean",
        {"1": "Glioma", "2": ["Abdomen", "Liver"], "3": 2, "4": {"category": ["Brain", "Tumor", "Edema"]}},
        boundingBoxes=[{"category": "Lymph node", "pointTopLeft": POINT, "wNorm": 0.1, "hNorm": 0.1}],
    )
    clean["classification"] = {"attributes": {"Study quality": "Diagnostic"}}
    tasks = [
        clean,
        segmented("labels-402", {"1": "Gliomma", "2": 42, "3": ["Brain", "Glioma"]}),
        segmented("labels-403", {"1": "Metastasis"}),
        segmented("labels-404", {"1": "Tumor core"}),
        segmented(
            "labels-405",
            {"1": ["Abdomen", "Lymph node"]},
            polygons=[{"category": "Necrosis", "points": [POINT, POINT, POINT]}],
            measurements=[
                {
                    "type": "angle",
                    "point1": VOXEL,
                    "point2": VOXEL,
                    "vertex": VOXEL,
                    "category": "Midline shift",
                }
            ],
        ),
        attributes("labels-406", {"Grde": "Low grade"}),
        attributes("labels-406-list", [{"attrId": 9}]),
        _task("labels-406-series", classifications=[{"attributes": {"Artefacts": ["Motion"]}}]),
        attributes("labels-407", {"IDH mutant": "yes", "Grade": "High", "Findings": ["Cyst", "Tumour"]}),
        attributes("labels-407-list", [{"attrId": 0, "optionId": 7}]),
        attributes("labels-408", {"Grade": "Old grade", "Legacy flag": True}),
        segmented("labels-409", {"3": "Enhancing tumor", "5": 3}, semanticMask=True),
        _task("labels-landmark", landmarks=[{"category": "Kidney stone", "point": POINT}]),
    ]
    _write_json(folder / "labels.json", tasks)


TAXONOMY = taxonomy(
    "Identity test taxonomy",
    object_type("Spleen", 12, "SEGMENTATION", "Abdomen"),
    object_type("Kidney", 13, "SEGMENTATION", "Abdomen"),
)

SELF_CHECK: dict[str, Any] = {
    "name": "A taxonomy with mistakes of its own",
    "isNew": True,
    "studyClassify": [
        attribute("Contrast", "BOOL", 0, parents=["review"]),
        attribute("Contrast", "BOOL", 1, parents=["Review"]),
    ],
    "objectTypes": [
        glioma(
            attribute("Enhancing", "BOOL", 0, defaultValue=1),
            attribute("Necrotic", "BOOL", 0),
            attribute(
                "Grade",
                "SELECT",
                1,
                options=[
                    {"name": "Low", "optionId": 0},
                    {"name": "High", "optionId": 0},
                    {"name": "Low", "optionId": 2},
                ],
                defaultValue=7,
            ),
            attribute("Stage", "SELECT", 2),
        ),
        object_type("Edema", 3, "SEGMENTATION", "Brain", "tumor"),
        object_type("Necrosis", 3, "SEGMENTATION", "Brain", "Tumor", "Brain"),
        object_type("Liver", 4, "SEGMENTATION", "Abdomen"),
        object_type("Liver", 5, "BBOX", "Abdomen"),
        {"category": "Spleen", "labelType": "SEGMENTATION"},
        object_type("Kidney", "6", "SEGMENTATION"),
        object_type("Pancreas", 7, "MASK", colour="#fff"),
        object_type("Bladder", -1, "SEGMENTATION", "Pelvis "),
    ],
}

LEGACY = legacy_taxonomy()


def _taxonomies(folder: Path) -> None:
    """RB420-RB426 and RB101-RB104 on a V2 taxonomy that is linted; RB401 on a V1 one."""
    _write_json(folder / "self-check.json", SELF_CHECK)
    _write_json(folder / "legacy.json", LEGACY)


def _masks(folder: Path, shared: Path) -> None:
    """RB301-RB325: one items list whose tasks each show one mask problem, with real NIfTI files."""
    _nifti(folder / "good.nii.gz", cube(ONE))
    _nifti(shared / "outside.nii.gz", cube(ONE))
    _nifti(folder / "values.nii.gz", cube({(1, 1, 1): 1, (2, 2, 2): 2, (3, 3, 3): 4}))
    _nifti(folder / "liver.nii.gz", cube(ONE))
    _nifti(folder / "spleen.nii.gz", cube({(2, 2, 2): 1}))
    _nifti(folder / "organs.nii.gz", cube({(1, 1, 1): 1, (2, 2, 2): 2}))
    _nifti(folder / "two.nii.gz", cube({(1, 1, 1): 1, (2, 2, 2): 2}))
    _write_text(folder / "text.nii", "1,2,3\n" * 100)
    _nifti(folder / "gzipped.nii", cube(ONE), compress=True)
    _nifti(folder / "four-d.nii.gz", np.ones((6, 6, 6, 1), np.uint8))
    _nifti(folder / "rgb.nii.gz", np.zeros((2, 2, 2), np.uint8), datatype=128, payload=bytes(24))
    _nifti(folder / "float.nii.gz", cube(ONE).astype(np.float32))
    fractional = cube(ONE).astype(np.float32)
    fractional[2, 2, 2], fractional[3, 3, 3] = 0.5, np.nan
    _nifti(folder / "fractional.nii.gz", fractional)
    _nifti(folder / "scaled.nii.gz", cube(ONE), slope=2.0, inter=1.0)
    _nifti(folder / "negative.nii.gz", cube({(1, 1, 1): 1, (2, 2, 2): -1, (3, 3, 3): 70000}, dtype=np.int32))
    _nifti(folder / "empty.nii.gz", cube())
    _nifti(folder / "unoriented.nii.gz", cube(ONE), qform_code=0, sform_code=0)
    _nifti(folder / "short.nii", cube(ONE), payload=cube(ONE).tobytes()[:100])
    _nifti(folder / "large.nii.gz", np.ones((50, 50, 50), np.uint8))
    _nifti(folder / "smaller.nii.gz", cube({(1, 1, 1): 2}, shape=(6, 6, 5)))
    _nifti(folder / "stretched.nii.gz", cube({(1, 1, 1): 3}), affine=np.diag([1.0, 1.0, 2.0, 1.0]))
    _nifti(folder / "image.nii.gz", np.zeros((6, 6, 7), np.int16))

    def binary(name: str, files: list[str], **entries: Any) -> dict[str, Any]:
        return _task(name, segmentations=files, binaryMask=True, segmentMap=entries)

    def liver(mask: str) -> dict[str, str]:
        return {"category": "Liver", "mask": mask}

    def spleen(mask: str) -> dict[str, str]:
        return {"category": "Spleen", "mask": mask}

    pair = ["liver.nii.gz", "spleen.nii.gz"]
    tasks = [
        _task("mask-good", segmentations="good.nii.gz", segmentMap={"1": "Liver"}),
        _task("mask-301", segmentations=["good.nii.gz", "labels/missing.nii.gz"], segmentMap={"1": "Liver"}),
        _task("mask-301-folder", segmentations="labels", segmentMap={"1": "Liver"}),
        _task("mask-302", segmentations="../../shared/outside.nii.gz", segmentMap={"1": "Liver"}),
        _task(
            "mask-303", segmentations=["gs://b/a.nii.gz", "https://host/b.nii.gz"], segmentMap={"1": "Liver"}
        ),
        _task(
            "mask-304-305",
            segmentations="values.nii.gz",
            segmentMap={"1": "Liver", "2": "Spleen", "3": "Kidney"},
        ),
        binary("mask-306", pair, **{"1": liver("./liver.nii.gz"), "2": spleen("spleen.nii.gz")}),
        binary("mask-306-none", pair, **{"1": "Liver", "2": spleen("spleen.nii.gz")}),
        binary("mask-307", pair, **{"1": liver("liver.nii.gz"), "2": spleen("liver.nii.gz")}),
        binary("mask-308", pair, **{"1": liver("spleen.nii.gz")}),
        binary(
            "mask-309",
            ["liver.nii.gz", "organs.nii.gz"],
            **{"1": liver("liver.nii.gz"), "2": spleen("organs.nii.gz")},
        ),
        _task("mask-310", segmentations="liver.nii.gz", segmentMap={"1": liver("liver.nii.gz")}),
        _task(
            "mask-311",
            segmentations="two.nii.gz",
            segmentMap={"1": {"category": "Liver", "overlappingGroups": [5, 2]}, "2": "Spleen"},
        ),
        _task("mask-312", segmentations="text.nii", segmentMap={"1": "Liver"}),
        _task("mask-313", segmentations="gzipped.nii", segmentMap={"1": "Liver"}),
        _task("mask-314", segmentations="four-d.nii.gz", segmentMap={"1": "Liver"}),
        _task("mask-315", segmentations="rgb.nii.gz", segmentMap={"1": "Liver"}),
        _task("mask-316", segmentations="float.nii.gz", segmentMap={"1": "Liver"}),
        _task("mask-317", segmentations="fractional.nii.gz", segmentMap={"1": "Liver"}),
        _task("mask-318", segmentations="scaled.nii.gz", segmentMap={"1": "Liver"}),
        _task("mask-319", segmentations="negative.nii.gz", segmentMap={"1": "Liver"}),
        _task("mask-320", segmentations="empty.nii.gz", segmentMap={"1": "Liver"}),
        _task("mask-321", segmentations="unoriented.nii.gz", segmentMap={"1": "Liver"}),
        _task("mask-322", segmentations="short.nii", segmentMap={"1": "Liver"}),
        _task("mask-323", segmentations="large.nii.gz", segmentMap={"1": "Liver"}),
        _task(
            "mask-324",
            segmentations=["good.nii.gz", "smaller.nii.gz", "stretched.nii.gz"],
            segmentMap={"1": "Liver", "2": "Spleen", "3": "Kidney"},
        ),
        {
            "name": "mask-325",
            "series": [
                {"items": "image.nii.gz", "segmentations": "good.nii.gz", "segmentMap": {"1": "Liver"}}
            ],
        },
    ]
    (folder / "labels").mkdir(parents=True, exist_ok=True)  # a directory where a file belongs
    _write_json(folder / "items.json", tasks)


def _consensus(folder: Path) -> None:
    """RB500-RB512: consensus tasks.json exports (RB505 needs a file of its own, all on 0-1)."""
    two = [{"name": "T1", "items": "t1.nii.gz"}, {"name": "T2", "items": "t2.nii.gz"}]
    truth = {"updatedBy": "reviewer@x.org", "series": [{"name": "T1c", "items": "ct.nii.gz"}]}
    tasks = [
        complete(name="consensus-ok"),
        consensus([], overall=None, name="consensus-500"),
        consensus(
            [entry(A, [(B, 84.0), (C, 80.5)]), entry(B, [(A, 84.0), (C, 87.5)]), entry(C, [(A, 80.5)])],
            name="consensus-501",
        ),
        consensus([entry(A, [(A, 100.0)]), entry(B, [(A, 84.0)])], name="consensus-502"),
        consensus([entry(A, [("b@x.com", 84.0)]), entry(B, [(A, 84.0)])], name="consensus-503"),
        consensus(
            [
                entry(A, [(B, 84.0), (B, 84.0)]),
                entry(B, [(A, 84.0), (C, 87.5)]),
                entry(C, [(A, 80.5), (B, 87.5)]),
            ],
            name="consensus-504",
        ),
        consensus([entry(A, [(B, 91.0)]), entry(B, [(A, 91.0)])], overall=0.87, name="consensus-506"),
        consensus([entry(A, [(B, 8400)]), entry(B, [(A, -3)])], name="consensus-507"),
        consensus([entry(A, [(B, 82.0)]), entry(B, [(A, 64.5)])], name="consensus-508"),
        consensus([entry(A, [])], overall=100.0, name="consensus-509"),
        consensus([entry(A, [(B, 84.0)]), entry(B, [(A, 84.0)])], overall=None, name="consensus-510"),
        consensus(
            [entry(A, [(B, 84.0)]), entry(B, [(A, 84.0)]), entry(A, [(B, 84.0)])], name="consensus-511"
        ),
        consensus(
            [entry(A, [(B, 84.0)], series=two), entry(B, [(A, 84.0)], series=two[:1])],
            name="consensus-512",
            series=two,
        ),
        consensus(
            [entry(A, [(B, 84.0)]), entry(B, [(A, 84.0)])], name="consensus-512-truth", superTruth=truth
        ),
    ]
    _write_json(folder / "tasks.json", tasks)
    fraction = [consensus([entry(A, [(B, 0.84)]), entry(B, [(A, 0.84)])], overall=0.84, name="fraction-505")]
    _write_json(folder / "fraction" / "tasks.json", fraction)


def _export_folder(folder: Path) -> None:
    """RB550-RB553: a tasks.json beside `segmentations/`, with real masks."""
    instances = [
        "segmentations/Export_004/A/instance-1.nii.gz",
        "segmentations/Export_004/A/instance-3.nii.gz",
    ]
    tasks = [
        task("Export_001", series("segmentations/Export_001/A.nii.gz")),  # on disk as a.nii.gz
        task("Export 2", series("segmentations/export2/A.nii.gz")),
        task("Export_003", series("segmentations/Export_003/T2.nii.gz", "T1 post")),
        task("Export_004", series(instances, segment_map={"1": "Liver", "3": "Kidney", "2": "Spleen"})),
        annotators(
            "Export_005", "segmentations/Export_005/A_1.nii.gz", "segmentations/Export_005/A_3.nii.gz"
        ),
        task(
            "Export_006",
            series(
                ["segmentations/Export_006/A/category-3.nii.gz"],
                segment_map={"4": "Kidney"},
                semanticMask=True,
            ),
        ),
        # the folder an SDK before 2.35 wrote (today's is `Export 7/`): accepted, no RB551
        task("Export 7", series("segmentations/Export-7/A.nii.gz")),
    ]
    on_disk = {
        "segmentations/Export_001/a.nii.gz": 1,
        "segmentations/export2/A.nii.gz": 1,
        "segmentations/Export_003/T2.nii.gz": 1,
        instances[0]: 1,
        instances[1]: 3,
        "segmentations/Export_005/A_1.nii.gz": 1,
        "segmentations/Export_005/A_3.nii.gz": 1,
        "segmentations/Export_006/A/category-3.nii.gz": 4,
        "segmentations/old-task/A.nii.gz": 1,
        "segmentations/Export-7/A.nii.gz": 1,
    }
    for path, value in on_disk.items():
        _nifti(folder / path, cube({(1, 1, 1): value}, shape=(4, 4, 2)))
    _write_json(folder / "tasks.json", tasks)


CLASSES = label_classes(
    {"class_name": "both", "geometry_type": "polygon", "classification_type": "select"},
    {"class_name": "voiture/légère", "geometry_type": "polygon"},
    {"class_name": "daytime", "classification_type": "checklist"},
)


def _points(*xy: tuple[float | None, float | None]) -> list[dict[str, Any]]:
    return [{"x": x, "y": y} for x, y in xy]


def _square(x0: int, y0: int, x1: int, y1: int) -> list[dict[str, Any]]:
    return _points((x0, y0), (x1, y0), (x1, y1), (x0, y1))


_TWO_LEVELS = dg_object(
    nested_geometries={
        "head": [
            dg_object(
                "point", _points((2, 2)), nested_geometries={"head": [dg_object("point", _points((1, 1)))]}
            )
        ]
    }
)
DATAGYM: list[Any] = [
    {"label_classes": CLASSES},  # RB601 `both`, RB602 `voiture/légère`, RB603 the second `daytime`
    dg_task(
        "m-1",
        "img_1.jpg",
        labels={
            "car": [dg_object(classifications={"car_type": ["van"]})],
            "bus": [dg_object("rectangle", [{"x": 1, "y": 2, "w": 30, "h": 40}])],
        },
        global_classifications={"weather": ["sunny", {"daytime": ["day"]}]},
    ),
    "img_2.jpg",  # RB600
    dg_task("m-1", "img_3.jpg"),  # RB604
    dg_task("m-4", "img_3.jpg"),  # RB605
    dg_task("m-5", "img_5.jpg", status="skipped", labels={"car": [dg_object()]}),  # RB606
    # RB607 `cars`, RB608 a classification class as a label
    dg_task("m-6", "img_6.jpg", labels={"cars": [dg_object()], "weather": [dg_object("rectangle", [])]}),
    dg_task(
        "m-7",
        "img_7.jpg",
        labels={
            "car": [
                # RB609 a rectangle under a polygon class
                dg_object("rectangle", [{"x": 1, "y": 1, "w": 5, "h": 5}]),
                # RB610 nested two levels deep
                _TWO_LEVELS,
                # RB611 a polygon of two points
                dg_object(coords=_points((57, 412), (54, 463))),
                # RB613 a null vertex
                dg_object(coords=_points((10, 10), (None, None), (35, 50), (60, 10))),
                # RB614 fractional pixels
                dg_object(coords=_points((10, 10.5), (60, 10), (35.25, 50))),
                # RB615 a bow tie
                dg_object(coords=_points((0, 0), (10, 10), (10, 0), (0, 10))),
                # RB618 below the image (image-height 480)
                dg_object(coords=_points((10, 10), (60, 470), (35, 490))),
            ],
            "bus": [
                # RB612 zero width
                dg_object("rectangle", [{"x": 120, "y": 80, "w": 0, "h": 45}]),
                # RB618 beyond the image (image-width 640)
                dg_object("rectangle", [{"x": 600, "y": 80, "w": 64, "h": 45}]),
            ],
        },
        global_classifications={"road": ["x"]},  # RB608 a geometry class as a classification
    ),
    dg_task(
        "m-8",
        "img_8.jpg",
        labels={
            "road": [
                # RB616 a cut-out outside its outer ring
                dg_object("image_segmentation", [_square(0, 0, 100, 100), _square(90, 90, 120, 120)]),
                # RB617 a cut-out over the next instance
                dg_object("image_segmentation", [_square(200, 0, 300, 100), _square(230, 30, 270, 70)]),
                dg_object("image_segmentation", [_square(245, 45, 255, 55)]),
            ]
        },
    ),
    dg_task(
        "m-9",
        "img_9.jpg",
        labels={"car": [dg_object(classifications={"car_type": [None]})]},  # RB620 (required-classes)
        global_classifications={"weather": []},  # RB619
    ),
]


# --- geometry (RB7xx) and DICOM (RB8xx), in the repository without a taxonomy ----------------------


def _norm(x: float, y: float) -> dict[str, float]:
    return {"xNorm": x, "yNorm": y}


def _voxel(i: float, j: float, k: float) -> dict[str, float]:
    return {"i": i, "j": j, "k": k}


def _world(x: float, y: float, z: float) -> dict[str, float]:
    return {"x": x, "y": y, "z": z}


def _box(x: float, y: float, w: float, h: float, **extra: Any) -> dict[str, Any]:
    return {"pointTopLeft": _norm(x, y), "wNorm": w, "hNorm": h, "category": "Car", **extra}


def _measurement(kind: str, points: dict[str, Any], value: float, **extra: Any) -> dict[str, Any]:
    return {"type": kind, **points, kind: value, "normal": [0, 0, 1], "category": kind.title(), **extra}


IDENTITY = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
GRID = {"dimensions": [16, 16, 4], "spacing": [1, 1, 1], "affine": IDENTITY}  # a grid in `imageHeaders`


def _geometry(folder: Path) -> None:
    """RB700-RB714: label geometry, one task per rule (grids from `imageHeaders`, nothing on disk)."""

    def tracked(frame: int, end: bool) -> dict[str, Any]:
        return _box(0.1, 0.1, 0.1, 0.1, video={"frameIndex": frame, "trackId": "car-1", "endTrack": end})

    def volume(name: str, **series: Any) -> dict[str, Any]:
        return _task(name, imageHeaders=GRID, **series)

    def photo(name: str, **series: Any) -> dict[str, Any]:
        return _task(name, items="photo.png", **series)

    length = {"point1": _voxel(0, 0, 0), "point2": _voxel(4, 0, 0)}
    right_angle = {"point1": _voxel(10, 0, 0), "vertex": _voxel(0, 0, 0), "point2": _voxel(0, 10, 0)}
    bow_tie = [_norm(0.1, 0.1), _norm(0.5, 0.5), _norm(0.5, 0.1), _norm(0.1, 0.5)]
    tasks = [
        photo("geometry-700", landmarks=[{"point": _norm(1.4, 0.5), "category": "Nodule"}]),
        photo("geometry-701", boundingBoxes=[_box(0.8, 0.1, 0.3, 0.2)]),
        photo("geometry-702", boundingBoxes=[_box(0.2, 0.2, 0, 0.1)]),
        photo(
            "geometry-703",
            ellipses=[
                {
                    "pointCenter": _norm(0.5, 0.5),
                    "xRadiusNorm": 0.1,
                    "yRadiusNorm": -0.05,
                    "rotationRad": 0,
                    "category": "Cyst",
                }
            ],
        ),
        photo("geometry-704", polylines=[{"points": [_norm(0.1, 0.1)], "category": "Vessel"}]),
        photo("geometry-705", polygons=[{"points": bow_tie, "category": "Lesion"}]),
        volume("geometry-706", landmarks3d=[{"point": _voxel(2, 3, 40), "category": "Nodule"}]),
        volume(
            "geometry-707",
            landmarks3d=[
                {"point": _voxel(10, 2, 3), "absolutePoint": _world(80, 2, 3), "category": "Nodule"}
            ],
        ),
        volume("geometry-708", measurements=[_measurement("length", length, 40)]),
        volume("geometry-709", measurements=[_measurement("angle", right_angle, 1.5708)]),  # radians
        volume("geometry-710", measurements=[_measurement("length", length, 4, normal=[0, 0, 2])]),
        _task(
            "geometry-711",
            items="video.mp4",
            imageHeaders={"dimensions": [640, 480], "totalFrames": 12},
            boundingBoxes=[_box(0.1, 0.1, 0.1, 0.1, video={"frameIndex": 12})],
        ),
        _task(
            "geometry-712",
            items=["a.dcm", "b.dcm", "c.dcm"],  # not on disk: the DICOM rules do not read them
            instanceClassifications=[{"fileIndex": 3, "values": {"Artifact": True}}],
        ),
        _task(
            "geometry-713",
            items=["a.dcm", "b.dcm"],
            landmarks=[{"point": _norm(0.5, 0.5), "category": "Nodule", "video": {"seriesItemIndex": 2}}],
        ),
        _task("geometry-714", items="video.mp4", boundingBoxes=[tracked(3, True), tracked(9, True)]),
    ]
    _write_json(folder / "geometry.json", tasks)


UID_ROOT = "1.2.826.0.1.3680043.8.498.7"  # fixed UIDs (pydicom's root): the same files every time
CT_SERIES = f"{UID_ROOT}.1"
SLICES = 5  # instances of the CT series, 5 mm apart
# not pydicom's implementation UID and name, which change with its version: the same bytes with any pydicom
IMPLEMENTATION = (f"{UID_ROOT}.0", "RB-LINT-IDENTITY")
# The series' grid as a NIfTI (RAS) affine: i along x by 0.75 mm, j along y by 0.5 mm, k along z by 5 mm.
SERIES_AFFINE = series_affine()


def _ct_instance(
    path: Path,
    uid: str,
    z: float,
    *,
    series: str = CT_SERIES,
    rows: int = 4,
    orientation: tuple[float, ...] = AXIAL,
) -> None:
    """One CT instance of 4 x 4 pixels (fewer `rows` for a scout), `z` mm above the first slice."""
    save_dicom(path, ct_image(uid, series, z, rows=rows, columns=4, orientation=orientation), IMPLEMENTATION)


def _rt_struct(
    path: Path, uid: str, rois: list[str], *, referenced_series: str = CT_SERIES, images: list[str]
) -> None:
    """An RT Structure Set with these ROI names, drawn on `images` (SOPInstanceUIDs) of a series."""
    ds = structure_set(
        rois,
        uid=uid,
        series_uid=f"{uid}.1",
        study_uid=f"{UID_ROOT}.2",
        frame_uid=f"{UID_ROOT}.3",
        referenced_series=referenced_series,
        images=images,
    )
    save_dicom(path, ds, IMPLEMENTATION)


def _dicom_seg(path: Path, uid: str, labels: list[str]) -> None:
    """A DICOM Segmentation of the CT series with these segments (numbered from 1); no frames."""
    ds = segmentation(labels, uid=uid, series_uid=f"{uid}.1", referenced_series=CT_SERIES, rows=4, columns=4)
    save_dicom(path, ds, IMPLEMENTATION)


def _dicom(folder: Path) -> None:
    """RB800-RB811: a CT series of five 4 x 4 instances under `ct/`, odd instances under `odd/`, NIfTI
    masks, RT Structure Sets and a DICOM Segmentation, and one task per problem."""
    uids = [f"{CT_SERIES}.{k + 1}" for k in range(SLICES)]
    ct = [f"ct/{k:03d}.dcm" for k in range(SLICES)]
    for k, (name, uid) in enumerate(zip(ct, uids, strict=True)):
        _ct_instance(folder / name, uid, 5.0 * k)
    first_four = ct[:4]  # z = 0 ... 15 mm; each odd instance takes the fifth place, z = 20 mm
    _ct_instance(folder / "odd" / "other-series.dcm", f"{UID_ROOT}.4.1", 20.0, series=f"{UID_ROOT}.4")
    _ct_instance(folder / "odd" / "scout.dcm", f"{UID_ROOT}.5.1", 20.0, rows=2)
    _ct_instance(folder / "odd" / "sagittal.dcm", f"{UID_ROOT}.5.2", 20.0, orientation=(0, 1, 0, 0, 0, -1))
    _ct_instance(folder / "odd" / "copy.dcm", uids[1], 5.0)  # a copy of ct/001.dcm under another name
    _write_text(folder / "odd" / "notes.dcm", "patient,slice\n008,4\n")  # not DICOM
    _rt_struct(folder / "rt" / "structures.dcm", f"{UID_ROOT}.6", ["Liver", "Spleen"], images=uids)
    _rt_struct(
        folder / "rt" / "other-series.dcm",
        f"{UID_ROOT}.7",
        ["Liver"],
        referenced_series=f"{UID_ROOT}.4",
        images=[f"{UID_ROOT}.4.1"],
    )
    _dicom_seg(folder / "seg" / "segments.dcm", f"{UID_ROOT}.8", ["Liver", "Spleen"])
    _nifti(folder / "masks" / "ct.nii.gz", cube(ONE, shape=(4, 4, SLICES)), affine=SERIES_AFFINE)
    _nifti(folder / "masks" / "short.nii.gz", cube(ONE, shape=(4, 4, SLICES - 1)), affine=SERIES_AFFINE)
    shifted = SERIES_AFFINE.copy()
    shifted[2, 3] += 5.0  # one slice up
    _nifti(folder / "masks" / "shifted.nii.gz", cube(ONE, shape=(4, 4, SLICES)), affine=shifted)

    def dicom(name: str, items: list[str], **series: Any) -> dict[str, Any]:
        return {"name": name, "series": [{"name": "CT", "items": items, **series}]}

    def masked(name: str, mask: str) -> dict[str, Any]:
        return dicom(name, ct, segmentations=f"masks/{mask}", segmentMap={"1": "Liver"})

    tasks = [
        masked("dicom-clean", "ct.nii.gz"),
        dicom(
            "dicom-clean-rt",
            ct,
            segmentations="rt/structures.dcm",
            segmentMap={"Liver": "Liver", "Spleen": "Spleen"},
        ),
        dicom("dicom-800", [*first_four, "odd/notes.dcm"]),
        dicom("dicom-801", [*first_four, "odd/other-series.dcm"]),
        dicom("dicom-802", [*first_four, "odd/scout.dcm"]),
        dicom("dicom-803", [*first_four, "odd/sagittal.dcm"]),
        dicom("dicom-804", [*ct, "odd/copy.dcm", ct[0]]),
        dicom("dicom-805", [*ct[:3], ct[4]]),  # z = 0, 5, 10, 20 mm: ct/003.dcm is missing
        masked("dicom-806", "short.nii.gz"),
        masked("dicom-807", "shifted.nii.gz"),
        # RB808 `spleen` (did you mean `Spleen`?), RB809 the ROI `Spleen` unmapped
        dicom(
            "dicom-808-rt",
            ct,
            segmentations="rt/structures.dcm",
            segmentMap={"Liver": "Liver", "spleen": "Spleen"},
        ),
        # RB808 a segment label as the key, RB809 segment 2 unmapped
        dicom(
            "dicom-808-seg",
            ct,
            segmentations="seg/segments.dcm",
            segmentMap={"1": "Liver", "Spleen": "Spleen"},
        ),
        dicom("dicom-810", ct, segmentations="rt/other-series.dcm", segmentMap={"Liver": "Liver"}),
        dicom(
            "dicom-811", [*ct, "rt/structures.dcm"]
        ),  # also RB801: the structure set is a series of its own
        dicom("dicom-811-image", ct, segmentations=ct[0], segmentMap={"1": "Liver"}),
        # RB706 on the grid the series' instances make: 4 x 4 x 5 voxels
        dicom("dicom-grid", ct, landmarks3d=[{"point": _voxel(2, 3, SLICES), "category": "Nodule"}]),
    ]
    _write_json(folder / "dicom.json", tasks)


# --- the corpus input ------------------------------------------------------------------------------


def make_corpus(folder: Path) -> None:
    """Every file of tests/data/corpus, each the segmentation of one task of `items.json` (on the grid of
    `anatomical.nii`), plus the MONAI label on its own image's grid."""
    names = sorted(p.name for p in CORPUS.glob("*.nii*"))
    for name in names:
        _write_bytes(folder / name, (CORPUS / name).read_bytes())
    tasks = [
        {
            "name": f"corpus-{name}",
            "series": [{"items": "anatomical.nii", "segmentations": name, "segmentMap": {"1": "Lesion"}}],
        }
        for name in names
    ]
    tasks.append(
        {
            "name": "corpus-own-grid",
            "series": [
                {
                    "items": "reoriented_anat_moved.nii",
                    "segmentations": "monai_reoriented_anat_moved_label.nii.gz",
                    "segmentMap": {"1": "Lesion"},
                }
            ],
        }
    )
    _write_json(folder / "items.json", tasks)
    _write_text(folder / "rb-lint.toml", "# The identity test's corpus input: default configuration.\n")


def build_input(name: str, base: Path) -> None:
    """Write input `name` under the empty directory `base`."""
    if name == "examples":
        shutil.copytree(EXAMPLES, base / "examples")
    elif name == "corpus":
        make_corpus(base / "corpus")
    elif name == "generated":
        make_repository(base)
    else:
        raise ValueError(f"unknown input {name!r}")


# --- running the CLI and normalising its reports ---------------------------------------------------


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    for variable in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "FORCE_COLOR"):
        env.pop(variable, None)
    env["NO_COLOR"] = "1"
    return env


def _launch(run: Run, base: Path, report_format: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rb_lint", *run.args, "--format", report_format],
        cwd=base / run.cwd,
        env=_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str], what: str) -> tuple[int, Any]:
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise AssertionError(f"{what}: no report within {TIMEOUT} s") from None
    if process.returncode not in (0, 1):
        raise AssertionError(f"{what}: exit code {process.returncode}\n{stderr}")
    try:
        return process.returncode, json.loads(stdout)
    except json.JSONDecodeError as error:
        raise AssertionError(f"{what}: the report is not JSON ({error})\n{stdout[:2000]}\n{stderr}") from None


def _normalise(text: Any, roots: list[str]) -> Any:
    if not isinstance(text, str):
        return text
    for root in roots:
        text = text.replace(root, PLACEHOLDER)
    return text


def _sarif_location(result: dict[str, Any]) -> tuple[str | None, int | None, int | None]:
    locations = result.get("locations") or [{}]
    physical = locations[0].get("physicalLocation", {})
    uri = physical.get("artifactLocation", {}).get("uri")
    region = physical.get("region", {})
    if uri is not None:  # relative to %SRCROOT% (the working directory, as the JSON path), or a file URI
        uri = url2pathname(urlparse(uri).path) if uri.startswith("file:") else unquote(uri)
    return uri, region.get("startLine"), region.get("startColumn")


def sort_key(finding: dict[str, Any]) -> tuple[Any, ...]:
    return (
        str(finding["path"]),
        finding["line"] or 0,
        finding["column"] or 0,
        finding["code"],
        str(finding["pointer"]),
        finding["message"],
        json.dumps(finding["fingerprint"], sort_keys=True),
    )


def run_input(name: str, base: Path) -> dict[str, Any]:
    """Lint input `name` (already built under `base`) with the CLI: per run, the exit code and the
    sorted findings, each with its SARIF `partialFingerprints`; the base directory is `<ROOT>`."""
    roots = sorted({str(base.resolve()), str(base)}, key=len, reverse=True)
    launched = [(run, _launch(run, base, "json"), _launch(run, base, "sarif")) for run in RUNS[name]]
    try:
        return {"input": name, "runs": [_collect(name, *processes, roots) for processes in launched]}
    finally:
        for _run, *processes in launched:
            for process in processes:
                if process.poll() is None:  # a run failed before this one was read: stop it
                    process.kill()
                    process.communicate()


def _collect(
    name: str,
    run: Run,
    json_process: subprocess.Popen[str],
    sarif_process: subprocess.Popen[str],
    roots: list[str],
) -> dict[str, Any]:
    """One run's exit code and findings: the JSON report's fields, the SARIF result's fingerprints."""
    what = f"{name}/{run.name}: rb-lint {' '.join(run.args)}"
    exit_code, report = _finish(json_process, what + " --format json")
    sarif_exit_code, sarif = _finish(sarif_process, what + " --format sarif")
    assert sarif_exit_code == exit_code, (
        f"{what}: exit code {exit_code} with json, {sarif_exit_code} with sarif"
    )
    results = [r for sarif_run in sarif["runs"] for r in sarif_run.get("results", [])]
    assert len(results) == len(report["findings"]), (
        f"{what}: {len(report['findings'])} JSON findings but {len(results)} SARIF results"
    )
    by_location: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        location = (result.get("ruleId"), *_sarif_location(result))
        by_location[location].append(result)
    findings = []
    for finding in report["findings"]:
        matches = by_location[(finding["code"], finding["path"], finding["line"], finding["column"])]
        assert matches, f"{what}: no SARIF result for {finding}"
        result = matches.pop(0)  # findings at one place are in the same order in both reports
        entry = {field: _normalise(finding[field], roots) for field in FIELDS}
        entry["fingerprint"] = result.get("partialFingerprints")
        findings.append(entry)
    return {
        "name": run.name,
        "cwd": run.cwd,
        "args": run.args,
        "exit_code": exit_code,
        "count": len(findings),
        "findings": sorted(findings, key=sort_key),
    }


def expected_path(name: str) -> Path:
    return EXPECTED / f"{name}.json"


def dump(data: dict[str, Any]) -> str:
    """The stored form: indented, one finding per few lines, stable key order."""
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"
