"""The package's shape: layers import downwards only, every module imports alone, one small file per rule,
and the engine isolates a failing rule and never guesses a position."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import rb_lint
from rb_lint import lint_documents
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import Rule, rule
from rb_lint.rules import ALL_RULES, BY_CODE, FAMILIES

PACKAGE = Path(rb_lint.__file__).resolve().parent

# Lowest first. A module may import its own package and the packages below it, never one above.
LAYERS = [
    "rb_lint.core",
    "rb_lint.models",
    "rb_lint.io",
    "rb_lint.nifti",
    "rb_lint.storage",
    "rb_lint.formats",
    "rb_lint.facts",
    "rb_lint.rules",
    "rb_lint.reporters",
    "rb_lint.api rb_lint.docs rb_lint.starter",
    "rb_lint.service rb_lint.lsp",
    "rb_lint.cli rb_lint.__main__",
]


def _layer(module: str) -> int:
    for number, names in enumerate(LAYERS):
        if any(module == name or module.startswith(name + ".") for name in names.split()):
            return number
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS and to the README")


def _modules() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def _imports(module: str) -> Iterator[str]:
    """Every rb_lint module a module imports, at the top, in functions or under TYPE_CHECKING."""
    path = PACKAGE.parent / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = PACKAGE.parent / module.replace(".", "/") / "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rb_lint"):
            for alias in node.names:  # `from rb_lint.rules import walk` imports a module
                yield f"{node.module}.{alias.name}" if node.module != "rb_lint" else node.module
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("rb_lint"))


MODULES = _modules()


@pytest.mark.parametrize("module", [m for m in MODULES if m != "rb_lint"])
def test_layers_import_downwards_only(module):
    own = _layer(module)
    for imported in _imports(module):
        if imported == "rb_lint":
            continue  # the package root: `__version__`, and public names that load lazily
        target = imported if imported in MODULES else imported.rsplit(".", 1)[0]
        assert _layer(target) <= own, f"{module} (layer {own}) imports {imported} (layer {_layer(target)})"


def test_every_module_imports_alone_in_a_fresh_interpreter():
    def import_alone(module: str) -> tuple[str, str]:
        run = subprocess.run(
            [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=120
        )
        return module, run.stderr.strip().splitlines()[-1] if run.returncode else ""

    with ThreadPoolExecutor(max_workers=4) as pool:
        modules = [m for m in MODULES if m != "rb_lint.__main__"]  # a script: importing it runs the CLI
        failures = [f"{m}: {e}" for m, e in pool.map(import_alone, modules) if e]
    assert failures == []


def test_one_small_file_per_rule():
    rule_files = [p for p in (PACKAGE / "rules").rglob("*.py") if p.name != "__init__.py"]
    too_long = [
        f"{p.relative_to(PACKAGE)}: {n}"
        for p in rule_files
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 120
    ]
    assert too_long == []
    modules = {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts) for p in rule_files}
    for registered in ALL_RULES:
        module = registered.check.__module__
        assert module in modules, f"{registered.code} is defined in {module}, not in a file of its own"
        assert module.rsplit(".", 1)[1] == registered.name.replace("-", "_")
    assert len({r.check.__module__ for r in ALL_RULES}) == len(ALL_RULES)


def test_family_packages_only_list_their_rules():
    for family in FAMILIES:
        init = PACKAGE / "rules" / family.replace("-", "_") / "__init__.py"
        tree = ast.parse(init.read_text(encoding="utf-8"))
        kinds = {type(node).__name__ for node in tree.body}
        assert kinds <= {"Expr", "ImportFrom", "Assign"}, f"{init}: only imports and RULES"


# -- the engine ------------------------------------------------------------------------------------

DOC = {"a.json": [{"name": "p1", "series": [{"items": "ct.nii"}]}, {"name": "p1", "series": [{"items": 3}]}]}


def _replace(monkeypatch: pytest.MonkeyPatch, replacement: Rule) -> None:
    import rb_lint.api

    rules = [replacement if r.code == replacement.code else r for r in ALL_RULES]
    monkeypatch.setattr(rb_lint.api, "ALL_RULES", rules)


def test_a_crashing_rule_is_its_own_internal_error_and_the_others_still_report(monkeypatch):
    @rule("RB202", "duplicate-series-name", Severity.ERROR, "crashes", kinds=BY_CODE["RB202"].kinds)
    def crashing(doc, ctx):
        raise ZeroDivisionError("boom")
        yield  # pragma: no cover

    _replace(monkeypatch, crashing)
    report = lint_documents(DOC)
    assert len(report.errors) == 1 and "RB202" in report.errors[0] and "boom" in report.errors[0]
    assert {f.code for f in report.findings} >= {"RB102", "RB201"}
    assert report.exit_code(Severity.ERROR) == 2


def test_a_pointer_that_cannot_be_located_is_an_internal_error_not_line_one(monkeypatch):
    @rule("RB202", "duplicate-series-name", Severity.ERROR, "lost", kinds=BY_CODE["RB202"].kinds)
    def lost(doc, ctx):
        yield Hit("somewhere", "/0/series/7/name")

    _replace(monkeypatch, lost)
    report = lint_documents(DOC)
    assert [f.code for f in report.findings if f.code == "RB202"] == []
    assert any("/0/series/7/name" in e and "RB202" in e for e in report.errors)


def test_selecting_a_rule_runs_only_that_rule(monkeypatch):
    calls = []
    original = BY_CODE["RB202"]

    @rule("RB202", "duplicate-series-name", Severity.ERROR, "counted", kinds=original.kinds)
    def counted(doc, ctx):
        calls.append(doc)
        yield from original.check(doc, ctx)

    _replace(monkeypatch, counted)
    lint_documents(DOC, select=["RB201"])
    assert calls == []
    lint_documents(DOC, select=["RB202"])
    assert len(calls) == 1
