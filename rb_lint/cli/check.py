"""`rb-lint check`: lint paths and report. Exit 0 clean, 1 findings, 2 usage/internal, 130 Ctrl-C.

The options need only static names (kinds, formats), so `rb-lint --help` and the other commands do
not import the API, pydantic or numpy; the functions import what they use when the command runs.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from rb_lint.cli.common import EXIT_CLEAN, EXIT_ERROR, KindChoice, fail, guarded, warn
from rb_lint.models.kind_names import KIND_ALIASES, KINDS
from rb_lint.reporters import FORMATS

if TYPE_CHECKING:
    from rb_lint.core.config import LoadedConfig
    from rb_lint.core.context import Options
    from rb_lint.core.engine import Report

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
    type=click.Choice(sorted(FORMATS)),
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
@click.option("--kind", type=KindChoice(KINDS, KIND_ALIASES), help="Lint every file as this kind.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes for masks.")
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    help="Where masks are scanned: this machine's processes, or a Dask cluster [default: local].",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Dask scheduler address (tcp://host:8786) [default: a local cluster on 127.0.0.1]; "
    "implies --executor dask.",
)
@click.option("--no-cache", is_flag=True, help="Do not read or write the mask scan cache.")
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Mask scan cache folder (overrides RB_LINT_CACHE_DIR and `cache-dir` in the config).",
)
@click.option(
    "--storage",
    metavar="URL",
    help="Where items written as storage keys live (s3://bucket/prefix, gs://bucket, az://container, "
    "https://host/path); overrides `default` in [tool.rb-lint.storage]. Allows network access.",
)
@click.option(
    "--label-storage",
    metavar="URL",
    help="Where segmentations written as storage keys live [default: --storage]; overrides `labels`.",
)
@click.option("--remote", is_flag=True, help="Fetch and check full URLs (s3://, gs://, az://, https://) too.")
@click.option(
    "--staged-deletions",
    is_flag=True,
    help="Also lint the documents that reference files whose deletion or rename is staged in git.",
)
@click.option(
    "--stdin-filename",
    metavar="PATH",
    help="The name of the document read from `-` (standard input): for messages, config, excludes "
    "and relative mask paths [default: -].",
)
@click.option("--statistics", is_flag=True, help="Count findings per rule.")
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the text output (auto: on a terminal; FORCE_COLOR forces, NO_COLOR or TERM=dumb disables).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print the findings only: no summary, no notes.")
@click.option(
    "-s", "--silent", is_flag=True, help="Print nothing: the exit code tells (errors still on stderr)."
)
@click.option("--show-settings", is_flag=True, help="Print the resolved settings and exit without linting.")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of internal errors.")
@click.option("--fix", is_flag=True, help="Apply the safe fixes to the files (their formatting is kept).")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff, apply the unsafe fixes too.")
@click.option(
    "--diff",
    is_flag=True,
    help="Print the fixes as a unified diff instead of writing them; exit 1 if there would be changes.",
)
@click.option("--show-fixes", is_flag=True, help="List the fixes applied (with --fix) or available.")
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
    cache_dir: Path | None,
    statistics: bool,
    quiet: bool,
    verbose: bool,
    stdin_filename: str | None = None,
    color: str = "auto",
    silent: bool = False,
    show_settings: bool = False,
    staged_deletions: bool = False,
    storage: str | None = None,
    label_storage: str | None = None,
    remote: bool = False,
    executor: str | None = None,
    scheduler: str | None = None,
    fix: bool = False,
    unsafe_fixes: bool = False,
    diff: bool = False,
    show_fixes: bool = False,
) -> None:
    """Lint PATHS (files, or directories walked for *.json; default: .; `-`: one document read from
    standard input, named by --stdin-filename)."""
    from rb_lint.api import lint
    from rb_lint.core.config import ConfigError, load_config
    from rb_lint.core.context import Options
    from rb_lint.core.findings import Severity
    from rb_lint.reporters import RenderOptions, reporter
    from rb_lint.reporters.text import terminal_safe

    if update_baseline and baseline is None:
        raise ConfigError("--update-baseline needs --baseline FILE")
    from_stdin = _reads_stdin(paths, stdin_filename)
    removed = _staged_removals() if staged_deletions else []
    targets = list(paths) or ([] if staged_deletions else [Path(".")])
    if from_stdin:
        targets = [Path(stdin_filename or "-")]
    if not targets and not removed:
        sys.exit(EXIT_CLEAN)  # --staged-deletions, no path and nothing deleted: nothing to check
    loaded = load_config(config_path, (targets or removed)[0])
    if baseline is not None:  # the baseline is JSON, but not a document to lint
        loaded.config.extend_exclude.append(_baseline_exclude(baseline, loaded.root))
    options = Options(
        taxonomy=taxonomy,
        jobs=jobs,
        executor=executor,
        scheduler=scheduler,
        use_cache=not no_cache,
        cache_dir=cache_dir,
        progress=sys.stderr.isatty() and not (quiet or silent),
        verbose=verbose,
        storage=_storage_option("--storage", storage),
        label_storage=_storage_option("--label-storage", label_storage),
        remote=remote,
    )
    if show_settings:
        _show_settings(
            loaded, options, _codes(select) or None, _codes(ignore), _codes(extend_select), fail_on
        )
        return

    def lint_targets() -> Report:
        return lint(
            targets,
            config=loaded,
            kind=kind,
            select=_codes(select) or None,
            ignore=_codes(ignore),
            extend_select=_codes(extend_select),
            options=options,
            removed=removed,
        )

    if from_stdin:
        report = _lint_stdin(
            stdin_filename,
            loaded,
            kind,
            _codes(select) or None,
            _codes(ignore),
            _codes(extend_select),
            options,
        )
    else:
        report = lint_targets()
    fixing = None
    if fix or diff:  # the fixes, applied until stable; then the report is of the fixed files
        from rb_lint.cli import fixing as fixes

        if from_stdin:
            raise ConfigError("--fix and --diff change files: they do not read standard input")
        relint = fixes.relinter(
            loaded, kind, _codes(select) or None, _codes(ignore), _codes(extend_select), options
        )
        fixing = fixes.fix_in_memory(report, relint, unsafe_fixes)
        if diff:
            fixes.exit_after_diff(fixing, report)
        fixes.write_all(fixing)
        if fixing.changed:
            report = lint_targets()
    suppressed = 0
    if baseline is not None:
        report, suppressed = _apply_baseline(report, baseline, update_baseline, quiet or silent)
    if _nothing_checked(report, targets) and not (quiet or silent):
        warn("no JSON files to check under the given paths (none there, or all excluded)")
    level = Severity.parse(fail_on or loaded.config.fail_on)
    output_format = output_format or _default_format(output)
    colored = _use_color(color, output, output_format)
    rendered = reporter(output_format)(
        report,
        RenderOptions(
            color=colored,
            statistics=statistics,
            quiet=quiet,
            fail_on=level,
            suppressed=suppressed,
            fingerprint_base=_fingerprint_base(baseline) if baseline is not None else None,
        ),
    )
    # JSON may hold lone surrogates ("\ud800"): print them escaped rather than fail to encode.
    rendered = rendered.encode("utf-8", "backslashreplace").decode("utf-8")
    if output is not None:
        _write_output(output, rendered)
    elif not silent:
        click.echo(rendered, nl=False, color=colored)  # click would strip the colour off a pipe
    for error in report.errors:  # may quote data (paths, pointers): made inert, tracebacks kept on lines
        lines = error.split("\n") if verbose else [error]
        click.echo("rb-lint: error: " + "\n".join(terminal_safe(line) for line in lines), err=True)
    if fixing is not None or show_fixes:
        from rb_lint.cli import fixing as fixes

        fixes.print_summary(fixing, report, unsafe_fixes, show_fixes, quiet or silent)
    _append_step_summary(report, suppressed)
    code = report.exit_code(level)
    sys.exit(EXIT_ERROR if code == EXIT_ERROR else (EXIT_CLEAN if exit_zero else code))


def _storage_option(name: str, value: str | None) -> str | None:
    from rb_lint.core.config import ConfigError, storage_url_problem

    problem = None if value is None else storage_url_problem(value)
    if problem is not None:
        raise ConfigError(f"{name}: {problem}")
    return value


def _staged_removals() -> list[Path]:
    from rb_lint.cli.staged import staged_removals  # runs git: only with --staged-deletions

    return staged_removals()


def _fingerprint_base(baseline: Path) -> Path:
    from rb_lint.io import baseline as baselines

    return baselines.fingerprint_base(baseline)


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


def _apply_baseline(report: Report, path: Path, update: bool, quiet: bool) -> tuple[Report, int]:
    """The findings not in the baseline, and how many it suppressed."""
    from rb_lint.io import baseline as baselines

    if update:
        count = baselines.write(report, path)
        if not quiet:
            click.echo(f"rb-lint: recorded {count} finding{'s' if count != 1 else ''} in {path}", err=True)
    applied = baselines.apply(report, path)
    if applied.stale and not quiet:
        gone = "finding no longer occurs" if applied.stale == 1 else "findings no longer occur"
        click.echo(
            f"rb-lint: {applied.stale} baselined {gone}: `--update-baseline` drops "
            f"{'it' if applied.stale == 1 else 'them'} from {path}",
            err=True,
        )
    return applied.report, applied.suppressed


def _baseline_exclude(baseline: Path, root: Path) -> str:
    """An exclude pattern for the baseline file wherever it is, so it is never linted as a document:
    anchored at the root when it is inside; a file outside the root is matched by its absolute
    path, which only an unanchored pattern reaches (`**/abs/path`)."""
    from rb_lint.core.config import relative_posix
    from rb_lint.core.globs import literal

    relative = relative_posix(baseline, root)
    return ("**" if relative.startswith("/") else "/") + literal(relative)


def _nothing_checked(report: Report, targets: list[Path]) -> bool:
    """Paths were given (or defaulted) and no document came of them: worth a warning, as ruff's
    "No Python files found". Not for masks (the mask hook: no document uses them is no problem),
    nor for runs without paths (`--staged-deletions` alone)."""
    from rb_lint.io.discovery import is_mask_path

    return bool(targets) and not report.files and not any(is_mask_path(t) for t in targets)


def _reads_stdin(paths: tuple[Path, ...], stdin_filename: str | None) -> bool:
    """`-` (or `--stdin-filename` without paths) lints one document read from standard input."""
    from rb_lint.core.config import ConfigError

    dash = any(str(p) == "-" for p in paths)
    if dash and len(paths) > 1:
        raise ConfigError("`-` (standard input) cannot be combined with other paths")
    if stdin_filename is not None and paths and not dash:
        raise ConfigError("--stdin-filename names the document read from `-`: do not give other paths")
    if stdin_filename is not None and not stdin_filename.strip():
        raise ConfigError("--stdin-filename must not be empty")
    return dash or stdin_filename is not None


def _lint_stdin(
    name: str | None,
    loaded: LoadedConfig,
    kind: str | None,
    select: list[str] | None,
    ignore: list[str],
    extend_select: list[str],
    options: Options,
) -> Report:
    """The document on standard input, linted as the file `name` would be (`-` when unnamed): its
    path is relative to the working directory, config excludes and per-file ignores apply to it,
    and relative mask paths resolve against its folder."""
    from rb_lint.api import lint_documents
    from rb_lint.io.discovery import display_path, is_excluded

    raw = sys.stdin.buffer.read()
    display = display_path(Path(name)) if name is not None else "-"
    excluded = name is not None and is_excluded(Path(name), loaded.root, loaded.exclude_patterns)
    if extend_select:  # lint_documents takes no extend_select: fold it in as build_filter would
        select = [*(select or loaded.config.select or ["RB"]), *extend_select]
    return lint_documents(
        {} if excluded else {display: raw},
        config=loaded,
        kind=kind,
        root=Path.cwd(),
        select=select,
        ignore=ignore,
        options=options,
    )


def _show_settings(
    loaded: LoadedConfig,
    options: Options,
    select: list[str] | None,
    ignore: list[str],
    extend_select: list[str],
    fail_on: str | None,
) -> None:
    """What a run with these options would use, resolved (`--show-settings`), one `key: value` a line."""
    from rb_lint.core.config import cache_directory
    from rb_lint.core.context import Context
    from rb_lint.core.engine import build_filter
    from rb_lint.reporters.text import terminal_safe
    from rb_lint.rules import indexed_rules  # the index: no family is imported

    rule_filter = build_filter(Context(loaded, [], options), indexed_rules(), select, ignore, extend_select)
    rules = rule_filter.selected_rules()
    if options.taxonomy is not None:
        taxonomy = f"{options.taxonomy} (--taxonomy)"
    elif loaded.config.taxonomy:
        taxonomy = f"{loaded.root / loaded.config.taxonomy} (config)"
    else:
        taxonomy = "none (a single taxonomy among the linted files is used)"
    cache = cache_directory(loaded, options.cache_dir)
    lines = [
        f"project root: {loaded.root}",
        f"config file: {loaded.source.resolve() if loaded.source is not None else 'none'}",
        f"taxonomy: {taxonomy}",
        f"fail-on: {fail_on or loaded.config.fail_on}",
        f"exclude: {', '.join(loaded.exclude_patterns) or 'none'}",
        f"cache dir: {cache}{'' if options.use_cache else ' (not used: --no-cache)'}",
        *_storage_settings(loaded, options),
        f"enabled rules ({len(rules)}): {', '.join(r.code for r in rules) or 'none'}",
    ]
    click.echo("\n".join(terminal_safe(line) for line in lines))


def _storage_settings(loaded: LoadedConfig, options: Options) -> list[str]:
    """The storages a run would use (`--show-settings`): URLs only, never a credential."""
    table = loaded.config.storage
    default = options.storage or table.default
    labels = options.label_storage or table.labels or default
    network = bool(default or labels or table.by_id or options.remote or table.remote)
    lines = [
        f"storage: {default or 'none'}{' (--storage)' if options.storage else ''}",
        f"label storage: {labels or 'none'}{' (--label-storage)' if options.label_storage else ''}",
    ]
    lines += [f"storage {key}: {prefix}" for key, prefix in sorted(table.by_id.items())]
    lines.append(
        f"network access: {'yes' if network else 'no (nothing mapped, no --remote)'}"
        f"{'; full URLs fetched' if network else ''}"
    )
    if network:
        lines.append(
            f"storage requests: timeout {table.timeout:g} s, {table.retries} retries"
            f"{', anonymous' if table.anonymous else ''}"
            f"{f', endpoint {_shown_url(table.endpoint_url)}' if table.endpoint_url else ''}"
        )
    return lines


def _shown_url(url: str) -> str:
    """A URL without a `user:password@` part (never print a credential)."""
    scheme, separator, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme}{separator}{host.rpartition('@')[2]}{slash}{path}"


def _append_step_summary(report: Report, suppressed: int = 0) -> None:
    """The Markdown job summary, when GitHub Actions provides a file for it."""
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not summary_path:
        return
    from rb_lint.reporters import github

    try:
        with open(summary_path, "a", encoding="utf-8") as handle:
            handle.write(github.step_summary(report, suppressed))
    except OSError as error:
        click.echo(f"rb-lint: warning: cannot write the job summary: {error}", err=True)


def _use_color(choice: str, output: Path | None, output_format: str) -> bool:
    """`--color always|never`; `auto`: a terminal on stdout, unless the environment says otherwise.
    FORCE_COLOR (non-empty) forces colour, NO_COLOR (non-empty) or TERM=dumb disables it
    (https://force-color.org, https://no-color.org); a report written with -o is never coloured."""
    if output_format not in ("text", "grouped") or choice == "never":
        return False
    if choice == "always":
        return True
    if output is not None:
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout.isatty()
