"""rb-lint: lint RedBrick AI items lists, tasks.json, taxonomies, masks and DataGym exports.

The public names load on first use (PEP 562), so a mask-scanning worker process that imports
`rb_lint.nifti` does not pay for pydantic and the rules, and `rb-lint --version` (or a pre-commit
hook's start-up) does not pay for them either. `__version__` is a constant, the single source of the
version (pyproject.toml reads it from here), so that nothing reads the installed metadata for it.
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
    from rb_lint.api import lint, lint_documents
    from rb_lint.core.config import ConfigError
    from rb_lint.core.context import Options
    from rb_lint.core.engine import Report
    from rb_lint.core.findings import Finding, Severity

__version__ = "0.1.0"

__all__ = ["ConfigError", "Finding", "Options", "Report", "Severity", "__version__", "lint", "lint_documents"]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'rb_lint' has no attribute {name!r}")
