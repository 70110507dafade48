"""The README's rule table, generated from the registry (a test fails when the README drifts).

    python -m rb_lint.docs    # rewrite the table in README.md
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from rb_lint.rules import ALL_RULES, FAMILIES

START, END = "<!-- rules-table -->", "<!-- /rules-table -->"


def rules_table() -> str:
    family_of = {rule.code: family for family, rules in FAMILIES.items() for rule in rules}
    lines = ["| code | name | severity | family | summary |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {r.code} | `{r.name}` | {r.severity} | {family_of[r.code]} | {r.summary} |"
              for r in ALL_RULES]
    return "\n".join(lines)


def with_table(readme: str) -> str:
    block = f"{START}\n{rules_table()}\n{END}"
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    return pattern.sub(lambda _match: block, readme)


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "README.md"
    path.write_text(with_table(path.read_text(encoding="utf-8")), encoding="utf-8")
