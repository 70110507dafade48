"""rb-lint: lint RedBrick AI items lists, tasks.json exports, taxonomies, masks and DataGym exports."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from rb_lint.api import lint, lint_documents
from rb_lint.config import ConfigError
from rb_lint.context import Options
from rb_lint.engine import Report
from rb_lint.findings import Finding, Severity

try:
    __version__ = version("rb-lint")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["ConfigError", "Finding", "Options", "Report", "Severity", "__version__", "lint",
           "lint_documents"]
