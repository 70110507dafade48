"""SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer).

One run. `tool.driver.rules` lists every rule that ran, with its documentation as help text and
Markdown. Each result points at a file relative to `%SRCROOT%` (the working directory), with a
1-based line and a column counted in Unicode code points (`columnKind: unicodeCodePoints`), and
carries `partialFingerprints["rbLint/v1"]` (see `rb_lint.io.fingerprints`): built from rule, file and
logical key, so alerts keep their identity when a file is reformatted. `primaryLocationLineHash`
is left to GitHub's upload action, which computes it from the line text and warns about every
result whose pre-filled value differs from its own.

GitHub rejects a run with more than 25,000 results and limits rule names to 255 characters and
descriptions to 1,024: longer texts are cut with an ellipsis, and results beyond the limit are
dropped (errors kept first) with a notification saying how many.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from rb_lint.core.engine import Report
from rb_lint.core.findings import Finding, Severity
from rb_lint.core.rule import Rule
from rb_lint.io.fingerprints import fingerprints
from rb_lint.reporters.json_format import tool_version

if TYPE_CHECKING:
    from rb_lint.reporters import RenderOptions

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_NAME = "rbLint/v1"
DEFAULT_HOMEPAGE = "https://github.com/rb-lint/rb-lint"

# GitHub code scanning limits (docs: "SARIF support for code scanning", "results exceed limit").
MAX_RESULTS = 25_000
MAX_RULE_NAME = 255
MAX_DESCRIPTION = 1_024

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


@lru_cache(maxsize=1)
def homepage() -> str:
    try:
        urls = metadata("rb-lint").get_all("Project-URL") or []
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        urls = []
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "homepage" and url.strip():
            return url.strip()
    return DEFAULT_HOMEPAGE


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def doc_markdown(doc: str) -> str:
    """Rule docs indent examples by four spaces; fence them so every Markdown renderer shows them
    as code (an indented block right after `Failing:` would be read as part of the paragraph)."""
    out: list[str] = []
    block: list[str] = []

    def flush() -> None:
        if block:
            out.extend(["```", *block, "```"])
            block.clear()

    for line in doc.splitlines():
        if line.startswith("    "):
            block.append(line[4:])
        elif not line.strip() and block:
            block.append("")
        else:
            flush()
            out.append(line)
    flush()
    return "\n".join(out)


def first_paragraph(doc: str) -> str:
    paragraph = re.split(r"\n\s*\n", doc.strip(), maxsplit=1)[0]
    return " ".join(paragraph.split())


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    uri = f"{homepage()}#rules"  # the README's rule table; the rule's own docs are in `help`
    return {
        "id": rule.code,
        "name": clip(rule.name, MAX_RULE_NAME),
        "shortDescription": {"text": clip(rule.summary, MAX_DESCRIPTION)},
        "fullDescription": {"text": clip(first_paragraph(rule.doc) or rule.summary, MAX_DESCRIPTION)},
        "help": {
            "text": f"{rule.summary}\n\n{rule.doc}",
            "markdown": f"**{rule.code} {rule.name}**: {rule.summary}\n\n{doc_markdown(rule.doc)}"
                        f"\n\n[Rule reference]({uri})",
        },
        "helpUri": uri,
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
    }


@lru_cache(maxsize=4096)
def artifact_location(path: str, root: Path) -> dict[str, str]:
    """A URI relative to `%SRCROOT%` when the file is below it, else an absolute file URI."""
    absolute = Path(path) if Path(path).is_absolute() else root / path
    try:
        relative = absolute.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return {"uri": absolute.resolve().as_uri()}
    return {"uri": quote(relative), "uriBaseId": SRCROOT}


def result(finding: Finding, fingerprint: str, rule_index: int | None,
           root: Path) -> dict[str, Any]:
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": dict(artifact_location(finding.path, root)),
            "region": {"startLine": finding.line, "startColumn": finding.column},
        }
    }
    if finding.pointer:
        location["logicalLocations"] = [{"fullyQualifiedName": finding.pointer, "kind": "element"}]
    entry: dict[str, Any] = {"ruleId": finding.code}
    if rule_index is not None:
        entry["ruleIndex"] = rule_index
    entry.update({
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_NAME: fingerprint},
    })
    return entry


def kept_indices(findings: list[Finding], limit: int) -> list[int]:
    """Which findings fit under GitHub's result limit: the most severe first, in report order."""
    if len(findings) <= limit:
        return list(range(len(findings)))
    by_severity = sorted(range(len(findings)), key=lambda i: (-findings[i].severity, i))
    return sorted(by_severity[:limit])


def notifications(report: Report, dropped: int) -> list[dict[str, Any]]:
    notes = [{"level": "error", "message": {"text": error}} for error in report.errors]
    if dropped:
        notes.append({"level": "warning", "message": {"text": (
            f"{dropped} of {len(report.findings)} results were left out: GitHub code scanning "
            f"rejects a run with more than {MAX_RESULTS} results. The most severe are kept; run "
            "rb-lint with another format (or fix or baseline findings) to see them all.")}})
    return notes


def as_document(report: Report, root: Path | None = None) -> dict[str, Any]:
    root = root or Path.cwd()
    rules = list(report.rules)
    index = {rule.code: i for i, rule in enumerate(rules)}
    prints = fingerprints(report.findings, root)
    kept = kept_indices(report.findings, MAX_RESULTS)
    results = [result(report.findings[i], prints[i], index.get(report.findings[i].code), root)
               for i in kept]
    invocation: dict[str, Any] = {
        "executionSuccessful": not report.errors,
        "workingDirectory": {"uri": _directory_uri(root)},
    }
    notes = notifications(report, len(report.findings) - len(kept))
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "rb-lint",
                "version": tool_version(),
                "informationUri": homepage(),
                "rules": [rule_descriptor(rule) for rule in rules],
            }},
            "invocations": [invocation],
            "originalUriBaseIds": {SRCROOT: {"uri": _directory_uri(root)}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def _directory_uri(path: Path) -> str:
    uri = path.resolve().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def render(report: Report, options: RenderOptions) -> str:
    # One line: `indent` would switch json to its pure-Python encoder, six times slower on the
    # 25,000-result runs this format must handle.
    return json.dumps(as_document(report)) + "\n"

