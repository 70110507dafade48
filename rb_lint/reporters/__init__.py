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
    # What rendering reads from the file system, read beforehand (`resolve_paths`): a server renders
    # a stored job report after the job's files are gone.
    resolved: ResolvedPaths | None = None


@dataclass(frozen=True)
class ResolvedPaths:
    """The parts of a report that resolve its finding paths on the file system, computed once
    (`resolve_paths`) for one `RenderOptions`: rendered with them, a report is the same later,
    whatever became of its files (removed, replaced by a link)."""

    fingerprints: list[str]  # one per finding (JSON, JSON Lines): relative to `fingerprint_base`
    sarif_fingerprints: list[str]  # SARIF's: relative to `path_origin`
    artifacts: dict[str, dict[str, str]]  # finding path -> its SARIF artifact location
    root_uri: str  # SARIF's `%SRCROOT%` and working directory

    def to_dict(self) -> dict[str, Any]:
        same = self.sarif_fingerprints == self.fingerprints
        return {
            "fingerprints": self.fingerprints,
            "sarif_fingerprints": None if same else self.sarif_fingerprints,
            "artifacts": self.artifacts,
            "root_uri": self.root_uri,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResolvedPaths:
        prints = [str(value) for value in data["fingerprints"]]
        sarif = data.get("sarif_fingerprints")
        return cls(
            fingerprints=prints,
            sarif_fingerprints=prints if sarif is None else [str(value) for value in sarif],
            artifacts={str(path): dict(location) for path, location in data["artifacts"].items()},
            root_uri=str(data["root_uri"]),
        )


def resolve_paths(report: Report, options: RenderOptions) -> ResolvedPaths:
    """What `report`'s reporters would read from the file system, rendered with `options`."""
    from rb_lint.io.fingerprints import fingerprints
    from rb_lint.reporters import sarif

    origin = options.path_origin
    root = origin or Path.cwd()
    prints = fingerprints(report.findings, options.fingerprint_base or root, origin)
    same = options.fingerprint_base is None or options.fingerprint_base == root
    return ResolvedPaths(
        fingerprints=prints,
        sarif_fingerprints=prints if same else fingerprints(report.findings, root, origin),
        artifacts={
            path: dict(sarif.artifact_location(path, root))
            for path in dict.fromkeys(f.path for f in report.findings)
        },
        root_uri=sarif.directory_uri(root),
    )


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
