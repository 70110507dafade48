"""`path:line:col: RB101 [error] message`, with the JSON pointer below, as compilers and ruff do."""

from __future__ import annotations

import functools
import re
from collections import Counter
from typing import TYPE_CHECKING

from rb_lint.core.engine import Report
from rb_lint.core.findings import Finding, Severity

if TYPE_CHECKING:
    from rb_lint.reporters import RenderOptions

_COLORS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}

# What a terminal acts on rather than shows: C0 controls (ESC starts colour, OSC retitles the window,
# newlines and carriage returns forge lines), DEL, C1 controls, Unicode line separators, bidi
# overrides, and lone surrogates (not encodable). Strings from linted files may hold any of them.
_UNSAFE = r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
_UNSAFE_BUT_LINE_BREAKS = (
    r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


@functools.cache
def _unsafe(line_breaks: bool) -> re.Pattern[str]:
    """Compiled on first use (~1 ms): a clean run escapes nothing (start-up, issue 17)."""
    return re.compile(_UNSAFE_BUT_LINE_BREAKS if line_breaks else _UNSAFE)


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


def terminal_safe(text: str, line_breaks: bool = False) -> str:
    """Data-derived text (paths, pointers, messages quoting keys and values) made inert for a
    terminal: control characters become visible escapes (`\\x1b`, `\\n`), on one line.
    `line_breaks=True` leaves CR and LF for a caller that escapes them its own way."""
    return _unsafe(line_breaks).sub(_escape_char, text)


def paint(text: str, code: str, color: bool) -> str:
    """`text` in the SGR colour `code` when `color` (the caller made the text terminal-safe)."""
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def severity_color(severity: Severity) -> str:
    return _COLORS[severity]


def format_finding(finding: Finding, color: bool = False, escape: bool = True) -> str:
    """The finding as two lines; `escape=False` keeps the data exact (for structured reports)."""
    safe = terminal_safe if escape else str
    where = paint(f"{safe(finding.path)}:{finding.line}:{finding.column}:", "1", color)
    code = paint(finding.code, "1;" + _COLORS[finding.severity], color)
    level = paint(f"[{finding.severity}]", _COLORS[finding.severity], color)
    line = f"{where} {code} {level} {safe(finding.message)}"
    if finding.pointer:
        line += "\n  " + paint(f"at {safe(finding.pointer)}", "2", color)
    return line


def render(report: Report, options: RenderOptions) -> str:
    """The findings, the counts per rule with `statistics`, then the summary unless `quiet`."""
    lines = [format_finding(f, options.color) for f in report.findings]
    if options.statistics:
        lines.extend(_statistics(report))
    if not options.quiet:
        lines.append(summary(report, options.suppressed))
    return "".join(line + "\n" for line in lines)


def _statistics(report: Report) -> list[str]:
    counts = Counter((f.code, f.name, f.severity) for f in report.findings)
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))
    return [f"{count:>6}  {code}  {name} [{severity}]" for (code, name, severity), count in rows]


def summary(report: Report, suppressed: int = 0) -> str:
    """`Found 2 errors in 1 file (3 files checked).`; `suppressed`: findings a baseline dropped."""
    counts = report.counts()
    files = len(report.files)
    checked = f"{files} file{'s' if files != 1 else ''} checked"
    if suppressed:
        checked += f", {suppressed} suppressed by the baseline"
    if not report.findings:
        return f"All checks passed ({checked})."
    parts = [
        f"{counts[s]} {str(s) if counts[s] == 1 or s is Severity.INFO else str(s) + 's'}"
        for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)
        if counts[s]
    ]
    with_findings = len({f.path for f in report.findings})
    return f"Found {', '.join(parts)} in {with_findings} file{'s' if with_findings != 1 else ''} ({checked})."
