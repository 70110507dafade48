"""GitHub Actions workflow commands (`::error file=...,line=...,col=...::message`) and the
Markdown job summary written to `$GITHUB_STEP_SUMMARY`.

Each finding becomes an annotation on its file and line in the pull request (info findings are
notices). GitHub shows only the first few annotations of a step, so the job summary carries the
full picture: counts per rule and a table of findings.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from rb_lint.core.engine import Report
from rb_lint.core.findings import Finding, Severity
from rb_lint.reporters.text import summary, terminal_safe

if TYPE_CHECKING:
    from rb_lint.reporters import RenderOptions

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
SUMMARY_ROWS = 300  # the job summary is capped at 1 MiB per step


def printable(text: str) -> str:
    """Lone surrogates (possible in JSON strings) cannot be written as UTF-8: escape them."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _escape_data(text: str) -> str:
    """Workflow-command syntax: `%`, CR and LF are escaped so a message cannot end the command."""
    return printable(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    properties = ",".join(
        f"{key}={_escape_property(value)}"
        for key, value in (
            ("file", terminal_safe(finding.path, line_breaks=True)),
            ("line", str(finding.line)),
            ("col", str(finding.column)),
            ("title", f"{finding.code} {finding.name}"),
        )
    )
    # Control characters from data become visible escapes (the log viewer renders ANSI sequences);
    # CR and LF stay, escaped as %0D/%0A below: a line of the annotation, never a forged command.
    message = terminal_safe(finding.message, line_breaks=True)
    if finding.pointer:
        message += f"\nat {terminal_safe(finding.pointer, line_breaks=True)}"
    return f"::{COMMANDS[finding.severity]} {properties}::{_escape_data(message)}"


def render(report: Report, options: RenderOptions) -> str:
    lines = [annotation(f) for f in report.findings]
    if not options.quiet:
        lines.append(summary(report, options.suppressed))
    return "".join(line + "\n" for line in lines)


def _cell(text: str) -> str:
    return terminal_safe(" ".join(text.split())).replace("|", "\\|")


def step_summary(report: Report, suppressed: int = 0) -> str:
    """Markdown for `$GITHUB_STEP_SUMMARY`: the result line, findings per rule, then findings."""
    out = ["## rb-lint", "", summary(report, suppressed), ""]
    out.extend(f"- internal error: {_cell(error)}" for error in report.errors)
    if not report.findings:
        return "\n".join(out) + "\n"
    per_rule = Counter((f.code, f.name, f.severity) for f in report.findings)
    out += ["| Rule | Severity | Findings |", "| --- | --- | ---: |"]
    for (code, name, severity), count in sorted(per_rule.items(), key=lambda i: (-i[1], i[0][0])):
        out.append(f"| `{code}` {name} | {severity} | {count} |")
    out += ["", "| Location | Rule | Message |", "| --- | --- | --- |"]
    for finding in report.findings[:SUMMARY_ROWS]:
        where = f"{finding.path}:{finding.line}:{finding.column}"
        out.append(f"| `{_cell(where)}` | `{finding.code}` | {_cell(finding.message)} |")
    hidden = len(report.findings) - SUMMARY_ROWS
    if hidden > 0:
        out += ["", f"… and {hidden} more findings: see the annotations or the SARIF report."]
    return "\n".join(out) + "\n"
