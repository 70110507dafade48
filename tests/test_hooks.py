"""hooks/: the plain git pre-commit script, run by real git commits, and the CI workflow example."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import DATA, write

ROOT = Path(__file__).resolve().parents[1]
HOOK = ROOT / "hooks" / "pre-commit"
MASK = DATA / "corpus" / "monai_anatomical_label.nii.gz"
OTHER_MASK = DATA / "corpus" / "standard.nii.gz"


def labelled(name: str, mask: str = "masks/m1.nii.gz") -> dict[str, Any]:
    return {
        "name": name,
        "series": [
            {"items": "s3://bucket/anatomical.nii", "segmentations": mask, "segmentMap": {"1": "Liver"}}
        ],
    }


def git_env(**extra: str) -> dict[str, str]:
    """The test process's environment without git's variables (tests may run inside a hook) or
    the user's git config (a global `core.hooksPath` would bypass the hook under test)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.com",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.com",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        **extra,
    )
    return env


class Repo:
    def __init__(self, path: Path, env: dict[str, str]) -> None:
        self.path, self.env = path, env

    def git(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", *args], cwd=self.path, env=self.env, capture_output=True, text=True, timeout=120
        )

    def commit(self, *paths: str, verify: bool = True) -> subprocess.CompletedProcess[str]:
        assert self.git("add", "--", *paths).returncode == 0
        return self.git("commit", "-q", "-m", "change", *([] if verify else ["--no-verify"]))

    @staticmethod
    def output(result: subprocess.CompletedProcess[str]) -> str:
        return result.stdout + result.stderr  # git shows hook output on stderr

    def commits(self) -> int:
        result = self.git("rev-list", "--count", "HEAD")
        return int(result.stdout) if result.returncode == 0 else 0


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """A data repository with the plain hook copied into .git/hooks, as its install line says."""
    env = git_env(RB_LINT=f"{sys.executable} -m rb_lint")
    env.pop("GITHUB_ACTIONS", None)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, env=env)
    shutil.copy(HOOK, tmp_path / ".git" / "hooks" / "pre-commit")
    (tmp_path / ".git" / "hooks" / "pre-commit").chmod(0o755)
    (tmp_path / "masks").mkdir()
    shutil.copy(MASK, tmp_path / "masks" / "m1.nii.gz")
    return Repo(tmp_path, env)


def test_duplicate_task_name_blocks_the_commit_and_the_fix_goes_through(repo: Repo) -> None:
    write(repo.path / "items.json", [labelled("p1"), labelled("p1")])
    blocked = repo.commit("items.json", "masks/m1.nii.gz")
    assert blocked.returncode == 1
    assert "items.json:" in repo.output(blocked) and "RB201" in repo.output(blocked)
    assert "task name `p1` is already used" in repo.output(blocked)
    assert repo.commits() == 0

    write(repo.path / "items.json", [labelled("p1"), labelled("p2")])
    passed = repo.commit("items.json")
    assert passed.returncode == 0, repo.output(passed)
    assert repo.commits() == 1


def test_only_staged_files_are_linted(repo: Repo) -> None:
    write(repo.path / "draft.json", [labelled("p1"), labelled("p1")])  # not staged
    write(repo.path / "items.json", [labelled("p1")])
    result = repo.commit("items.json")
    assert result.returncode == 0, repo.output(result)
    assert "draft.json" not in repo.output(result)


def test_a_commit_that_changes_only_a_mask_rechecks_the_items_list(repo: Repo) -> None:
    write(repo.path / "items.json", [labelled("p1"), labelled("p1")])
    assert repo.commit("items.json", "masks/m1.nii.gz", verify=False).returncode == 0
    shutil.copy(OTHER_MASK, repo.path / "masks" / "m1.nii.gz")
    blocked = repo.commit("masks/m1.nii.gz")
    assert blocked.returncode == 1
    assert "items.json:" in repo.output(blocked) and "RB201" in repo.output(blocked)
    assert repo.commits() == 1


def test_config_excludes_apply_to_staged_files(repo: Repo) -> None:
    write(repo.path / "rb-lint.toml", 'extend-exclude = ["legacy"]\n')
    write(repo.path / "legacy" / "old.json", [labelled("p1"), labelled("p1")])
    result = repo.commit("rb-lint.toml", "legacy/old.json")
    assert result.returncode == 0, repo.output(result)


def test_commits_without_data_files_do_not_need_rb_lint(repo: Repo) -> None:
    repo.env["RB_LINT"] = "rb-lint-that-is-not-installed"
    write(repo.path / "README.md", "data\n")
    assert repo.commit("README.md").returncode == 0
    write(repo.path / "items.json", [labelled("p1")])
    missing = repo.commit("items.json")
    assert missing.returncode == 1
    assert "`rb-lint-that-is-not-installed` not found" in missing.stderr


def test_hooks_path_install_runs_the_script_from_the_checkout(repo: Repo) -> None:
    (repo.path / ".git" / "hooks" / "pre-commit").unlink()
    assert repo.git("config", "core.hooksPath", str(ROOT / "hooks")).returncode == 0
    write(repo.path / "items.json", [labelled("p1"), labelled("p1")])
    blocked = repo.commit("items.json")
    assert blocked.returncode == 1 and "RB201" in repo.output(blocked)


def test_github_actions_example_uploads_the_sarif_it_writes() -> None:
    workflow = yaml.safe_load((ROOT / "hooks" / "github-actions-rb-lint.yml").read_text())
    assert workflow["permissions"]["security-events"] == "write"
    steps = workflow["jobs"]["rb-lint"]["steps"]
    runs = [s.get("run", "") for s in steps]
    [sarif_step] = [r for r in runs if "--format sarif" in r]
    output = sarif_step.split("--output ")[1].split()[0]
    [upload] = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert upload["with"]["sarif_file"] == output
    assert runs[-1].strip() == "rb-lint check"  # the gate: fails the job on findings
    assert "--exit-zero" in sarif_step  # the SARIF step reports, the gate decides
