"""Every rule is documented as ruff documents its rules, and the README's table matches the registry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rb_lint.core.rule import DOC_SECTIONS
from rb_lint.docs import RULE_PAGES, rule_pages, with_table
from rb_lint.rules import ALL_RULES, BY_CODE

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.code for r in ALL_RULES])
def test_rule_metadata_and_documentation(rule):
    assert re.fullmatch(r"RB\d{3}", rule.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    assert rule.summary and len(rule.summary) <= 120
    assert "Failing" in rule.doc and "Fixed" in rule.doc, f"{rule.code}: add a failing and a fixed example"
    assert len(rule.doc) > 150, f"{rule.code}: say what the rule checks and why it matters"


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.code for r in ALL_RULES])
def test_rule_documentation_has_what_why_failing_and_fixed(rule):
    headings = re.findall(r"^(What|Why|Failing|Fixed):", rule.doc, flags=re.M)
    assert headings == list(DOC_SECTIONS), (
        f"{rule.code}: write `What:`, `Why:`, `Failing:`, `Fixed:` in order"
    )
    for name, text in rule.sections.items():
        assert text.strip(), f"{rule.code}: the `{name}:` section is empty"
    assert len(rule.sections["Why"]) >= 40, f"{rule.code}: say why it matters"


def test_rule_pages_are_generated_from_the_registry():
    pages = README.parent / RULE_PAGES
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in pages.glob("*.md")}
    assert on_disk == rule_pages(), "docs/rules drifted: run `python -m rb_lint.docs`"


def test_rule_command_prints_the_documentation():
    from click.testing import CliRunner

    from rb_lint.cli import main

    result = CliRunner().invoke(main, ["rule", "RB201"])
    assert result.exit_code == 0
    for heading in DOC_SECTIONS:
        assert f"{heading}:" in result.output


def test_codes_and_names_are_unique():
    assert len(BY_CODE) == len(ALL_RULES) == len({r.name for r in ALL_RULES})


def test_readme_rule_table_is_generated_from_the_registry():
    text = README.read_text(encoding="utf-8")
    assert with_table(text) == text, "README rule table drifted: run `python -m rb_lint.docs`"


def test_readme_has_exactly_the_two_setup_commands():
    text = README.read_text(encoding="utf-8")
    setup = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", setup, flags=re.S)
    assert commands == [
        "pip install . && rb-lint check examples/",
        'pip install -e ".[test]" && python -m pytest',
    ]
    ci = (README.parent / ".ci" / "run").read_text()
    assert 'pip install -e ".[test]" && python -m pytest' in ci
