"""`--format grouped`: findings grouped by rule, most frequent first, with the first few locations.

    RB201 duplicate-task-name [error]: 7 findings
      items/a.json:34:13: task name `p1` is already used at items/a.json:3:13: ...
      ... (the first 5 locations)
      and 2 more

    Found 7 errors in 2 files (3 files checked).

A view for triage: which rules fire, how often, and where to look first.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from rb_lint.core.engine import Report
from rb_lint.core.findings import Finding
from rb_lint.reporters.text import paint, severity_color, summary, terminal_safe

if TYPE_CHECKING:
    from rb_lint.reporters import RenderOptions


def _location(finding: Finding, color: bool) -> str:
    where = paint(f"{terminal_safe(finding.path)}:{finding.line}:{finding.column}:", "1", color)
    line = f"  {where} {terminal_safe(finding.message)}"
    if finding.pointer:
        line += " " + paint(f"(at {terminal_safe(finding.pointer)})", "2", color)
    return line


def render(report: Report, options: RenderOptions) -> str:
    groups: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:  # report order: path, line, column
        groups[finding.code].append(finding)
    lines: list[str] = []
    for code, found in sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])):
        first = found[0]
        count = f"{len(found)} finding{'s' if len(found) != 1 else ''}"
        color = severity_color(first.severity)
        heading = f"{paint(code, '1;' + color, options.color)} {first.name} "
        heading += f"{paint(f'[{first.severity}]', color, options.color)}: {count}"
        lines.append(heading)
        shown = max(options.locations, 0)
        lines.extend(_location(f, options.color) for f in found[:shown])
        if len(found) > shown:
            lines.append(f"  and {len(found) - shown} more")
        lines.append("")
    if not options.quiet:
        lines.append(summary(report, options.suppressed))
    elif lines:
        lines.pop()  # no blank line after the last group when nothing follows
    return "".join(line + "\n" for line in lines)
