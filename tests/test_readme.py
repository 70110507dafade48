"""The README runs as written: the Python API example, the install lines and the pre-commit snippet
(which tests/test_precommit.py runs with the real pre-commit)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import rb_lint
from rb_lint.starter import REPOSITORY, REV, precommit_snippet

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

README = Path(__file__).resolve().parent.parent / "README.md"


def test_python_api_example_runs(tmp_path, monkeypatch):
    block = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert block is not None
    (tmp_path / "data").mkdir()
    (tmp_path / "taxonomy.json").write_text('{"name": "t", "objectTypes": []}')
    monkeypatch.chdir(tmp_path)
    exec(compile(block.group(1), "README.md", "exec"), {})  # asserts inside the example must hold


# --- installing as the README says ------------------------------------------------------------


def _pyproject() -> dict[str, Any]:
    with (README.parent / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


def _requirements(text: str) -> list[str]:
    return re.findall(r'pip install "(rb-lint @ git\+[^"]+)"', text)


def test_install_lines_name_the_repository_and_the_release_tag():
    project = _pyproject()["project"]
    url, tag = project["urls"]["Homepage"], f"v{rb_lint.__version__}"
    workflow = (README.parent / "hooks" / "github-actions-rb-lint.yml").read_text(encoding="utf-8")
    readme = README.read_text(encoding="utf-8")
    assert _requirements(readme) == _requirements(workflow) == [f"rb-lint @ git+{url}@{tag}"]
    assert "pip install rb-lint\n" not in workflow  # rb-lint is not on PyPI
    assert (url, tag) == (REPOSITORY, REV)
    assert f"  - repo: {url}\n    rev: {tag}\n" in readme


def test_readme_pre_commit_snippet_is_what_init_prints():
    readme = README.read_text(encoding="utf-8")
    integrations = readme.split("<!-- section: integrations -->", 1)[1]
    [snippet] = re.findall(r"```yaml\n(.*?)```", integrations.split("<!-- /section", 1)[0], flags=re.S)
    assert snippet == precommit_snippet()


@pytest.mark.slow
def test_the_readme_install_line_installs_from_a_tag(tmp_path):
    """The requirement as written, with the repository URL replaced by a local clone tagged the same."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PIP_"))}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@e", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@e")
    source = tmp_path / "rb-lint"
    shutil.copytree(
        README.parent,
        source,
        ignore=shutil.ignore_patterns(
            ".git", "__pycache__", "*.egg-info", ".*cache*", "tests", "docs", "build"
        ),
    )
    [requirement] = _requirements(README.read_text(encoding="utf-8"))
    parts = re.fullmatch(r"rb-lint @ git\+(.+)@(v[^@]+)", requirement)
    assert parts is not None
    url, tag = parts.groups()
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "release"], ["tag", tag]):
        subprocess.run(["git", *args], cwd=source, env=env, check=True, capture_output=True, timeout=120)
    local = requirement.replace(url, f"file://localhost{source.as_posix()}")  # older pip: a host is needed
    target = tmp_path / "site"
    command = [sys.executable, "-m", "pip", "install", "-q", "--no-deps"]  # the build backend: from PyPI
    result = subprocess.run(
        [*command, "--target", str(target), local], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (target / "rb_lint" / "cli" / "init.py").is_file()
    assert list(target.glob("rb_lint-*.dist-info"))
