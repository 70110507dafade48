"""`rb-lint check --fix / --diff / --show-fixes`: apply the rules' fixes until the files are stable.

The first lint (from disk) gives the fixes. Each file to fix is read once; its fixes are applied
in memory, then the changed files are linted again in memory, and the fixes that appear then (a
typo behind a trailing comma) are applied too: at most `MAX_PASSES` passes, so a fix that undoes
another cannot loop. `--diff` prints the change and writes nothing; `--fix` writes each file once,
atomically, and only if it did not change on disk meanwhile; the report is then of a new lint.
"""

from __future__ import annotations

import dataclasses
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import click

from rb_lint.cli.common import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, warn
from rb_lint.core.config import LoadedConfig
from rb_lint.core.context import Options
from rb_lint.core.engine import Report
from rb_lint.core.findings import Finding
from rb_lint.io.fixing import (
    NotFixable,
    Snapshot,
    apply_pass,
    check_basis,
    decoded,
    snapshot,
    unified_diff,
    wanted_fixes,
    write_fixed,
)

MAX_PASSES = 10
# Lints documents given by content (display path -> bytes), as the first lint saw them on disk.
Relint = Callable[[dict[str, bytes]], Report]


@dataclass
class FixedFile:
    display: str
    shot: Snapshot
    original: str
    text: str
    applied: list[Finding] = field(default_factory=list)


@dataclass
class Fixing:
    """What fixing did (or, with --diff, would do)."""

    files: dict[str, FixedFile] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # files left alone, and why

    @property
    def applied(self) -> list[Finding]:
        return [finding for state in self.files.values() for finding in state.applied]

    @property
    def changed(self) -> list[FixedFile]:
        return [state for state in self.files.values() if state.text != state.original]


def _by_file(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[finding.path].append(finding)
    return grouped


def fix_in_memory(report: Report, relint: Relint, unsafe: bool) -> Fixing:
    """Apply the fixes of ``report`` (and those that appear after them) to the files' texts."""
    fixing = Fixing()
    pending = _by_file(wanted_fixes(report.findings, unsafe))
    for display, findings in pending.items():
        try:
            shot = snapshot(Path(display))
            check_basis(shot, (f.fix for f in findings if f.fix is not None))
            text = decoded(shot)
        except NotFixable as problem:
            fixing.problems.append(f"{display}: {problem}")
            continue
        fixing.files[display] = FixedFile(display, shot, text, text)
    pending = {d: found for d, found in pending.items() if d in fixing.files}
    for _pass in range(MAX_PASSES):
        changed = [display for display, found in pending.items() if _one_pass(fixing, display, found)]
        if not changed:
            return fixing
        again = relint({display: fixing.files[display].text.encode("utf-8") for display in changed})
        pending = {d: f for d, f in _by_file(wanted_fixes(again.findings, unsafe)).items() if d in changed}
    if pending:
        fixing.problems += [f"{d}: still fixable after {MAX_PASSES} passes; run again" for d in pending]
    return fixing


def _one_pass(fixing: Fixing, display: str, findings: list[Finding]) -> bool:
    state = fixing.files[display]
    done = apply_pass(state.text, findings)
    for finding in done.refused:
        fixing.problems.append(
            f"{display}:{finding.line}:{finding.column}: the fix of {finding.code} would break the file; "
            "not applied"
        )
    state.text = done.text
    state.applied += done.applied
    return bool(done.applied)


def write_all(fixing: Fixing) -> None:
    """Write every changed file; a file that cannot be written keeps its content and is not
    counted as fixed."""
    for state in fixing.changed:
        try:
            write_fixed(state.shot, state.text)
        except NotFixable as problem:
            fixing.problems.append(f"{state.display}: {problem}")
            state.applied, state.text = [], state.original


def print_diff(fixing: Fixing) -> int:
    """`--diff`: the changes on stdout, a count on stderr; exit 1 when something would change."""
    for state in fixing.changed:
        click.echo(unified_diff(state.display, state.original, state.text), nl=False)
    _print_problems(fixing)
    count, files = len(fixing.applied), len(fixing.changed)
    if count:
        click.echo(f"rb-lint: would fix {_plural(count, 'finding')} in {_plural(files, 'file')}", err=True)
    return EXIT_FINDINGS if fixing.changed else EXIT_CLEAN


def print_summary(fixing: Fixing | None, report: Report, unsafe: bool, show_fixes: bool, quiet: bool) -> None:
    """After the report: what was fixed (each fix with --show-fixes), what remains, and how many of
    the remaining findings a fix exists for."""
    if fixing is not None:
        _print_problems(fixing)
    if quiet:
        return
    if show_fixes:
        shown = fixing.applied if fixing is not None else wanted_fixes(report.findings, True)
        verb = "fixed" if fixing is not None else "fixable"
        for finding in sorted(shown, key=Finding.sort_key):
            click.echo(f"rb-lint: {verb}: {_described(finding)}", err=True)
    more = _hint(report, unsafe)
    if fixing is not None:
        click.echo(f"rb-lint: {len(fixing.applied)} fixed, {len(report.findings)} remaining{more}", err=True)
    elif show_fixes and more:
        click.echo(f"rb-lint: {more.lstrip(' (').rstrip(')')}", err=True)


def _hint(report: Report, unsafe: bool) -> str:
    safe = len(wanted_fixes(report.findings, False))
    every = len(wanted_fixes(report.findings, True))
    if unsafe:
        return f" ({every} fixable with --fix --unsafe-fixes)" if every else ""
    parts = [f"{safe} fixable with --fix"] if safe else []
    if every > safe:
        parts.append(f"{every - safe} more with --fix --unsafe-fixes")
    return f" ({'; '.join(parts)})" if parts else ""


def _described(finding: Finding) -> str:
    assert finding.fix is not None
    kind = "safe" if finding.fix.safe else "unsafe"
    return f"{finding.path}:{finding.line}:{finding.column}: {finding.code} {finding.fix.title} [{kind}]"


def _print_problems(fixing: Fixing) -> None:
    for problem in fixing.problems:
        warn(problem)
    fixing.problems = []


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def exit_after_diff(fixing: Fixing, report: Report) -> None:
    """`--diff` prints no report: the diff, then exit 1 if it is not empty (2 on internal errors)."""
    code = print_diff(fixing)
    sys.exit(EXIT_ERROR if report.errors else code)


def relinter(
    loaded: LoadedConfig,
    kind: str | None,
    select: list[str] | None,
    ignore: list[str],
    extend_select: list[str],
    options: Options,
) -> Relint:
    """Lint texts as the files they will be written to (their paths, folders and configuration)."""
    from rb_lint.api import lint_documents

    if extend_select:  # lint_documents takes no extend_select: fold it in as build_filter would
        select = [*(select or loaded.config.select or ["RB"]), *extend_select]
    quiet = dataclasses.replace(options, progress=False)

    def relint(contents: dict[str, bytes]) -> Report:
        documents: dict[str, str | bytes] = dict(contents)
        return lint_documents(
            documents, config=loaded, kind=kind, root=Path.cwd(), select=select, ignore=ignore, options=quiet
        )

    return relint
