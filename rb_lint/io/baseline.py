"""Baselines: record today's findings once, then report only new ones.

`rb-lint check --baseline FILE --update-baseline` writes every current finding to FILE;
`rb-lint check --baseline FILE` then drops the findings recorded there and reports the rest.
Findings are matched by fingerprint (`rb_lint.io.fingerprints`: rule, file, logical key and an
occurrence counter), so line moves and reformatting do not turn recorded findings into new ones,
and a second identical problem in the same place is new. Paths are stored relative to the
baseline file's directory, so the baseline works from any working directory. Entries are sorted
by file, rule and key, which keeps the file's diffs small.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rb_lint.core.config import ConfigError
from rb_lint.core.engine import Report
from rb_lint.io.fingerprints import fingerprints, relative_path

FORMAT_VERSION = 1


@dataclass
class Applied:
    report: Report  # the findings that are not in the baseline
    stale: int  # baseline entries that no longer occur (fixed): `--update-baseline` drops them
    suppressed: int = 0  # findings of the run that the baseline dropped


def fingerprint_base(path: Path) -> Path:
    """The folder the paths in the baseline at `path` (and so its fingerprints) are relative to."""
    return path.resolve().parent


def write(report: Report, path: Path) -> int:
    """Record every finding of `report` in `path`; returns how many."""
    base = fingerprint_base(path)
    if not base.is_dir():
        raise ConfigError(f"cannot write the baseline {path}: directory {base} does not exist")
    entries = [
        {
            "fingerprint": fingerprint,
            "code": finding.code,
            "path": relative_path(finding, base),
            "key": finding.fingerprint_key,
        }
        for finding, fingerprint in zip(report.findings, fingerprints(report.findings, base), strict=True)
    ]
    entries.sort(key=lambda e: (e["path"], e["code"], e["key"], e["fingerprint"]))
    document = {"version": FORMAT_VERSION, "tool": "rb-lint", "findings": entries}
    path.write_text(json.dumps(document, indent=2, ensure_ascii=True) + "\n", encoding="utf-8")
    return len(entries)


def read(path: Path) -> set[str]:
    """The fingerprints recorded in a baseline file."""
    if not path.is_file():
        raise ConfigError(
            f"baseline file not found: {path} (record one with "
            f"`rb-lint check --baseline {path} --update-baseline`)"
        )
    try:
        document: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ConfigError(f"cannot read the baseline {path}: {error}") from None
    if not isinstance(document, dict) or document.get("version") != FORMAT_VERSION:
        raise ConfigError(f"{path} is not an rb-lint baseline (version {FORMAT_VERSION})")
    entries = document.get("findings")
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries
    ):
        raise ConfigError(
            f"{path} is not an rb-lint baseline: `findings` must be a list of objects with a `fingerprint`"
        )
    return {e["fingerprint"] for e in entries}


def apply(report: Report, path: Path) -> Applied:
    """Drop the findings recorded in the baseline at `path` (and count them)."""
    recorded = read(path)
    prints = fingerprints(report.findings, fingerprint_base(path))
    kept = [f for f, fp in zip(report.findings, prints, strict=True) if fp not in recorded]
    stale = len(recorded - set(prints))
    return Applied(replace(report, findings=kept), stale, len(report.findings) - len(kept))
