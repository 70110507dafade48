"""Reporters turn a `Report` into text for people or machines. Rules never know about them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rb_lint.core.engine import Report
from rb_lint.core.findings import Severity
from rb_lint.reporters import github, json_format, json_lines, junit, sarif, text


@dataclass
class RenderOptions:
    color: bool = False
    statistics: bool = False
    quiet: bool = False
    fail_on: Severity = Severity.ERROR


Reporter = Callable[[Report, RenderOptions], str]

REPORTERS: dict[str, Reporter] = {
    "text": text.render,
    "json": json_format.render,
    "json-lines": json_lines.render,
    "sarif": sarif.render,
    "github": github.render,
    "junit": junit.render,
}
