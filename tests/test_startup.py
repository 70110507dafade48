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

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

TIMEOUT = 120  # seconds: a loaded machine; nothing here should take more than a few

# Imported by none of `import rb_lint.cli`, `rb-lint --version`, `rb-lint --help`.
HEAVY_PACKAGES = ("numpy", "pydantic", "pydantic_core", "concurrent.futures", "multiprocessing", "isal")
HEAVY_RB_LINT = ("rb_lint.models.", "rb_lint.api", "rb_lint.rules", "rb_lint.facts", "rb_lint.nifti")
LIGHT_MODELS = {"rb_lint.models.kind_names", "rb_lint.models.kinds"}  # plain constants, no pydantic


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
    assert "rb_lint.cli" in imported  # the probe works
    assert _heavy(imported) == []
    assert "click" not in imported and "rb_lint.cli.group" not in imported  # `main` loads on first use
    assert "rb_lint.reporters.text" not in imported  # not even one reporter
    imported = _imported_by("from rb_lint.cli import main")
    assert "click" in imported and "rb_lint.cli.group" in imported
    assert _heavy(imported) == []


def test_the_entry_point_prints_the_version_without_click():
    """`run` (the console script's entry) answers `--version` as the click group does, without
    importing click; any other command line goes to the group."""
    code = "import sys\nsys.argv = ['rb-lint', '--version']\nfrom rb_lint.cli import run\nrun()"
    imported = _imported_by(code)
    assert "rb_lint.cli" in imported and "click" not in imported
    assert _heavy(imported) == []
    fast = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT)
    clicked = subprocess.run(
        [sys.executable, "-c", _run_cli(["--version"])], capture_output=True, text=True, timeout=TIMEOUT
    )
    assert fast.returncode == clicked.returncode == 0, fast.stderr + clicked.stderr
    assert fast.stdout == clicked.stdout != ""
    helped = _imported_by("import sys\nsys.argv = ['rb-lint', '--help']\nfrom rb_lint.cli import run\nrun()")
    assert "click" in helped and "rb_lint.cli.group" in helped


@pytest.mark.parametrize(
    "args", [["--version"], ["--help"], ["check", "--help"], ["schema", "--help"], ["init", "--help"]]
)
def test_version_and_help_import_nothing_heavy(args):
    imported = _imported_by(_run_cli(args))
    assert _heavy(imported) == []
    assert "rb_lint.cli.group" in imported  # the click group itself
    commands = {m for m in imported if m.startswith("rb_lint.cli.")} - {"rb_lint.cli.group"}
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


def test_the_version_is_a_constant_that_reads_no_metadata():
    """`rb_lint.__version__` is the one place the version is written (pyproject.toml reads it from
    there): importing the package or printing `--version` reads no installed metadata (~20 ms)."""
    from importlib.metadata import version

    import rb_lint

    assert rb_lint.__version__ == version("rb-lint")
    assert "importlib.metadata" not in _imported_by("import rb_lint\nassert '__version__' in vars(rb_lint)")
    assert "importlib.metadata" not in _imported_by(_run_cli(["--version"]))


def test_pyproject_takes_the_version_from_the_package():
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "rb_lint.__version__"}


def test_the_keys_that_tell_kinds_apart_are_the_models_fields():
    """`rb_lint.models.kinds` writes the key sets out (kind detection must not build the models);
    they must stay what the models say."""
    from rb_lint.models.tasks import ConsensusTask, ExportTask, UploadTask
    from rb_lint.models.taxonomy import Taxonomy

    upload, export, consensus = (set(m.model_fields) for m in (UploadTask, ExportTask, ConsensusTask))
    assert (export | consensus) - upload == kinds.EXPORT_ONLY_KEYS
    optional = {"classification", "metaData", "priority", "preAssign"}
    assert optional < upload
    assert (upload - optional) | {"items"} | kinds.EXPORT_ONLY_KEYS == kinds.TASK_KEYS
    assert kinds.TAXONOMY_KEYS - {"categories"} <= set(Taxonomy.model_fields)
    assert not kinds.TAXONOMY_KEYS & (upload | export | consensus)  # no task has a taxonomy key


def test_reading_a_document_and_its_kind_imports_no_models():
    imported = _imported_by(
        "from rb_lint.io.loading import detect_kind, read_document\nimport rb_lint.formats.walk"
    )
    assert "rb_lint.io.loading" in imported
    assert _heavy(imported) == []


def test_checking_an_items_list_starts_no_mask_machinery(tmp_path: Path):
    """An items list without local masks needs neither numpy nor the process pool: they load when a
    mask is scanned."""
    (tmp_path / "items.json").write_text(
        json.dumps([{"name": "study-1", "series": [{"items": "s3://bucket/study-1/a.dcm"}]}]),
        encoding="utf-8",
    )
    imported = _imported_by(_run_cli(["check", str(tmp_path / "items.json")]))
    assert "rb_lint.rules" in imported  # the probe saw the check run
    mask_machinery = ("numpy", "nibabel", "isal", "multiprocessing", "concurrent.futures.process")
    assert [m for m in imported if m.split(".")[0] in mask_machinery or m in mask_machinery] == []


def test_the_startup_benchmark_stops_at_a_failing_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A crash is not a start-up time: benchmarks/bench_startup.py ends with the command's error
    instead of printing how fast it failed (exit 2 here; `check` may exit 1, with findings)."""
    import importlib.util

    path = Path(__file__).parents[1] / "benchmarks" / "bench_startup.py"
    spec = importlib.util.spec_from_file_location("bench_startup", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, bench)  # its dataclasses look their module up
    spec.loader.exec_module(bench)
    failing = [
        sys.executable,
        "-c",
        "import sys; print('rb-lint: error: bad config', file=sys.stderr); sys.exit(2)",
    ]
    step = bench.Step("rb-lint check small.json", failing, (0, 1))
    with pytest.raises(SystemExit, match=r"(?s)failed \(exit code 2, expected 0 or 1\).*bad config"):
        bench._run(step, step.command, tmp_path, {})
    findings = bench.Step("rb-lint check small.json", [sys.executable, "-c", "raise SystemExit(1)"], (0, 1))
    assert bench._run(findings, findings.command, tmp_path, {}).returncode == 1
    crash = bench.Step("rb-lint --version", [sys.executable, "-c", "raise SystemExit(1)"])
    with pytest.raises(SystemExit, match=r"`rb-lint --version` failed \(exit code 1, expected 0\)"):
        bench._run(crash, crash.command, tmp_path, {})


# A repository's usual config: a few keys and a table, beside the items list a hook checks.
TYPICAL_CONFIG = """\
extend-exclude = ["drafts/"]
fail-on = "warning"

[per-file-ignores]
"legacy/*.json" = ["RB103"]

[masks]
jobs = 2
"""
# Loaded only when a rule needs them on a document of their kind (a DICOM file, a mask, a
# DataGym polygon, a remote file), never for an items list of remote images.
NOT_FOR_AN_ITEMS_LIST = (
    "numpy",
    "pydicom",
    "shapely",
    "nibabel",
    "isal",
    "requests",
    "urllib3",
    "aiohttp",
    "fsspec",
    "boto3",
    "botocore",
    "dask",
    "distributed",
    "multiprocessing",
    "concurrent.futures",
    "asyncio",
    "ssl",
)
# Pydantic validators that no items list needs: each is built on first use (`defer_build`).
OTHER_KINDS_MODELS = {
    "rb_lint.models.tasks": ("ExportTask", "ConsensusTask", "ExportFields"),
    "rb_lint.models.taxonomy": ("Taxonomy", "ObjectType"),
    "rb_lint.models.datagym": ("LabelClasses", "LabelClass"),
}


def _small_items_list(folder: Path, config: str | None) -> Path:
    tasks = [{"name": f"study-{n}", "series": [{"items": f"s3://bucket/study-{n}/a.dcm"}]} for n in range(3)]
    (folder / "items.json").write_text(json.dumps(tasks), encoding="utf-8")
    if config is not None:
        (folder / CONFIG_NAME).write_text(config, encoding="utf-8")
    return folder / "items.json"


def _check_in_a_child(folder: Path, probe: str = "") -> tuple[list[str], str]:
    """`rb-lint check items.json` run in a fresh interpreter in `folder` (its config is found there):
    the modules it imported, and what `probe` printed after it."""
    code = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        "sys.argv = ['rb-lint', 'check', 'items.json']\n"
        "from rb_lint.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        "imported = sorted(set(sys.modules) - before)\n"
        f"{probe}\n"
        "sys.stderr.write('\\nMODULES ' + json.dumps(imported) + '\\n')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert run.returncode == 0, run.stderr
    assert "All checks passed" in run.stdout, run.stdout  # the check ran, on a clean list
    marker = [line for line in run.stderr.splitlines() if line.startswith("MODULES ")]
    assert marker, run.stderr
    modules: list[str] = json.loads(marker[-1][len("MODULES ") :])
    return modules, run.stdout


COMMENTS_ONLY = "# comments only, as `rb-lint init` may write\n"


@pytest.mark.parametrize("config", [TYPICAL_CONFIG, COMMENTS_ONLY, None])
def test_checking_a_small_items_list_imports_no_heavy_package(tmp_path: Path, config: str | None):
    """What a pre-commit hook runs on every commit: every rule is known (from the rule index), the
    families whose rules apply to an items list are imported, not the DataGym family, and no DICOM
    reader, geometry library, mask machinery, network client or process pool is loaded."""
    _small_items_list(tmp_path, config)
    imported, _ = _check_in_a_child(tmp_path)
    assert "rb_lint.rules" in imported and "rb_lint.rules.dicom" in imported  # the items-list families
    assert not [m for m in imported if m.startswith(("rb_lint.rules.datagym", "rb_lint.facts.datagym"))]
    assert "rb_lint.models.datagym" not in imported  # its models too: imported when validated
    heavy = [m for m in imported if any(m == p or m.startswith(p + ".") for p in NOT_FOR_AN_ITEMS_LIST)]
    assert heavy == []


# Loaded only when a run needs them: the mask scanner's batches and cache (a mask to scan), the
# storage clients (a remote object to ask for), the fix plans (a finding with a fix), the taxonomy
# models (a taxonomy to validate).
ONLY_WHEN_NEEDED = (
    "rb_lint.nifti.batch",
    "rb_lint.nifti.cache",
    "rb_lint.storage.access",
    "rb_lint.storage.settings",
    "rb_lint.io.edits",
    "rb_lint.core.fixes",
    "rb_lint.models.taxonomy",
)


@pytest.mark.parametrize("config", [TYPICAL_CONFIG, None])
def test_a_clean_items_list_of_remote_images_loads_no_scanning_storage_or_fix_machinery(
    tmp_path: Path, config: str | None
):
    _small_items_list(tmp_path, config)
    imported, _ = _check_in_a_child(tmp_path)
    assert "rb_lint.facts.mask_scans" in imported and "rb_lint.facts.remote" in imported  # the probe works
    assert [m for m in ONLY_WHEN_NEEDED if m in imported] == []


def test_the_machinery_loads_when_a_document_needs_it(tmp_path: Path):
    """The other side of the above: a local mask is scanned (by the batch scanner) and a finding
    with a fix carries its plan, in a fresh interpreter."""
    (tmp_path / "seg.nii.gz").write_bytes(b"not a nifti file")
    task = {"name": "study-1", "series": [{"items": "s3://bucket/a.dcm", "segmentations": "seg.nii.gz"}]}
    (tmp_path / "items.json").write_text("\ufeff" + json.dumps([task]), encoding="utf-8")
    code = _run_cli(["check", str(tmp_path / "items.json"), "--format", "json"])
    imported = _imported_by(code)
    assert {"rb_lint.nifti.batch", "rb_lint.io.edits"} <= set(imported)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT)
    found = {f["code"] for f in json.loads(run.stdout)["findings"]}
    assert {"RB004", "RB312"} <= found, run.stdout


@pytest.mark.parametrize("config", [TYPICAL_CONFIG, COMMENTS_ONLY, None])
def test_a_check_builds_only_the_validators_its_documents_need(tmp_path: Path, config: str | None):
    """The models of tasks.json exports, consensus tasks, taxonomies and DataGym exports are
    defined when a rule reads their fields, but their validators are built only when a document of
    their kind is validated. A valid items list and a valid config are checked by the stored
    validators (`core.stored_schemas`): no model is built, the items list's models are not even
    imported, and pydantic never looks for plugins."""
    _small_items_list(tmp_path, config)
    probe = (
        "import importlib\n"
        "untouched = not {'rb_lint.models.tasks', 'pydantic.plugin._loader'} & set(sys.modules)\n"
        f"models = {OTHER_KINDS_MODELS!r}\n"
        "built = [f'{m}.{n}' for m, names in models.items() for n in names\n"
        "         if getattr(importlib.import_module(m), n).__pydantic_complete__]\n"
        "from rb_lint.core.config import Config\n"
        "from rb_lint.models.schemas import SCHEMAS\n"
        "from rb_lint.models.tasks import UploadTask\n"
        "items = 'element_check' in vars(SCHEMAS['items-list'])\n"
        "complete = [UploadTask.__pydantic_complete__, Config.__pydantic_complete__]\n"
        "print('BUILT', json.dumps([untouched, built, items, *complete]))\n"
    )
    _, out = _check_in_a_child(tmp_path, probe)
    line = next(line for line in out.splitlines() if line.startswith("BUILT "))
    untouched, built, items_validator, items_models, config_models = json.loads(line[len("BUILT ") :])
    assert items_validator  # the probe works: the items list was validated
    assert untouched
    assert built == []
    assert not items_models
    assert not config_models


def test_the_default_config_is_the_validated_default():
    """Without a config file (or with an empty one) the defaults are constructed, not validated:
    they must be exactly what validating an empty table gives, and share no mutable default."""
    from rb_lint.core.config import Config, default_config, load_config, parse_config

    validated = Config.model_validate({})
    assert default_config() == validated == parse_config({}) == Config()
    assert default_config().model_dump() == validated.model_dump()
    assert default_config().model_fields_set == set() == validated.model_fields_set
    first, second = default_config(), default_config()
    first.ignore.append("RB101")
    first.storage.by_id["x"] = "s3://bucket"
    assert second.ignore == [] and second.storage.by_id == {}
    assert load_config(None).config == validated
