"""A stable JSON report (format version 1), documented in the README.

    {"version": 1,
     "tool": {"name": "rb-lint", "version": "..."},
     "format": {"redbrick-sdk": "2.35.4"},
     "summary": {"files": 3, "error": 2, "warning": 1, "info": 0, "suppressed": 0},
     "findings": [{"code", "name", "severity", "message", "path", "line", "column",
                   "pointer", "fingerprint"}, ...]}

`suppressed` counts the findings a `--baseline` dropped. `fingerprint` is the finding's baseline
fingerprint (`rb_lint.io.fingerprints`): its path is taken relative to the baseline's folder with
`--baseline`, else to the working directory, so it equals the entry a baseline records.
Fields are only ever added, never renamed or removed, within one format version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rb_lint.core.engine import Report
from rb_lint.core.findings import Severity
from rb_lint.io.fingerprints import fingerprints
from rb_lint.models import FORMAT_SDK_VERSION

if TYPE_CHECKING:
    from rb_lint.reporters import RenderOptions

FORMAT_VERSION = 1


def tool_version() -> str:
    from rb_lint import __version__

    return __version__


def as_document(
    report: Report,
    suppressed: int = 0,
    fingerprint_base: Path | None = None,
    path_origin: Path | None = None,
    prints: list[str] | None = None,
) -> dict[str, Any]:
    """`prints`: the findings' fingerprints when read beforehand (`RenderOptions.resolved`)."""
    counts = report.counts()
    if prints is None:
        prints = fingerprints(report.findings, fingerprint_base or path_origin or Path.cwd(), path_origin)
    return {
        "version": FORMAT_VERSION,
        "tool": {"name": "rb-lint", "version": tool_version()},
        "format": {"redbrick-sdk": FORMAT_SDK_VERSION},
        "summary": {
            "files": len(report.files),
            **{str(s): counts[s] for s in Severity},
            "suppressed": suppressed,
        },
        "findings": [
            {**f.to_dict(), "fingerprint": fingerprint}
            for f, fingerprint in zip(report.findings, prints, strict=True)
        ],
    }


def render(report: Report, options: RenderOptions) -> str:
    prints = options.resolved.fingerprints if options.resolved is not None else None
    document = as_document(report, options.suppressed, options.fingerprint_base, options.path_origin, prints)
    return json.dumps(document, indent=2) + "\n"
