"""Write the rule index (`rb_lint/rules/index.json`) from the rules themselves.

    python -m rb_lint.rules    # after adding a rule or changing a rule's metadata

tests/test_rule_index.py fails when the index and the rules disagree.
"""

from __future__ import annotations

import json

from rb_lint.rules import INDEX, build_index


def render_index() -> str:
    return json.dumps(build_index(), indent=1, ensure_ascii=False) + "\n"


def main() -> None:
    INDEX.write_text(render_index(), encoding="utf-8")
    print(f"wrote {INDEX}")


if __name__ == "__main__":
    main()
