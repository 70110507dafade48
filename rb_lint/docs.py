"""Rule documentation generated from the registry: the README's rule table and one page per rule in
`docs/rules/` (tests fail when either drifts).

    python -m rb_lint.docs    # rewrite the README table, docs/rules/ and the rule index
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from rb_lint.core.rule import Rule
from rb_lint.rules import ALL_RULES, FAMILIES

START, END = "<!-- rules-table -->", "<!-- /rules-table -->"
REPOSITORY = Path(__file__).resolve().parent.parent
RULE_PAGES = "docs/rules"


def family_of(rule: Rule) -> str:
    return next(family for family, rules in FAMILIES.items() if rule in rules)


def rules_table() -> str:
    lines = ["| code | name | severity | family | summary |", "| --- | --- | --- | --- | --- |"]
    lines += [
        f"| [{r.code}]({RULE_PAGES}/{r.code}.md) | `{r.name}` | {r.severity} | {family_of(r)} | {r.summary} |"
        for r in ALL_RULES
    ]
    return "\n".join(lines)


def with_table(readme: str) -> str:
    block = f"{START}\n{rules_table()}\n{END}"
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    return pattern.sub(lambda _match: block, readme)


def rule_page(rule: Rule) -> str:
    """A ruff-style page: what the rule checks, why, a failing and a fixed example, how to turn it off."""
    sections = rule.sections
    kinds = ", ".join(sorted(rule.kinds)) or "every file (reported while reading it)"
    scope = "all files linted together" if rule.scope == "project" else "each document"
    return "\n".join(
        [
            f"# {rule.code} `{rule.name}`",
            "",
            f"{rule.summary}",
            "",
            f"Default severity: **{rule.severity}** · family: {family_of(rule)} · checks: {kinds} ({scope})",
            "",
            "## What it checks",
            "",
            sections.get("What", ""),
            "",
            "## Why it matters",
            "",
            sections.get("Why", ""),
            "",
            "## Example",
            "",
            "Failing:",
            "",
            "```",
            sections.get("Failing", ""),
            "```",
            "",
            "Fixed:",
            "",
            "```",
            sections.get("Fixed", ""),
            "```",
            "",
            "## Configuration",
            "",
            f'Turn it off with `ignore = ["{rule.code}"]` under `[tool.rb-lint]`, for some files with '
            f"`per-file-ignores`, or at some JSON pointers with `pointer-ignores`; change its level with "
            f'`severity = {{ {rule.code} = "warning" }}`. `rb-lint rule {rule.code}` prints this page.',
            "",
        ]
    )


def rule_pages() -> dict[str, str]:
    return {f"{rule.code}.md": rule_page(rule) for rule in ALL_RULES}


def write(repository: Path = REPOSITORY) -> None:
    readme = repository / "README.md"
    readme.write_text(with_table(readme.read_text(encoding="utf-8")), encoding="utf-8")
    pages = repository / RULE_PAGES
    pages.mkdir(parents=True, exist_ok=True)
    wanted = rule_pages()
    for stale in set(p.name for p in pages.glob("*.md")) - set(wanted):
        (pages / stale).unlink()
    for name, text in wanted.items():
        (pages / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    from rb_lint.rules import INDEX
    from rb_lint.rules.__main__ import render_index

    write(Path(sys.argv[1]) if len(sys.argv) > 1 else REPOSITORY)
    INDEX.write_text(render_index(), encoding="utf-8")  # what a run starts from (`rb_lint.rules`)
