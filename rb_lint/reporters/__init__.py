"""Reporters turn a `Report` into text for people or machines. Rules never know about them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rb_lint.core.engine import Report
from rb_lint.core.findings import Severity
from rb_lint.reporters import github, grouped, json_format, json_lines, junit, sarif, text


@dataclass
class RenderOptions:
    color: bool = False
    statistics: bool = False
    quiet: bool = False  # the findings without the summary (as `ruff -q`)
    fail_on: Severity = Severity.ERROR
    suppressed: int = 0  # findings a baseline dropped (said in the summary)
    fingerprint_base: Path | None = None  # fingerprints' paths are relative to it (default: the cwd)
    locations: int = 5  # `grouped`: the locations shown per rule


Reporter = Callable[[Report, RenderOptions], str]

REPORTERS: dict[str, Reporter] = {
    "text": text.render,
    "json": json_format.render,
    "json-lines": json_lines.render,
    "sarif": sarif.render,
    "github": github.render,
    "grouped": grouped.render,
    "junit": junit.render,
}
