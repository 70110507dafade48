"""RB550–RB553: export folders — orphans and the exporter's file layout, with real NIfTI files."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pytest
from conftest import codes, only, position, write
from export_folder_builders import consensus, series, task

from rb_lint import Report, lint

Run = Callable[..., tuple[Report, str]]
EXPORT_FOLDER_CODES = ("RB550", "RB551", "RB552", "RB553")


def nifti(path: Path, value: int = 1) -> None:
    """A tiny real mask: 4×4×2 uint8 with one labeled voxel."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.zeros((4, 4, 2), dtype=np.uint8)
    data[1, 1, 0] = value
    nib.save(nib.Nifti1Image(data, np.eye(4)), str(path))


@pytest.fixture
def run(lint_files: Callable[..., Report], tmp_path: Path) -> Run:
    def lint_export(
        tasks: list[Any], files: Sequence[str] = (), name: str = "tasks.json", folder: bool = True
    ) -> tuple[Report, str]:
        if folder:
            (tmp_path / "segmentations").mkdir(exist_ok=True)
        for file in files:
            nifti(tmp_path / file)
        report = lint_files({name: tasks})
        assert report.errors == []
        return report, (tmp_path / name).read_text(encoding="utf-8")

    return lint_export


def export_codes(report: Report) -> list[str]:
    return [c for c in codes(report) if c in EXPORT_FOLDER_CODES]


def test_every_layout_the_exporter_writes_is_clean(run: Run, tmp_path: Path) -> None:
    overlapping = ["segmentations/Task-2/T1/instance-1.nii.gz", "segmentations/Task-2/T1/instance-2.nii.gz"]
    semantic = "segmentations/Task_3/A/category-4.nii.gz"
    tasks = [
        task("Task_001", series("segmentations/Task_001/A.nii.gz"), series("segmentations/Task_001/B.nii")),
        task(
            "Task 2",
            series(
                overlapping,
                "T1",
                {
                    "1": {"category": "Liver", "mask": overlapping[0]},
                    "2": {"category": "Spleen", "mask": overlapping[1]},
                },
                binaryMask=True,
            ),
        ),
        task("Task_3", series([semantic], segment_map={"4": "Kidney"}, semanticMask=True)),
        consensus("Task_4", "segmentations/Task_4/A_1.nii.gz", "segmentations/Task_4/A_2.nii"),
    ]
    files = [
        "segmentations/Task_001/A.nii.gz",
        "segmentations/Task_001/B.nii",
        *overlapping,
        "segmentations/Task-2/T1.nii.gz",  # the aggregate beside the per-instance folder
        semantic,
        "segmentations/Task_4/A_1.nii.gz",
        "segmentations/Task_4/A_2.nii",
    ]
    write(tmp_path / "segmentations" / ".DS_Store", "finder")
    report, _ = run(tasks, files)
    assert export_codes(report) == []
    assert "RB301" not in codes(report)


def test_case_only_mismatch_is_a_missing_file_and_an_orphan(run: Run) -> None:
    """Acceptance: tasks.json names `.../A.nii.gz`, the folder holds `a.nii.gz`.

    The missing file is RB301's (mask scanning, another rule family); the orphan is RB550's.
    """
    report, text = run(
        [task("Task_001", series("segmentations/Task_001/A.nii.gz"))], ["segmentations/Task_001/a.nii.gz"]
    )
    missing = only(report, "RB301")
    assert missing.severity.name == "ERROR"
    assert (missing.line, missing.column) == position(text, '"segmentations/Task_001/A.nii.gz"')
    orphan = only(report, "RB550")
    assert orphan.severity.name == "WARNING"
    assert (orphan.line, orphan.column) == position(text, '"Task_001"')
    assert "`segmentations/Task_001/a.nii.gz` is in the export folder" in orphan.message
    assert "names `segmentations/Task_001/A.nii.gz`, which differs only in case" in orphan.message


def test_orphan_in_a_case_only_different_file(run: Run) -> None:
    report, text = run(
        [task("Task_001", series("segmentations/Task_001/A.nii.gz"))], ["segmentations/Task_001/a.nii.gz"]
    )
    orphan = only(report, "RB550")
    assert (orphan.line, orphan.column) == position(text, '"Task_001"')
    assert "`segmentations/Task_001/a.nii.gz`" in orphan.message


def test_orphan_outside_every_task_folder_is_reported_at_the_array(run: Run) -> None:
    report, _ = run(
        [task("Task_001", series("segmentations/Task_001/A.nii.gz"))],
        ["segmentations/Task_001/A.nii.gz", "segmentations/old-task/A.nii.gz"],
    )
    orphan = only(report, "RB550")
    assert (orphan.line, orphan.column) == (1, 1)
    assert "`segmentations/old-task/A.nii.gz` is in the export folder" in orphan.message
    assert "delete it" in orphan.message


def test_entry_masks_count_as_references(run: Run) -> None:
    mask = "segmentations/Task_001/A/instance-1.nii.gz"
    report, _ = run(
        [task("Task_001", series([], segment_map={"1": {"category": "Liver", "mask": mask}}))], [mask]
    )
    assert "RB550" not in codes(report)


def test_only_tasks_json_beside_segmentations_is_an_export_folder(run: Run, tmp_path: Path) -> None:
    tasks = [task("Task_001", series("segmentations/Task_001/A.nii.gz"))]
    files = ["segmentations/Task_001/A.nii.gz", "segmentations/stray.nii.gz"]
    report, _ = run(tasks, files, name="items.json")
    assert export_codes(report) == []


def test_tasks_json_without_segmentations_folder(run: Run) -> None:
    report, _ = run([task("Task_001", series("elsewhere/x.nii.gz"))], folder=False)
    assert export_codes(report) == []


def test_wrong_task_folder(run: Run) -> None:
    path = "segmentations/patient7/A.nii.gz"
    report, text = run([task("Patient:7", series(path))], [path])
    finding = only(report, "RB551")
    assert finding.severity.name == "WARNING"
    assert (finding.line, finding.column) == position(text, f'"{path}"')
    assert "is in folder `patient7/`" in finding.message
    assert "writes task `Patient:7` to `segmentations/Patient-7/`" in finding.message


def test_task_folder_with_spaces_and_brackets_is_the_exporters(run: Run) -> None:
    path = "segmentations/Patient 7 (b)/A.nii.gz"
    report, _ = run([task("Patient 7 (b).", series(path))], [path])
    assert export_codes(report) == []


def test_wrong_series_file_name(run: Run) -> None:
    path = "segmentations/Task_001/T2.nii.gz"
    report, text = run([task("Task_001", series(path, "T1/post"))], [path])
    finding = only(report, "RB551")
    assert (finding.line, finding.column) == position(text, f'"{path}"')
    assert "the file name of series `T1/post` is `T1-post`" in finding.message


def test_single_unnamed_series_named_after_the_task_is_accepted(run: Run) -> None:
    path = "segmentations/Task_001/Task_001.nii.gz"  # older SDKs
    report, _ = run([task("Task_001", series(path))], [path])
    assert export_codes(report) == []


def test_path_outside_segmentations(run: Run) -> None:
    report, text = run([task("Task_001", series("masks/Task_001/A.nii.gz"))])
    finding = only(report, "RB551")
    assert (finding.line, finding.column) == position(text, '"masks/Task_001/A.nii.gz"')
    assert "not in a task folder under `segmentations/`" in finding.message


def test_path_nested_too_deep(run: Run) -> None:
    path = "segmentations/Task_001/A/x/instance-1.nii.gz"
    report, text = run([task("Task_001", series(path))], [path])
    finding = only(report, "RB551")
    assert (finding.line, finding.column) == position(text, f'"{path}"')
    assert "nested too deep" in finding.message


def test_annotator_file_without_index(run: Run) -> None:
    paths = ["segmentations/Task_001/A.nii.gz", "segmentations/Task_001/A_2.nii.gz"]
    report, text = run([consensus("Task_001", *paths)], paths)
    finding = only(report, "RB551")
    assert (finding.line, finding.column) == position(text, f'"{paths[0]}"')
    assert "an annotator's file name is `A_<k>` (k = 1..2)" in finding.message


def test_unknown_file_in_series_folder(run: Run) -> None:
    path = "segmentations/Task_001/A/liver.nii.gz"
    report, text = run([task("Task_001", series(path))], [path])
    finding = only(report, "RB551")
    assert (finding.line, finding.column) == position(text, f'"{path}"')
    assert "`instance-<id>.nii.gz`" in finding.message


def test_png_exports_are_not_layout_checked(run: Run) -> None:
    report, _ = run(
        [task("Task_001", series("segmentations/Task_001/mask-0.png", pngMask=True, binaryMask=True))]
    )
    assert export_codes(report) == []


@pytest.mark.parametrize("index", [0, 3])
def test_consensus_index_outside_the_annotators(run: Run, index: int) -> None:
    paths = ["segmentations/Task_001/A_1.nii.gz", f"segmentations/Task_001/A_{index}.nii.gz"]
    report, text = run([consensus("Task_001", *paths)], paths)
    finding = only(report, "RB552")
    assert finding.severity.name == "ERROR"
    assert (finding.line, finding.column) == position(text, f'"{paths[1]}"')
    assert f"annotator index `_{index}` is outside 1..2" in finding.message
    assert "RB551" not in codes(report)


def test_consensus_index_in_a_series_folder(run: Run) -> None:
    path = "segmentations/Task_001/A_5/instance-1.nii.gz"
    report, text = run([consensus("Task_001", path)], [path])
    finding = only(report, "RB552")
    assert (finding.line, finding.column) == position(text, f'"{path}"')


def test_instance_file_without_segmentmap_key(run: Run) -> None:
    paths = ["segmentations/Task_001/A/instance-1.nii.gz", "segmentations/Task_001/A/instance-3.nii.gz"]
    report, text = run([task("Task_001", series(paths, segment_map={"1": "Liver", "2": "Spleen"}))], paths)
    finding = only(report, "RB553")
    assert finding.severity.name == "ERROR"
    assert (finding.line, finding.column) == position(text, f'"{paths[1]}"')
    assert "is instance 3, but the series' segmentMap has no key `3`" in finding.message


def test_entry_mask_of_another_instance_is_reported_once(run: Run) -> None:
    paths = ["segmentations/Task_001/A/instance-1.nii.gz", "segmentations/Task_001/A/instance-3.nii.gz"]
    segment_map = {
        "1": {"category": "Liver", "mask": paths[0]},
        "2": {"category": "Spleen", "mask": paths[1]},
    }
    report, text = run([task("Task_001", series(paths, segment_map=segment_map, binaryMask=True))], paths)
    finding = only(report, "RB553")
    assert (finding.line, finding.column) == position(text, f'"{paths[1]}"', 2)
    assert "segmentMap entry `2` names `instance-3.nii.gz`" in finding.message


def test_semantic_category_file_is_keyed_by_class_id_plus_one(run: Run) -> None:
    path = "segmentations/Task_001/A/category-3.nii.gz"
    report, text = run([task("Task_001", series([path], segment_map={"4": "Kidney"}))], [path])
    finding = only(report, "RB553")
    assert (finding.line, finding.column) == position(text, f'"{path}"')
    assert "is category 3" in finding.message
    assert "classId + 1" in finding.message


NOT_INSTANCE_IDS = ["²", "٣"]  # `str.isdigit()` is true for both; `int("²")` raises, `int("٣")` is 3


@pytest.mark.parametrize("key", NOT_INSTANCE_IDS)
def test_segmentmap_key_that_is_no_instance_id_gives_findings_not_an_internal_error(
    run: Run, key: str
) -> None:
    """Such a key is RB114's; around it RB551–RB553 judge the paths as usual and never fail."""
    per_id = ["segmentations/Task_001/A/instance-1.nii.gz", "segmentations/Task_001/A/instance-3.nii.gz"]
    entry_mask = "segmentations/Task_001/A/instance-2.nii.gz"
    off_layout = "segmentations/elsewhere/A.nii.gz"
    annotators = ["segmentations/Task_003/A_1.nii.gz", "segmentations/Task_003/A_3.nii.gz"]
    segment_map = {"1": "Liver", key: {"category": "Spleen", "mask": entry_mask}}
    tasks = [
        task("Task_001", series(per_id, segment_map=segment_map, binaryMask=True)),
        task("Task_002", series(off_layout, segment_map={"1": "Liver", key: "Spleen"})),
        {
            "name": "Task_003",
            "taskId": "id-3",
            "consensus": True,
            "consensusTasks": [
                {"updatedBy": f"user{k}@x.org", "series": [series(path, segment_map={key: "Liver"})]}
                for k, path in enumerate(annotators, 1)
            ],
        },
    ]
    report, text = run(tasks, [*per_id, entry_mask, off_layout, *annotators])
    assert export_codes(report) == ["RB553", "RB553", "RB551", "RB552"]
    found = {
        (f.code, (f.line, f.column)): f.message for f in report.findings if f.code in EXPORT_FOLDER_CODES
    }

    def message(code: str, path: str) -> str:
        return found[(code, position(text, f'"{path}"'))]

    assert "is instance 3, but the series' segmentMap has no key `3`" in message("RB553", per_id[1])
    assert "is instance 2, but the series' segmentMap has no key `2`" in message("RB553", entry_mask)
    assert "is in folder `elsewhere/`" in message("RB551", off_layout)
    assert "annotator index `_3` is outside 1..2" in message("RB552", annotators[1])


@pytest.mark.parametrize("key", NOT_INSTANCE_IDS)
def test_segmentmap_key_that_is_no_instance_id_in_a_clean_export(run: Run, key: str) -> None:
    path = "segmentations/Task_001/A/instance-1.nii.gz"
    segment_map = {"1": {"category": "Liver", "mask": path}, key: {"category": "Spleen", "mask": path}}
    report, _ = run([task("Task_001", series([path], segment_map=segment_map, binaryMask=True))], [path])
    assert export_codes(report) == []


@pytest.mark.parametrize("key", NOT_INSTANCE_IDS)
def test_segmentmap_key_that_is_no_instance_id_on_the_command_line(
    run: Run, tmp_path: Path, key: str
) -> None:
    """Each rule alone, as `--select` runs it: findings and exit code 1, never exit code 2."""
    paths = ["segmentations/Task_001/A/instance-1.nii.gz", "segmentations/Task_001/A/instance-3.nii.gz"]
    run([task("Task_001", series(paths, segment_map={"1": "Liver", key: "Spleen"}))], paths)
    for code, expected in [("RB551", 0), ("RB552", 0), ("RB553", 1)]:
        result = subprocess.run(
            [sys.executable, "-m", "rb_lint", "check", "tasks.json", "--no-cache", "--select", code],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
            timeout=120,
        )
        assert (result.returncode, result.stderr) == (expected, ""), result.stdout
        assert result.stdout.count(f" {code} ") == expected, result.stdout


def test_file_number_is_compared_with_the_keys_as_written(run: Run) -> None:
    """The exporter writes `instance-<key>` verbatim: `instance-007` is not key `7`'s file."""
    path = "segmentations/Task_001/A/instance-007.nii.gz"
    report, text = run([task("Task_001", series([path], segment_map={"7": "Liver"}))], [path])
    finding = only(report, "RB553")
    assert (finding.line, finding.column) == position(text, f'"{path}"')
    assert "is instance 007, but the series' segmentMap has no key `007`" in finding.message


def test_export_folder_example_has_exactly_its_deliberate_mistakes() -> None:
    example = Path(__file__).parent.parent / "examples" / "export-folder"
    report = lint([example], config={})
    assert report.errors == []
    found = [f for f in report.findings if f.code in EXPORT_FOLDER_CODES]
    assert [(f.code, f.line, f.column) for f in found] == [("RB550", 1, 1), ("RB550", 4, 13)]
    assert "`segmentations/Patient-003/A.nii.gz`" in found[0].message
    assert "`segmentations/Patient-001/t2.nii.gz`" in found[1].message
