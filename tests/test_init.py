"""`rb-lint init`: a starter rb-lint.toml from what the folder holds, and the pre-commit set-up."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import DATA, write

from rb_lint.core.config import load_config
from rb_lint.starter import precommit_snippet, starter_config, survey

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MASK = DATA / "corpus" / "monai_anatomical_label.nii.gz"
TAXONOMY = {"name": "t", "objectTypes": [{"category": "Liver", "classId": 0, "labelType": "SEGMENTATION"}]}


def items(category: str = "Liver") -> list[dict[str, Any]]:
    series = {"items": "s3://b/ct.nii", "segmentations": "../masks/m1.nii.gz", "segmentMap": {"1": category}}
    return [{"name": "p1", "series": [series]}]


def rb_lint(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "rb_lint", *args]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A data repository as teams keep them, with the JSON an editor and a web tool leave around."""
    write(tmp_path / "taxonomy" / "project.json", TAXONOMY)
    write(tmp_path / "items" / "batch1.json", items("Livr"))
    write(tmp_path / "items" / "broken.json", "{not json")  # may be data: never excluded
    write(tmp_path / "export" / "tasks.json", [{**items()[0], "taskId": "t1"}])
    (tmp_path / "masks").mkdir()
    shutil.copy(MASK, tmp_path / "masks" / "m1.nii.gz")
    write(tmp_path / ".vscode" / "settings.json", {"editor.tabSize": 2})
    write(tmp_path / "package.json", {"name": "viewer", "version": "1.0.0"})
    write(tmp_path / "web" / "config" / "app.json", {"port": 8080})
    write(tmp_path / "web" / "items.json", items())  # a RedBrick file keeps its folder
    write(tmp_path / "web" / "tsconfig.json", {"compilerOptions": {}})
    write(tmp_path / "node_modules" / "x" / "package.json", {"name": "x"})  # excluded by default
    return tmp_path


def test_init_writes_the_taxonomy_data_folders_and_excludes(data: Path) -> None:
    result = rb_lint(data, "init")
    assert result.returncode == 0, result.stderr
    text = (data / "rb-lint.toml").read_text()
    config = tomllib.loads(text)
    assert config == {
        "taxonomy": "taxonomy/project.json",
        "extend-exclude": ["/.vscode/", "/package.json", "/web/config/", "/web/tsconfig.json"],
    }
    for line in ("#   items/: 1 items list", "#   masks/: 1 mask", "#   export/: 1 tasks.json export"):
        assert line in text
    assert result.stdout.startswith("Wrote rb-lint.toml: taxonomy `taxonomy/project.json`;")
    assert precommit_snippet() in result.stdout and "Next steps:" in result.stdout
    assert "pre-commit install" in result.stdout


def test_the_written_config_checks_categories_and_silences_foreign_json(data: Path) -> None:
    assert rb_lint(data, "init").returncode == 0
    (data / "items" / "broken.json").unlink()
    result = rb_lint(data, "check", "--no-cache", "items/batch1.json")  # the taxonomy is not named
    assert result.returncode == 1
    assert "RB402" in result.stdout and "did you mean `Liver`?" in result.stdout
    whole = rb_lint(data, "check", "--no-cache")
    assert "RB007" not in whole.stdout and "RB400" not in whole.stdout, whole.stdout


def test_init_refuses_to_overwrite_a_config_unless_forced(data: Path) -> None:
    write(data / "rb-lint.toml", 'fail-on = "warning"\n')
    refused = rb_lint(data, "init")
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr == (
        "rb-lint: error: rb-lint.toml already exists: edit it, or replace it with `rb-lint init --force`\n"
    )
    assert (data / "rb-lint.toml").read_text() == 'fail-on = "warning"\n'
    forced = rb_lint(data, "init", "--force")
    assert forced.returncode == 0, forced.stderr
    assert 'taxonomy = "taxonomy/project.json"' in (data / "rb-lint.toml").read_text()


@pytest.mark.parametrize("count", [0, 2])
def test_no_taxonomy_or_several_are_left_to_the_user(tmp_path: Path, count: int) -> None:
    write(tmp_path / "items.json", items())
    for n in range(count):
        write(tmp_path / f"t{n}.json", TAXONOMY)
    found = survey(tmp_path)
    text = starter_config(found)
    assert "taxonomy" not in tomllib.loads(text)  # never guessed
    if count:
        assert '# taxonomy = "t0.json"\n# taxonomy = "t1.json"\n' in text
    else:
        assert '# taxonomy = "taxonomy.json"' in text
    result = rb_lint(tmp_path, "init")
    assert result.returncode == 0 and "taxonom" in result.stdout.splitlines()[0]


def test_an_empty_folder_gets_a_config_that_loads(tmp_path: Path) -> None:
    result = rb_lint(tmp_path, "init")
    assert result.returncode == 0, result.stderr
    loaded = load_config(tmp_path / "rb-lint.toml")
    assert loaded.config.taxonomy is None and loaded.config.extend_exclude == []


def test_odd_file_names_are_written_as_exact_patterns(tmp_path: Path) -> None:
    write(tmp_path / "items.json", items())
    write(tmp_path / 'we"ird [1]*.json', {"a": 1})
    found = survey(tmp_path)
    loaded = tomllib.loads(starter_config(found))
    [pattern] = loaded["extend-exclude"]
    write(tmp_path / "rb-lint.toml", starter_config(found))
    result = rb_lint(tmp_path, "check", "--no-cache")
    assert "RB007" not in result.stdout, (pattern, result.stdout)
