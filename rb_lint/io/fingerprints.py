"""Fingerprints: the stable identity of a finding, shared by SARIF and the baseline.

A fingerprint hashes the rule code, the file (relative to a base directory) and the finding's
logical key (a task name, a series, a file; the JSON pointer when the rule sets none). It never
uses line text or positions, so re-indenting or reformatting a file keeps every fingerprint.
Identical findings (same rule, file and key) are told apart by an occurrence counter in report
order, `<hash>:1`, `<hash>:2`, ..., which is deterministic across runs (GitHub numbers its own
line hashes the same way).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from rb_lint.core.config import relative_posix
from rb_lint.core.findings import Finding

FINGERPRINT_VERSION = 1


def relative_path(finding: Finding, base: Path, origin: Path | None = None) -> str:
    """The finding's file relative to `base` (POSIX separators); absolute when outside it. A
    relative finding path is relative to `origin` (default: the working directory)."""
    path = Path(finding.path)
    if origin is not None and not path.is_absolute():
        path = origin / path
    return relative_posix(path, base.resolve())


def identity(code: str, path: str, key: str) -> str:
    """The hash of one finding's identity, without its occurrence number."""
    text = f"v{FINGERPRINT_VERSION}\0{code}\0{path}\0{key}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def fingerprints(findings: Iterable[Finding], base: Path, origin: Path | None = None) -> list[str]:
    """One fingerprint per finding, in the order given (a report's order: path, line, column).
    `origin`: the folder relative finding paths are relative to (default: the working directory)."""
    seen: Counter[str] = Counter()
    paths: dict[str, str] = {}  # resolving a path costs system calls: once per file
    result = []
    for finding in findings:
        if finding.path not in paths:
            paths[finding.path] = relative_path(finding, base, origin)
        digest = identity(finding.code, paths[finding.path], finding.fingerprint_key)
        seen[digest] += 1
        result.append(f"{digest}:{seen[digest]}")
    return result
