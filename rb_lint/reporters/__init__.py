"""Reporters turn a `Report` into text for people or machines. Rules never know about them.

The format names are static (`FORMATS`), so the command line can offer them without importing a
reporter; `reporter(name)` imports only the one a run uses. `REPORTERS` (every format's render
function) loads them all on first use (PEP 562).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from rb_lint.core.findings import Severity

if TYPE_CHECKING:
    from rb_lint.core.engine import Report


@dataclass
class RenderOptions:
    color: bool = False
    statistics: bool = False
    quiet: bool = False  # the findings without the summary (as `ruff -q`)
    fail_on: Severity = Severity.ERROR
    suppressed: int = 0  # findings a baseline dropped (said in the summary)
    fingerprint_base: Path | None = None  # fingerprints' paths are relative to it (default: the cwd)
    locations: int = 5  # `grouped`: the locations shown per rule
    # The folder the report's relative finding paths are relative to (default: the cwd; a server
    # lints with `lint(display_root=...)` and never changes its working directory). Fingerprints
    # and SARIF's artifact locations resolve the paths against it.
    path_origin: Path | None = None


Reporter: TypeAlias = "Callable[[Report, RenderOptions], str]"

# Format name -> the module of rb_lint.reporters whose `render` writes it.
_MODULES = {
    "text": "text",
    "json": "json_format",
    "json-lines": "json_lines",
    "sarif": "sarif",
    "github": "github",
    "grouped": "grouped",
    "junit": "junit",
}
FORMATS: tuple[str, ...] = tuple(_MODULES)

if TYPE_CHECKING:
    REPORTERS: dict[str, Reporter]


def reporter(name: str) -> Reporter:
    """The render function of format `name` (one of `FORMATS`), importing only its module."""
    render: Reporter = import_module(f"rb_lint.reporters.{_MODULES[name]}").render
    return render


def __getattr__(name: str) -> Any:
    if name == "REPORTERS":
        reporters = {format_name: reporter(format_name) for format_name in FORMATS}
        globals()["REPORTERS"] = reporters
        return reporters
    raise AttributeError(f"module 'rb_lint.reporters' has no attribute {name!r}")
