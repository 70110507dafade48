"""Config errors name the nearest known key or rule code, and the `[tool.rb-lint]` paste mistake."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rb_lint.api import lint
from rb_lint.core.config import ConfigError, load_config


def config_error(tmp_path: Path, text: str, name: str = "rb-lint.toml") -> str:
    (tmp_path / name).write_text(text)
    (tmp_path / "a.json").write_text("[]")
    with pytest.raises(ConfigError) as caught:
        lint([tmp_path / "a.json"], config=tmp_path / name)
    return str(caught.value)


@pytest.mark.parametrize(
    ("text", "key", "suggestion"),
    [
        ('selct = ["RB"]\n', "selct", "select"),
        ('extend-exclud = ["x"]\n', "extend-exclud", "extend-exclude"),
        ('fail-onn = "error"\n', "fail-onn", "fail-on"),
        ('[masks]\ncache-dirr = "c"\n', "masks.cache-dirr", "cache-dir"),
        ("[consensus]\nscal = 1\n", "consensus.scal", "scale"),
    ],
)
def test_unknown_key_suggests_the_nearest_known_key(
    tmp_path: Path, text: str, key: str, suggestion: str
) -> None:
    message = config_error(tmp_path, text)
    assert f"unknown configuration key `{key}` (did you mean `{suggestion}`?)" in message


def test_unknown_key_without_a_near_one_has_no_suggestion(tmp_path: Path) -> None:
    message = config_error(tmp_path, 'zzzzzz = "x"\n')
    assert message.endswith("unknown configuration key `zzzzzz`")


def test_pyproject_keys_are_suggested_too(tmp_path: Path) -> None:
    message = config_error(tmp_path, '[tool.rb-lint]\nignor = ["RB204"]\n', name="pyproject.toml")
    assert "unknown configuration key `ignor` (did you mean `ignore`?)" in message


def test_tool_table_pasted_into_rb_lint_toml_gets_a_hint(tmp_path: Path) -> None:
    message = config_error(tmp_path, '[tool.rb-lint]\nselect = ["RB"]\n')
    assert "in rb-lint.toml, write the keys at top level, without [tool.rb-lint]" in message


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('select = ["RB3O5"]\n', "select"),
        ('ignore = ["RB3O5"]\n', "ignore"),
        ('[per-file-ignores]\n"*.json" = ["RB3O5"]\n', "per-file-ignores `*.json`"),
    ],
)
def test_unknown_rule_code_suggests_the_nearest_code(tmp_path: Path, text: str, where: str) -> None:
    message = config_error(tmp_path, text)
    assert f"{where}: unknown rule code or prefix `RB3O5` (did you mean `RB305`?)" in message


def test_a_mistyped_code_suggests_a_close_one(tmp_path: Path) -> None:
    message = config_error(tmp_path, 'ignore = ["RB2011"]\n')
    assert "unknown rule code or prefix `RB2011` (did you mean `RB201`?)" in message


def test_cli_prints_the_suggestion_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "rb-lint.toml").write_text('[masks]\ncache-dirr = "c"\n')
    (tmp_path / "a.json").write_text("[]")
    done = subprocess.run(
        [sys.executable, "-m", "rb_lint", "check", "a.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "(did you mean `cache-dir`?)" in done.stderr


def test_valid_config_still_loads(tmp_path: Path) -> None:
    (tmp_path / "rb-lint.toml").write_text('select = ["RB3"]\n[masks]\ncache-dir = "c"\n')
    loaded = load_config(None, tmp_path)
    assert loaded.config.masks.cache_dir == "c" and loaded.root == tmp_path.resolve()


def test_an_unknown_code_in_severity_names_the_nearest(tmp_path: Path) -> None:
    from rb_lint import lint

    (tmp_path / "items.json").write_text("[]")
    with pytest.raises(ConfigError, match=r"severity: unknown rule code `RB3O5` \(did you mean `RB305`\?\)"):
        lint([tmp_path / "items.json"], config={"severity": {"RB3O5": "error"}})
