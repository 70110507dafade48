"""Start-up (issue 17): a pre-commit hook pays rb-lint's start-up on every commit, so importing the
command line, `--version` and `--help` load nothing heavy (numpy, pydantic and the models, the
process pool, the rules, the API); each command imports what it needs when it runs. Every check
runs in a fresh interpreter (a subprocess): this test session has imported everything already."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from rb_lint.cli import COMMANDS, main
from rb_lint.cli.init import init
from rb_lint.models import kind_names, kinds
from rb_lint.models.schemas import SCHEMAS
from rb_lint.reporters import FORMATS, REPORTERS, reporter
from rb_lint.starter import CONFIG_NAME

TIMEOUT = 120  # seconds: a loaded machine; nothing here should take more than a few

# Imported by none of `import rb_lint.cli`, `rb-lint --version`, `rb-lint --help`.
HEAVY_PACKAGES = ("numpy", "pydantic", "pydantic_core", "concurrent.futures", "multiprocessing", "isal")
HEAVY_RB_LINT = ("rb_lint.models.", "rb_lint.api", "rb_lint.rules", "rb_lint.facts", "rb_lint.nifti")
LIGHT_MODELS = {"rb_lint.models.kind_names"}  # plain strings, no pydantic


def _heavy(modules: list[str]) -> list[str]:
    def heavy(name: str) -> bool:
        if name in LIGHT_MODELS:
            return False
        if any(name == p or name.startswith(p + ".") for p in HEAVY_PACKAGES):
            return True
        return any(name.startswith(p) for p in HEAVY_RB_LINT) or name == "rb_lint.core.config"

    return [name for name in modules if heavy(name)]


def _imported_by(code: str) -> list[str]:
    """The modules `code` imports in a fresh interpreter (beyond what start-up itself imports)."""
    probe = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        "try:\n" + "".join(f"    {line}\n" for line in code.splitlines()) + "except SystemExit:\n"
        "    pass\n"
        "sys.stdout.flush()\n"
        "sys.stderr.write('\\nMODULES ' + json.dumps(sorted(set(sys.modules) - before)) + '\\n')\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=TIMEOUT)
    assert run.returncode == 0, run.stderr
    marker = [line for line in run.stderr.splitlines() if line.startswith("MODULES ")]
    assert marker, run.stderr
    modules: list[str] = json.loads(marker[-1][len("MODULES ") :])
    return modules


def _run_cli(args: list[str]) -> str:
    return (
        "import sys\n"
        f"sys.argv = ['rb-lint', *{args!r}]\n"
        "from rb_lint.cli import main\n"
        "main()"  # click exits (SystemExit) after --version / --help
    )


def test_importing_the_command_line_imports_nothing_heavy():
    imported = _imported_by("import rb_lint.cli")
    assert "rb_lint.cli" in imported and "click" in imported  # the probe works
    assert _heavy(imported) == []
    assert "rb_lint.reporters.text" not in imported  # not even one reporter


@pytest.mark.parametrize(
    "args", [["--version"], ["--help"], ["check", "--help"], ["schema", "--help"], ["init", "--help"]]
)
def test_version_and_help_import_nothing_heavy(args):
    imported = _imported_by(_run_cli(args))
    assert _heavy(imported) == []
    commands = {m for m in imported if m.startswith("rb_lint.cli.")}
    if args == ["--version"]:  # no command is looked up: none is imported
        assert commands == set()
    elif args == ["--help"]:  # the list of commands shows each one's summary
        modules = {f"rb_lint.cli.{module}" for module, _ in COMMANDS.values()}
        assert commands == modules | {"rb_lint.cli.common"}
    else:
        assert commands == {f"rb_lint.cli.{COMMANDS[args[0]][0]}", "rb_lint.cli.common"}


def test_every_command_is_found_by_its_name():
    with click.Context(main) as ctx:
        assert main.list_commands(ctx) == sorted(COMMANDS)
        for name in COMMANDS:
            command = main.get_command(ctx, name)
            assert command is not None and command.name == name
        assert main.get_command(ctx, "chek") is None


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_the_real_process_imports_nothing_heavy(args):
    """`python -m rb_lint` as a hook runs it, with -X importtime listing every module it imports."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "rb_lint", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert run.returncode == 0, run.stderr
    imported = [line.rsplit("|", 1)[1].strip() for line in run.stderr.splitlines() if line.count("|") == 2]
    assert "rb_lint.cli" in imported
    assert _heavy(imported) == []


def test_version_still_names_the_package_version_and_the_sdk_format():
    from importlib.metadata import version

    run = subprocess.run(
        [sys.executable, "-m", "rb_lint", "--version"], capture_output=True, text=True, timeout=TIMEOUT
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"rb-lint, version {version('rb-lint')} (RedBrick format of redbrick-sdk 2.35.4)\n"


def test_a_check_imports_only_the_reporter_it_uses(tmp_path: Path):
    (tmp_path / "items.json").write_text(
        json.dumps([{"name": "study-1", "items": ["s3://bucket/study-1/a.dcm"]}]), encoding="utf-8"
    )
    code = _run_cli(["check", str(tmp_path / "items.json"), "--format", "json"])
    imported = _imported_by(code)
    assert "rb_lint.api" in imported and "rb_lint.reporters.json_format" in imported
    assert "rb_lint.cli.rules" not in imported and "rb_lint.cli.init" not in imported
    assert not {"rb_lint.reporters.sarif", "rb_lint.reporters.junit", "rb_lint.reporters.grouped"} & set(
        imported
    )


def test_the_kind_names_are_defined_once_and_match_the_models():
    for name in ("ITEMS_LIST", "TASKS_EXPORT", "TAXONOMY", "DATAGYM", "UNKNOWN", "KINDS", "TASK_KINDS"):
        assert getattr(kinds, name) is getattr(kind_names, name)
    assert kinds.KIND_ALIASES is kind_names.KIND_ALIASES
    assert sorted(SCHEMAS) == sorted(kind_names.KINDS)  # one JSON Schema (from the models) per kind
    assert all(SCHEMAS[kind].kind == kind for kind in kind_names.KINDS)
    assert set(kind_names.TASK_KINDS) <= set(kind_names.KINDS)
    assert set(kind_names.KIND_ALIASES.values()) <= set(kind_names.KINDS)
    assert kind_names.UNKNOWN not in kind_names.KINDS


def test_the_static_format_names_are_the_reporters():
    assert tuple(REPORTERS) == FORMATS
    assert all(reporter(name) is REPORTERS[name] for name in FORMATS)
    imported = _imported_by("import rb_lint.reporters")
    assert [m for m in imported if m.startswith("rb_lint.reporters.")] == []
    assert _heavy(imported) == []


def test_the_init_help_names_the_config_file_it_writes():
    force = next(p for p in init.params if p.name == "force")
    assert isinstance(force, click.Option) and CONFIG_NAME in (force.help or "")


def test_the_version_is_read_lazily_and_once():
    code = (
        "import sys\n"
        "import rb_lint\n"
        "assert 'version' not in vars(rb_lint) and '__version__' not in vars(rb_lint)\n"
        "first = rb_lint.__version__\n"
        "assert vars(rb_lint)['__version__'] == first\n"
        "from rb_lint import __version__\n"
        "assert __version__ == first and first != '0.0.0+unknown'\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT)
    assert run.returncode == 0, run.stderr
