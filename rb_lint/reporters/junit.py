"""JUnit XML for CI systems that show test reports (GitLab, Jenkins, Azure Pipelines, CircleCI).

One `<testsuite>` per linted file (named after the file) and one `<testcase>` per finding
(`RB201 duplicate-task-name at 3:5`, `classname` and `file` set to the path, as ruff does), so a
CI's test view lists every problem by file with its message. Findings that fail the run (at or
above `--fail-on`) are `<failure>`s; the others are passing test cases that carry the finding in
`<system-out>`. A file without findings gets one passing `rb-lint` test case, so the report also
shows what was checked. Internal errors are `<error>`s in a suite named `rb-lint`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from rb_lint.core.engine import Report
from rb_lint.core.findings import Finding
from rb_lint.reporters.text import format_finding

if TYPE_CHECKING:
    from rb_lint.reporters import RenderOptions

# Characters XML 1.0 cannot hold (control characters, lone surrogates) become visible escapes.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _testcase(suite: ET.Element, name: str, path: str, line: int | None = None) -> ET.Element:
    attributes = {"name": _xml_text(name), "classname": _xml_text(path), "file": _xml_text(path)}
    if line is not None:
        attributes["line"] = str(line)
    return ET.SubElement(suite, "testcase", attributes)


def _add_finding(suite: ET.Element, finding: Finding, fails: bool) -> None:
    case = _testcase(
        suite, f"{finding.code} {finding.name} at {finding.line}:{finding.column}", finding.path, finding.line
    )
    detail = _xml_text(format_finding(finding, escape=False))
    if fails:
        failure = ET.SubElement(
            case,
            "failure",
            {"message": _xml_text(finding.message), "type": f"{finding.code} ({finding.severity})"},
        )
        failure.text = detail
    else:
        ET.SubElement(case, "system-out").text = detail


def _count(suite: ET.Element) -> dict[str, int]:
    cases = suite.findall("testcase")
    return {
        "tests": len(cases),
        "failures": sum(1 for c in cases if c.find("failure") is not None),
        "errors": sum(1 for c in cases if c.find("error") is not None),
    }


def render(report: Report, options: RenderOptions) -> str:
    by_path: dict[str, list[Finding]] = {path: [] for path in report.files}
    for finding in report.findings:
        by_path.setdefault(finding.path, []).append(finding)
    root = ET.Element("testsuites", {"name": "rb-lint"})
    for path, findings in by_path.items():
        suite = ET.SubElement(root, "testsuite", {"name": _xml_text(path)})
        for finding in findings:
            _add_finding(suite, finding, finding.severity >= options.fail_on)
        if not findings:
            _testcase(suite, "rb-lint", path)
    if report.errors:
        suite = ET.SubElement(root, "testsuite", {"name": "rb-lint"})
        for error in report.errors:
            case = _testcase(suite, "internal error", "rb-lint")
            ET.SubElement(case, "error", {"message": _xml_text(error.splitlines()[0])}).text = _xml_text(
                error
            )
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for suite in root.findall("testsuite"):
        counts = _count(suite)
        suite.attrib.update({key: str(value) for key, value in counts.items()} | {"skipped": "0"})
        for key, value in counts.items():
            totals[key] += value
    root.attrib.update({key: str(value) for key, value in totals.items()})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
