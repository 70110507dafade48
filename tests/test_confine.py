"""A confined run (`Options.confine`, the validation service) opens nothing outside its root.

Every reference that leads out (`..`, an absolute path, a symbolic link to a file or a folder,
`dirlink/../x.nii.gz`, a JSON file that is a link) is reported, and the file behind it is never
opened, listed or read. Proven in a subprocess (bounded) whose audit hook records every `open`,
`os.listdir` and `os.scandir`; the outside files include a FIFO, which would hang a reader. The
same run without `confine` opens the outside files: the hook does see them.

Also here: `lint(display_root=...)` with `RenderOptions.path_origin` gives the same report,
fingerprints included, as `rb-lint check` run in that folder (a real subprocess).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import write
from test_nifti_support import save

from rb_lint.api import lint
from rb_lint.core.config import ConfigError
from rb_lint.core.context import Options
from rb_lint.reporters import RenderOptions, reporter

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX symbolic links and FIFOs")

# Runs `lint()` with an audit hook; prints the report's findings and every path opened or listed.
AUDITED = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    seen = []
    def hook(event, args):
        named = args and isinstance(args[0], (str, bytes, os.PathLike))
        if event in ("open", "os.listdir", "os.scandir") and named:
            seen.append(os.path.realpath(os.fsdecode(args[0])))
    sys.addaudithook(hook)
    from rb_lint.api import lint
    from rb_lint.core.config import ConfigError
    from rb_lint.core.context import Options
    root, confine, jobs = Path(sys.argv[1]), sys.argv[2] == "1", int(sys.argv[3])
    options = Options(confine=confine, use_cache=False, jobs=jobs)
    try:
        report = lint([root], options=options, display_root=root)
        findings = [f.to_dict() for f in report.findings]
        out = {"findings": findings, "files": report.files, "errors": report.errors}
    except ConfigError as error:
        out = {"config_error": str(error)}
    out["seen"] = seen
    print(json.dumps(out))
    """
)


def audited(root: Path, *, confine: bool = True, jobs: int = 1) -> dict[str, Any]:
    environment = {**os.environ, "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-c", AUDITED, str(root), "1" if confine else "0", str(jobs)],
        capture_output=True,
        text=True,
        timeout=120,  # a FIFO opened by mistake would hang: the test fails here instead
        env=environment,
        cwd=root.parent.parent,  # the working directory is neither the root nor holds it
    )
    assert result.returncode == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def cube(value: int) -> Any:
    data = np.zeros((4, 4, 4), dtype=np.uint8)
    data[1, 1, 1] = value
    return data


def task(name: str, segmentations: str, items: str = "ct.nii.gz") -> dict[str, Any]:
    series = {"items": items, "segmentations": segmentations, "segmentMap": {"1": "Liver"}}
    return {"name": name, "series": [series]}


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path]:
    """ROOT (with an `rb-lint.toml`) and OUTSIDE side by side, below a folder of their own; the
    outside holds real masks (one with a value the segmentMap lacks: RB305 if it were read), a
    FIFO, a DICOM file and a JSON items list."""
    base = tmp_path / "case"
    root, outside = base / "root", base / "outside"
    root.mkdir(parents=True)
    outside.mkdir()
    (root / "rb-lint.toml").write_text("")
    save(root / "ct.nii.gz", cube(1))
    save(root / "inside.nii.gz", cube(1))
    for name in ("m.nii.gz", "abs.nii.gz", "ct.nii.gz"):
        save(outside / name, cube(7))
    save(outside / "sub" / "deep.nii.gz", cube(7))
    save(base / "x.nii.gz", cube(7))  # what `dirlink/../x.nii.gz` opens: OUTSIDE/.. is `base`
    os.mkfifo(outside / "fifo.nii.gz")
    (outside / "a.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\0" * 64)
    write(outside / "linked.json", [task("linked-001", "inside.nii.gz")])
    return root, outside


def escaping_tasks(root: Path, outside: Path) -> list[dict[str, Any]]:
    (root / "m-link.nii.gz").symlink_to(outside / "m.nii.gz")
    (root / "fifo-link.nii.gz").symlink_to(outside / "fifo.nii.gz")
    (root / "dirlink").symlink_to(outside / "sub", target_is_directory=True)
    depth = "../" * len(root.parts)
    return [
        task("dotdot", f"{depth}etc/passwd"),
        task("dotdot-mask", "../outside/m.nii.gz"),
        task("absolute", str(outside / "abs.nii.gz")),
        task("file-link", "m-link.nii.gz"),
        task("fifo-link", "fifo-link.nii.gz"),
        task("fifo-dotdot", "../outside/fifo.nii.gz"),
        task("folder-link", "dirlink/deep.nii.gz"),
        task("dotdot-after-link", "dirlink/../x.nii.gz"),
        task("image-outside", "inside.nii.gz", items="../outside/ct.nii.gz"),
        {"name": "dicom-outside", "series": [{"items": ["../outside/a.dcm"]}]},
        task("clean", "inside.nii.gz"),
    ]


def outside_of(root: Path, seen: list[str]) -> list[str]:
    """The paths opened or listed that are not below the root (the interpreter's own files and
    the temporary folder's other files aside: the test's `case` folder is what counts)."""
    case = str(root.parent.resolve())
    real_root = str(root.resolve())
    return sorted(
        {
            path
            for path in seen
            if (path.startswith(case + os.sep) and not _within(path, real_root)) or path == "/etc/passwd"
        }
    )


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder + os.sep)


def test_a_confined_run_opens_nothing_outside_the_root(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    write(root / "items.json", escaping_tasks(root, outside))
    (root / "linked.json").symlink_to(outside / "linked.json")
    found = audited(root)
    assert found["errors"] == []
    assert outside_of(root, found["seen"]) == []
    by_code: dict[str, list[dict[str, Any]]] = {}
    for finding in found["findings"]:
        by_code.setdefault(finding["code"], []).append(finding)
    # Every escaping segmentation is RB302, said not to be read; none is RB301 or a scan finding.
    outside_paths = {f["pointer"] for f in by_code.get("RB302", [])}
    assert len(outside_paths) == 8, by_code.get("RB302")
    assert all("was not read" in f["message"] for f in by_code["RB302"])
    assert "RB301" not in by_code and "RB305" not in by_code and "RB008" in by_code
    items_findings = [f for f in found["findings"] if f["path"] == "items.json"]
    assert {f["code"] for f in items_findings} <= {"RB302", "RB303", "RB400", "RB900"}, items_findings
    # The JSON symlink out: listed under its name in the root, one RB008 saying it was not read.
    [linked] = [f for f in found["findings"] if f["path"] == "linked.json"]
    assert linked["code"] == "RB008" and "not read" in linked["message"]
    assert sorted(found["files"]) == ["items.json", "linked.json"]


def test_the_audit_hook_sees_what_an_unconfined_run_opens(layout: tuple[Path, Path]) -> None:
    """The control: without `confine` the same files (the FIFO aside) are opened and scanned."""
    root, outside = layout
    os.unlink(outside / "fifo.nii.gz")  # a plain run stats it and reports RB301; no need to risk it
    write(root / "items.json", [task("dotdot-mask", "../outside/m.nii.gz")])
    (root / "linked.json").symlink_to(outside / "linked.json")
    found = audited(root, confine=False)
    opened = outside_of(root, found["seen"])
    assert str((outside / "m.nii.gz").resolve()) in opened
    assert str((outside / "linked.json").resolve()) in opened
    assert "RB305" in {f["code"] for f in found["findings"]}  # the outside mask was scanned


def test_a_symlinked_folder_out_is_not_listed(layout: tuple[Path, Path]) -> None:
    """A folder that leads out, named as a path to lint, is refused (a usage error); walking the
    root never enters a link to a folder."""
    root, outside = layout
    write(outside / "sub" / "more.json", [task("more", "deep.nii.gz")])
    (root / "folder").symlink_to(outside / "sub", target_is_directory=True)
    found = audited(root)
    assert outside_of(root, found["seen"]) == [] and found["findings"] == []
    with pytest.raises(ConfigError, match="outside the root"):
        lint([root / "folder"], config=root / "rb-lint.toml", options=Options(confine=True, use_cache=False))


def test_an_export_folder_whose_segmentations_lead_out_is_not_listed(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    save(outside / "segs" / "Task" / "A.nii.gz", cube(1))
    (root / "segmentations").symlink_to(outside / "segs", target_is_directory=True)
    write(root / "tasks.json", [task("Task", "segmentations/Task/A.nii.gz")])
    found = audited(root)
    assert outside_of(root, found["seen"]) == []
    assert [f["code"] for f in found["findings"] if f["code"] != "RB400"] == ["RB302"]


@pytest.mark.parametrize("where", ["option", "config"])
def test_a_taxonomy_outside_the_root_is_a_usage_error(layout: tuple[Path, Path], where: str) -> None:
    root, outside = layout
    write(outside / "taxonomy.json", {"name": "t", "objectTypes": []})
    write(root / "items.json", [task("clean", "inside.nii.gz")])
    config: dict[str, Any] = {"taxonomy": "../outside/taxonomy.json"} if where == "config" else {}
    taxonomy = outside / "taxonomy.json" if where == "option" else None
    options = Options(confine=True, use_cache=False, taxonomy=taxonomy)
    with pytest.raises(ConfigError, match="outside the root"):
        lint([root], config=config, options=options)
    # The same through a symbolic link inside the root.
    (root / "taxonomy.json").symlink_to(outside / "taxonomy.json")
    with pytest.raises(ConfigError, match="outside the root"):
        lint([root], config={"taxonomy": "taxonomy.json"}, options=Options(confine=True, use_cache=False))


def test_without_confine_nothing_changes(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    os.unlink(outside / "fifo.nii.gz")
    write(root / "items.json", [task("dotdot-mask", "../outside/m.nii.gz")])
    plain = lint([root], options=Options(use_cache=False), display_root=root)
    codes = sorted(f.code for f in plain.findings)
    assert "RB302" in codes and "RB305" in codes
    [outside_finding] = [f for f in plain.findings if f.code == "RB302"]
    assert "lint from a folder that contains both" in outside_finding.message


# -- display_root and path_origin ------------------------------------------------------------------


def check_json(folder: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "rb_lint", "check", "--no-cache", "--format", "json", "."],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode in (0, 1), result.stderr
    return result.stdout


def project(folder: Path) -> None:
    (folder / "rb-lint.toml").write_text("")
    save(folder / "masks" / "ok.nii.gz", cube(1))
    save(folder / "masks" / "seven.nii.gz", cube(7))
    write(folder / "items.json", [task("a", "masks/ok.nii.gz"), task("a", "masks/seven.nii.gz")])
    write(folder / "sub" / "more.json", [task("b", "../masks/gone.nii.gz"), task("c", "../../escape.nii.gz")])
    write(
        folder / "taxonomy.json",
        {"name": "t", "objectTypes": [{"category": "Liver", "labelType": "SEGMENTATION"}]},
    )


def test_display_root_and_path_origin_give_the_report_of_a_run_in_that_folder(tmp_path: Path) -> None:
    folder = tmp_path / "bundle"
    folder.mkdir()
    project(folder)
    expected = check_json(folder)
    assert os.getcwd() != str(folder)
    report = lint([folder], options=Options(use_cache=False), display_root=folder)
    options = RenderOptions(fingerprint_base=folder, path_origin=folder)
    assert reporter("json")(report, options) == expected
    assert {f["path"] for f in json.loads(expected)["findings"]} >= {"items.json", "sub/more.json"}
    # json-lines and SARIF resolve the relative paths against the origin too.
    lines = [json.loads(line) for line in reporter("json-lines")(report, options).splitlines()]
    assert lines == json.loads(expected)["findings"]
    sarif = json.loads(reporter("sarif")(report, RenderOptions(path_origin=folder)))
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]
    }
    assert uris >= {"items.json", "sub/more.json"} and all("/" not in uri[:1] for uri in uris)
    prints = [r["partialFingerprints"]["rbLint/v1"] for r in sarif["runs"][0]["results"]]
    assert prints == [f["fingerprint"] for f in json.loads(expected)["findings"]]


def test_without_display_root_the_paths_stay_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "bundle"
    folder.mkdir()
    project(folder)
    monkeypatch.chdir(tmp_path)
    report = lint([folder], options=Options(use_cache=False))
    assert {f.path for f in report.findings} >= {"bundle/items.json", "bundle/sub/more.json"}
    rendered = reporter("json")(report, RenderOptions())
    shifted = lint([folder], options=Options(use_cache=False), display_root=folder)
    again = reporter("json")(shifted, RenderOptions(path_origin=folder, fingerprint_base=tmp_path))
    before, after = json.loads(rendered)["findings"], json.loads(again)["findings"]
    assert [(f["path"], f["fingerprint"]) for f in before] == [
        ("bundle/" + f["path"], f["fingerprint"]) for f in after
    ]
    # Paths in messages follow: RB201 names the first use of the name as the reader sees it.
    [duplicate] = [f for f in after if f["code"] == "RB201"]
    assert "already used at items.json:" in duplicate["message"]


def test_a_confined_run_of_a_self_contained_project_reports_what_a_plain_run_does(tmp_path: Path) -> None:
    folder = tmp_path / "bundle"
    folder.mkdir()
    project(folder)
    write(
        folder / "sub" / "more.json", [task("b", "../masks/gone.nii.gz"), task("c", "../masks/seven.nii.gz")]
    )
    plain = lint([folder], options=Options(use_cache=False), display_root=folder)
    confined = lint([folder], options=Options(use_cache=False, confine=True), display_root=folder)
    assert confined.findings == plain.findings and confined.files == plain.files
    assert {"RB301", "RB305"} <= {f.code for f in plain.findings}
