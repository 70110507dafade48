"""A stable JSON report (format version 1), documented in the README.

    {"version": 1,
     "tool": {"name": "rb-lint", "version": "..."},
     "format": {"redbrick-sdk": "2.35.4"},
     "summary": {"files": 3, "error": 2, "warning": 1, "info": 0},
     "findings": [{"code", "name", "severity", "message", "path", "line", "column",
                   "pointer"}, ...]}

Fields are only ever added, never renamed or removed, within one format version.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rb_lint.core.engine import Report
from rb_lint.core.findings import Severity
from rb_lint.models import FORMAT_SDK_VERSION

if TYPE_CHECKING:
    from rb_lint.reporters import RenderOptions

FORMAT_VERSION = 1


def tool_version() -> str:
    from rb_lint import __version__

    return __version__


def as_document(report: Report) -> dict[str, Any]:
    counts = report.counts()
    return {
        "version": FORMAT_VERSION,
        "tool": {"name": "rb-lint", "version": tool_version()},
        "format": {"redbrick-sdk": FORMAT_SDK_VERSION},
        "summary": {"files": len(report.files), **{str(s): counts[s] for s in Severity}},
        "findings": [f.to_dict() for f in report.findings],
    }


def render(report: Report, options: RenderOptions) -> str:
    return json.dumps(as_document(report), indent=2) + "\n"
