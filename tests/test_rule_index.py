"""The generated rule index (`rb_lint/rules/index.json`, written by `python -m rb_lint.rules`) says
what the rules themselves say: a run starts from it and imports a family only when one of its rules
runs (start-up, issue 17)."""

from __future__ import annotations

import json
import subprocess
import sys

from rb_lint.core.rule import Rule
from rb_lint.rules import (
    ALL_RULES,
    BY_CODE,
    BY_NAME,
    FAMILIES,
    FAMILY_PACKAGES,
    INDEX,
    IndexedRule,
    build_index,
    find_rule,
    index,
    indexed_rules,
)
from rb_lint.rules.__main__ import render_index

TIMEOUT = 120


def test_the_index_file_is_what_the_rules_say():
    """Fails when a rule was added or its metadata changed: run `python -m rb_lint.rules`."""
    assert INDEX.read_text(encoding="utf-8") == render_index()
    assert list(index()) == build_index()


def test_the_stand_ins_are_the_real_rules():
    stand_ins = indexed_rules()
    assert [r.code for r in stand_ins] == [r.code for r in ALL_RULES]
    for stand_in, real in zip(stand_ins, ALL_RULES, strict=True):
        assert isinstance(stand_in, IndexedRule) and isinstance(stand_in, Rule)
        fields = ("code", "name", "severity", "summary", "kinds", "scope")
        assert [getattr(stand_in, f) for f in fields] == [getattr(real, f) for f in fields]
        assert real in FAMILIES[stand_in.family]  # the index names the rule's family
        assert stand_in.real is real  # kept: looked up once
        assert stand_in.check is real.check and stand_in.needs is real.needs
        assert stand_in.doc == real.doc and stand_in.sections == real.sections


def test_the_registry_lists_every_family_in_order():
    assert list(FAMILIES) == list(FAMILY_PACKAGES)
    every = sorted((r for rules in FAMILIES.values() for r in rules), key=lambda r: r.code)
    assert every == ALL_RULES
    assert {r.code: r for r in ALL_RULES} == BY_CODE and {r.name: r for r in ALL_RULES} == BY_NAME
    assert find_rule("rb201") is BY_CODE["RB201"] and find_rule("Duplicate-Task-Name") is BY_CODE["RB201"]
    assert find_rule("RB999") is None and find_rule("no-such-rule") is None


def _imported(code: str) -> list[str]:
    probe = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=TIMEOUT)
    assert run.returncode == 0, run.stderr
    modules: list[str] = json.loads(run.stdout.splitlines()[-1])
    return modules


def _families(modules: list[str]) -> set[str]:
    return {family for family, package in FAMILY_PACKAGES.items() if package in modules}


def test_the_index_imports_no_family():
    assert _families(_imported("from rb_lint.rules import indexed_rules\nindexed_rules()")) == set()
    assert _families(_imported("import rb_lint.api")) == set()


def test_a_stand_in_imports_its_own_family_only():
    code = "from rb_lint.rules import indexed_rules\nrule = indexed_rules()[0]\nrule.check"
    assert _families(_imported(code)) == {json.loads(INDEX.read_text(encoding="utf-8"))[0]["family"]}
    code = "from rb_lint.rules import find_rule\nfind_rule('duplicate-task-name')"
    assert _families(_imported(code)) == {"names"}


def test_linting_an_items_list_leaves_the_datagym_family_out():
    code = (
        "from rb_lint import lint_documents\n"
        "lint_documents({'a.json': [{'name': 'p1', 'series': [{'items': 's3://b/p1/a.dcm'}]}]})"
    )
    families = _families(_imported(code))
    assert "datagym" not in families and "structure" in families and "names" in families
