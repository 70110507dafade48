"""JSON Lines: one JSON object per finding per line, nothing else (no findings, no output).

Each object has the fields of the JSON report's findings, `fingerprint` included (see
`rb_lint.io.fingerprints`; paths relative to the working directory, as `path` is, or to the
baseline's folder with `--baseline`), so log pipelines and scripts can stream, grep and
de-duplicate findings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from rb_lint.core.engine import Report
from rb_lint.io.fingerprints import fingerprints

if TYPE_CHECKING:
    from rb_lint.reporters import RenderOptions


def render(report: Report, options: RenderOptions) -> str:
    if options.resolved is not None:
        prints = options.resolved.fingerprints
    else:
        base = options.fingerprint_base or options.path_origin or Path.cwd()
        prints = fingerprints(report.findings, base, options.path_origin)
    return "".join(
        json.dumps({**finding.to_dict(), "fingerprint": fingerprint}) + "\n"
        for finding, fingerprint in zip(report.findings, prints, strict=True)
    )
