"""`rb-lint check`: lint paths and report. Exit 0 clean, 1 findings, 2 usage/internal, 130 Ctrl-C."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from rb_lint.api import lint
from rb_lint.cli.common import EXIT_CLEAN, EXIT_ERROR, fail, guarded
from rb_lint.core.config import ConfigError, load_config, relative_posix
from rb_lint.core.context import Options
from rb_lint.core.engine import Report
from rb_lint.core.findings import Severity
from rb_lint.core.globs import literal
from rb_lint.io import baseline as baselines
from rb_lint.models.kinds import KINDS
from rb_lint.reporters import REPORTERS, RenderOptions, github
from rb_lint.reporters.text import terminal_safe

LEVELS = ["error", "warning", "info"]


def _codes(values: tuple[str, ...]) -> list[str]:
    return [code.strip().upper() for value in values for code in value.split(",") if code.strip()]


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--taxonomy",
    type=click.Path(path_type=Path),
    help="Taxonomy JSON to check categories against (overrides config).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(sorted(REPORTERS)),
    default=None,
    help="Output format [default: text; github when GITHUB_ACTIONS=true and the report goes to stdout].",
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the report here.")
@click.option("--select", multiple=True, help="Rule codes or prefixes to run (replaces config).")
@click.option("--extend-select", multiple=True, help="Rule codes or prefixes to add.")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to skip.")
@click.option(
    "--fail-on",
    type=click.Choice(LEVELS),
    default=None,
    help="Lowest severity that fails the run [default: error].",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings fail the run.")
@click.option(
    "--baseline",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Report only findings not recorded in this baseline file.",
)
@click.option(
    "--update-baseline",
    is_flag=True,
    help="Record every current finding in the --baseline file (created or replaced).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="Config file (default: rb-lint.toml or pyproject.toml found upward).",
)
@click.option("--kind", type=click.Choice(KINDS), help="Lint every file as this kind.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes for masks.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the mask scan cache.")
@click.option("--statistics", is_flag=True, help="Count findings per rule.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the summary.")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of internal errors.")
@guarded
def check(
    paths: tuple[Path, ...],
    taxonomy: Path | None,
    output_format: str | None,
    output: Path | None,
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str | None,
    exit_zero: bool,
    baseline: Path | None,
    update_baseline: bool,
    config_path: Path | None,
    kind: str | None,
    jobs: int | None,
    no_cache: bool,
    statistics: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Lint PATHS (files, or directories walked for *.json; default: .)."""
    if update_baseline and baseline is None:
        raise ConfigError("--update-baseline needs --baseline FILE")
    targets = list(paths) or [Path(".")]
    loaded = load_config(config_path, targets[0])
    if baseline is not None:  # the baseline is JSON, but not a document to lint
        loaded.config.extend_exclude.append("/" + literal(relative_posix(baseline, loaded.root)))
    options = Options(
        taxonomy=taxonomy,
        jobs=jobs,
        use_cache=not no_cache,
        progress=sys.stderr.isatty() and not quiet,
        verbose=verbose,
    )
    report = lint(
        targets,
        config=loaded,
        kind=kind,
        select=_codes(select) or None,
        ignore=_codes(ignore),
        extend_select=_codes(extend_select),
        options=options,
    )
    if baseline is not None:
        report = _apply_baseline(report, baseline, update_baseline, quiet)
    level = Severity.parse(fail_on or loaded.config.fail_on)
    output_format = output_format or _default_format(output)
    rendered = REPORTERS[output_format](
        report,
        RenderOptions(
            color=_use_color(output, output_format), statistics=statistics, quiet=quiet, fail_on=level
        ),
    )
    # JSON may hold lone surrogates ("\ud800"): print them escaped rather than fail to encode.
    rendered = rendered.encode("utf-8", "backslashreplace").decode("utf-8")
    if output is not None:
        _write_output(output, rendered)
    else:
        click.echo(rendered, nl=False)
    for error in report.errors:  # may quote data (paths, pointers): made inert, tracebacks kept on lines
        lines = error.split("\n") if verbose else [error]
        click.echo("rb-lint: error: " + "\n".join(terminal_safe(line) for line in lines), err=True)
    _append_step_summary(report)
    code = report.exit_code(level)
    sys.exit(EXIT_ERROR if code == EXIT_ERROR else (EXIT_CLEAN if exit_zero else code))


def _write_output(path: Path, text: str) -> None:
    """The report appears whole or not at all (Ctrl-C, a full disk): it is written to a temporary
    file in the same folder, then renamed over `path`. A missing folder is a usage error."""
    target = Path(os.path.realpath(path))  # through a symlink, as writing to it would
    if not target.parent.is_dir():
        fail(f"cannot write the report to {path}: folder {path.parent} does not exist")
    if target.is_dir():
        fail(f"cannot write the report to {path}: it is a folder")
    try:
        mode = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_umask()
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        fail(f"cannot write the report to {path}: {error.strerror or error}")
    try:
        with open(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            fail(f"cannot write the report to {path}: {error.strerror or error}")
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _default_format(output: Path | None) -> str:
    """Annotations when running in GitHub Actions, as ruff and other linters do."""
    in_actions = os.environ.get("GITHUB_ACTIONS") == "true"
    return "github" if in_actions and output is None else "text"


def _apply_baseline(report: Report, path: Path, update: bool, quiet: bool) -> Report:
    if update:
        count = baselines.write(report, path)
        click.echo(f"rb-lint: recorded {count} finding{'s' if count != 1 else ''} in {path}", err=True)
    applied = baselines.apply(report, path)
    if applied.stale and not quiet:
        gone = "finding no longer occurs" if applied.stale == 1 else "findings no longer occur"
        click.echo(
            f"rb-lint: {applied.stale} baselined {gone}: `--update-baseline` drops "
            f"{'it' if applied.stale == 1 else 'them'} from {path}",
            err=True,
        )
    return applied.report


def _append_step_summary(report: Report) -> None:
    """The Markdown job summary, when GitHub Actions provides a file for it."""
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not summary_path:
        return
    try:
        with open(summary_path, "a", encoding="utf-8") as handle:
            handle.write(github.step_summary(report))
    except OSError as error:
        click.echo(f"rb-lint: warning: cannot write the job summary: {error}", err=True)


def _use_color(output: Path | None, output_format: str | None) -> bool:
    if output is not None or output_format not in (None, "text") or "NO_COLOR" in os.environ:
        return False
    return sys.stdout.isatty()
