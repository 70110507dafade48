"""Symbolic links must not leave the root silently (issue 12, promise 5).

A mask path is judged on its real path (every link resolved) and the file checked is the one the
OS opens: `dirlink/../m.nii.gz` is `m.nii.gz` next to the link's TARGET. Every test runs the real
CLI in a subprocess with a timeout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import write
from test_nifti_support import save

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX symbolic links")


def cube(value: int) -> Any:
    data = np.zeros((4, 4, 4), dtype=np.uint8)
    data[1, 1, 1] = 1
    data[2, 2, 2] = value
    return data


def items(segmentations: str) -> list[dict[str, Any]]:
    series = {"items": "ct.nii.gz", "segmentations": segmentations, "segmentMap": {"1": "Liver"}}
    return [{"name": "patient-001", "series": [series]}]


def check(root: Path, *paths: str) -> tuple[int, list[dict[str, Any]]]:
    environment = {**os.environ, "NO_COLOR": "1"}
    environment.pop("GITHUB_ACTIONS", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "rb_lint",
            "check",
            "--no-cache",
            "--select",
            "RB3",
            "--format",
            "json",
            *(paths or (".",)),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    found = json.loads(result.stdout)
    return result.returncode, found if isinstance(found, list) else found["findings"]


def codes(findings: list[dict[str, Any]]) -> list[str]:
    return sorted(str(f["code"]) for f in findings)


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path]:
    """ROOT (with an `rb-lint.toml`, so that it is the root) and OUTSIDE, side by side."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "rb-lint.toml").write_text("")
    return root, outside


def test_mask_through_a_file_symlink_pointing_outside_is_rb302(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    save(outside / "m.nii.gz", cube(1))
    (root / "m.nii.gz").symlink_to(outside / "m.nii.gz")
    write(root / "items.json", items("m.nii.gz"))
    status, findings = check(root)
    assert codes(findings) == ["RB302"] and status == 0  # a warning: the default fail-on is error
    message = str(findings[0]["message"])
    assert "outside the linted root" in message and str(outside.resolve() / "m.nii.gz") in message


def test_mask_through_a_dir_symlink_pointing_outside_is_rb302(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    save(outside / "labels" / "m.nii.gz", cube(1))
    (root / "labels").symlink_to(outside / "labels", target_is_directory=True)
    write(root / "items.json", items("labels/m.nii.gz"))
    _, findings = check(root)
    assert codes(findings) == ["RB302"]


def test_dotdot_after_a_dir_symlink_checks_the_file_the_os_opens(layout: tuple[Path, Path]) -> None:
    """`dirlink/../m.nii.gz` with dirlink -> OUTSIDE/sub is OUTSIDE/m.nii.gz for the OS (and the
    upload), not ROOT/m.nii.gz: rb-lint used to check the clean decoy and report nothing."""
    root, outside = layout
    (outside / "sub").mkdir()
    save(outside / "m.nii.gz", cube(7))  # 7 is not in the segmentMap: RB305
    save(root / "m.nii.gz", cube(1))  # the decoy a lexical `..` would pick: clean
    (root / "dirlink").symlink_to(outside / "sub", target_is_directory=True)
    write(root / "items.json", items("dirlink/../m.nii.gz"))
    status, findings = check(root)
    assert codes(findings) == ["RB302", "RB305"], findings
    assert status == 0  # both are warnings
    [unmapped] = [f for f in findings if f["code"] == "RB305"]
    assert "7" in str(unmapped["message"])


def test_dotdot_after_a_dir_symlink_that_stays_inside(layout: tuple[Path, Path]) -> None:
    root, _ = layout
    (root / "a" / "b").mkdir(parents=True)
    save(root / "a" / "m.nii.gz", cube(7))  # what the OS opens: RB305, no RB302
    save(root / "m.nii.gz", cube(1))
    (root / "link").symlink_to(root / "a" / "b", target_is_directory=True)
    write(root / "items.json", items("link/../m.nii.gz"))
    _, findings = check(root)
    assert codes(findings) == ["RB305"]


def test_symlinks_inside_the_root_to_inside_the_root_stay_fine(layout: tuple[Path, Path]) -> None:
    root, _ = layout
    save(root / "store" / "m.nii.gz", cube(1))
    (root / "m.nii.gz").symlink_to(root / "store" / "m.nii.gz")
    (root / "labels").symlink_to("store", target_is_directory=True)
    write(root / "items.json", items("m.nii.gz"))
    write(root / "more.json", [{**items("labels/m.nii.gz")[0], "name": "patient-002"}])
    status, findings = check(root)
    assert (status, findings) == (0, [])


def test_root_reached_through_a_symlink_is_not_outside_itself(tmp_path: Path) -> None:
    real = tmp_path / "v3"
    save(real / "m.nii.gz", cube(1))
    write(real / "items.json", items("m.nii.gz"))
    (tmp_path / "current").symlink_to(real, target_is_directory=True)
    status, findings = check(tmp_path / "current", str(tmp_path / "current"))
    assert (status, findings) == (0, [])


def test_dangling_and_looping_mask_symlinks_are_missing_files_not_crashes(layout: tuple[Path, Path]) -> None:
    root, _ = layout
    (root / "gone.nii.gz").symlink_to(root / "nowhere.nii.gz")
    os.symlink("loop.nii.gz", root / "loop.nii.gz")
    write(root / "a.json", items("gone.nii.gz"))
    write(root / "b.json", [{**items("loop.nii.gz")[0], "name": "patient-002"}])
    status, findings = check(root)
    assert codes(findings) == ["RB301", "RB301"] and status == 1


def test_symlinked_json_outside_the_root_is_linted_like_ruff_does(layout: tuple[Path, Path]) -> None:
    """A file symlink found by walking is linted wherever it points (ruff does the same; a
    directory symlink found by walking is not entered). The masks it names resolve from the
    link's folder, and any that leads out of the root is RB302."""
    root, outside = layout
    save(root / "m.nii.gz", cube(1))
    write(outside / "items.json", items("m.nii.gz"))
    write(outside / "deep" / "other.json", items("../escape.nii.gz"))
    (root / "items.json").symlink_to(outside / "items.json")
    (root / "deep").symlink_to(outside / "deep", target_is_directory=True)
    status, findings = check(root)
    assert (status, findings) == (0, [])  # m.nii.gz next to the link: inside, clean; deep/ not walked
    _, named = check(root, "deep")  # a directory symlink named on the command line is walked
    assert codes(named) == ["RB301", "RB302"]
