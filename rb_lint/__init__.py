"""rb-lint: lint RedBrick AI items lists, tasks.json, taxonomies, masks and DataGym exports.

The public names load on first use (PEP 562), so a mask-scanning worker process that imports
`rb_lint.nifti` does not pay for pydantic and the rules, and `rb-lint --version` (or a pre-commit
hook's start-up) does not pay for them either. `__version__` too: it reads the installed metadata.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_PUBLIC = {
    "lint": "rb_lint.api",
    "lint_documents": "rb_lint.api",
    "ConfigError": "rb_lint.core.config",
    "Options": "rb_lint.core.context",
    "Report": "rb_lint.core.engine",
    "Finding": "rb_lint.core.findings",
    "Severity": "rb_lint.core.findings",
}

if TYPE_CHECKING:
    __version__: str
    from rb_lint.api import lint, lint_documents
    from rb_lint.core.config import ConfigError
    from rb_lint.core.context import Options
    from rb_lint.core.engine import Report
    from rb_lint.core.findings import Finding, Severity

__all__ = ["ConfigError", "Finding", "Options", "Report", "Severity", "__version__", "lint", "lint_documents"]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # ~10 ms: only when asked

    try:
        return version("rb-lint")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        globals()["__version__"] = found = _version()
        return found
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'rb_lint' has no attribute {name!r}")
