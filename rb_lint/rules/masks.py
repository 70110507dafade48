"""Rules of this family land with their issue."""

from __future__ import annotations

from rb_lint.rules.base import Rule

RULES: list[Rule] = []
