"""A `Bundle` linted by the library (never a subprocess), and the report rendered as asked.

`lint_bundle` blocks (it reads and scans files): call it from a worker thread, never on the
event loop. It is what `rb-lint check` does in the bundle's folder, with the service's safety:
nothing outside the bundle is opened (`confine`), no mask cache, one process.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.requests import Request

from rb_lint.core.config import ConfigError, LoadedConfig, parse_config
from rb_lint.core.context import Options, RunObserver
from rb_lint.core.engine import Report
from rb_lint.core.findings import Severity
from rb_lint.core.rule import Rule
from rb_lint.service.bundle import Bundle
from rb_lint.service.problems import ProblemError
from rb_lint.service.settings import ServeSettings

if TYPE_CHECKING:
    from rb_lint.reporters import RenderOptions

# Format -> the media type it is answered with; the first format of a media type wins in `Accept`.
MEDIA_TYPES = {
    "json": "application/json",
    "sarif": "application/sarif+json",
    "junit": "application/xml",
    "text": "text/plain; charset=utf-8",
    "json-lines": "application/x-ndjson",
    "github": "text/plain; charset=utf-8",
    "grouped": "text/plain; charset=utf-8",
}
_ACCEPTED = {
    "application/json": "json",
    "application/sarif+json": "sarif",
    "application/xml": "junit",
    "text/xml": "junit",
    "text/plain": "text",
    "application/x-ndjson": "json-lines",
    "application/jsonl": "json-lines",
    "application/json-lines": "json-lines",
    "*/*": "json",
    "application/*": "json",
    "text/*": "text",
}
STORED_VERSION = 1  # of `stored_report`'s JSON (a jobs folder lives as long as its server)
_RULE_FAILED = re.compile(r"^(?P<head>.*?: rule RB\d{3} \([a-z0-9-]+\) failed: )(?P<type>[A-Za-z_][\w.]*)")


def lint_bundle(bundle: Bundle, settings: ServeSettings, observer: RunObserver | None = None) -> Report:
    """Lint `bundle` as `rb-lint check` would in its folder, confined to it. Raises `ProblemError`:
    422 for a usage problem (an unknown rule code), 500 when a rule failed (the report's errors,
    one line each, without the data they may quote). `observer` may raise `RunCancelled`."""
    from rb_lint.api import lint, lint_documents

    options = Options(taxonomy=bundle.taxonomy, jobs=1, use_cache=False, confine=True, observer=observer)
    try:
        parsed = bundle.parsed or parse_config(bundle.config, "config")
        loaded = LoadedConfig(parsed, bundle.root, bundle.source)
        if bundle.documents is not None:  # the same findings, without writing the files first
            report = lint_documents(
                bundle.documents,
                config=loaded,
                kind=bundle.kind,
                root=bundle.root,
                select=bundle.select,
                ignore=bundle.ignore,
                options=options,
            )
        else:
            report = lint(
                bundle.paths,
                config=loaded,
                kind=bundle.kind,
                select=bundle.select,
                ignore=bundle.ignore,
                options=options,
                display_root=bundle.root,
            )
    except ConfigError as error:
        raise ProblemError(422, _without_root(str(error), bundle.root)) from None
    # The server's folders are no business of the client's: messages name bundle paths.
    report.findings = [replace(f, message=_without_root(f.message, bundle.root)) for f in report.findings]
    if report.errors:
        errors = [_one_line(error, bundle.root) for error in report.errors]
        raise ProblemError(500, "a rule failed: the findings would be incomplete", extra={"errors": errors})
    return report


def _without_root(message: str, root: Path) -> str:
    """A message with the bundle's folder left out (a client knows its files by bundle path)."""
    return message.replace(f"{root}/", "").replace(str(root), ".")


def _one_line(error: str, root: Path) -> str:
    """An internal error's first line; a failed rule's exception message (which may quote the
    data) is left out, its type kept."""
    line = _without_root(error.split("\n", 1)[0], root)
    failed = _RULE_FAILED.match(line)
    return failed.group("head") + failed.group("type") if failed else line


def render_report(report: Report, bundle: Bundle, fmt: str) -> tuple[str, str]:
    """(the report in format `fmt`, its media type). Paths and fingerprints are relative to the
    bundle's folder, as `cd bundle && rb-lint check ... --format FMT` writes them."""
    from rb_lint.reporters import reporter

    return reporter(fmt)(report, _render_options(bundle)), MEDIA_TYPES[fmt]


def _render_options(bundle: Bundle) -> RenderOptions:
    from rb_lint.reporters import RenderOptions

    return RenderOptions(fail_on=_fail_on(bundle), fingerprint_base=bundle.root, path_origin=bundle.root)


def stored_report(report: Report, bundle: Bundle) -> str:
    """`report` as JSON text from which `render_stored` writes every format as `render_report`
    does, in any process, once the bundle is gone: the report (rules by code), the render
    options, and what rendering reads from the bundle's files (fingerprints, SARIF locations),
    read now."""
    from rb_lint.reporters import resolve_paths

    options = _render_options(bundle)
    return json.dumps(
        {
            "version": STORED_VERSION,
            "report": report.to_dict(),
            "fail-on": str(options.fail_on),
            "origin": str(bundle.root),
            "resolved": resolve_paths(report, options).to_dict(),
        }
    )


def render_stored(text: str, fmt: str) -> tuple[str, str]:
    """(the report `stored_report` wrote, in format `fmt`; its media type). ValueError when the
    text is not such a report."""
    from rb_lint.reporters import RenderOptions, ResolvedPaths, reporter

    try:
        stored = json.loads(text)
        if stored["version"] != STORED_VERSION:
            raise ValueError(f"stored report version {stored['version']}")
        report = Report.from_dict(stored["report"], _rules_by_code())
        origin = Path(stored["origin"])
        options = RenderOptions(
            fail_on=Severity.parse(stored["fail-on"]),
            fingerprint_base=origin,
            path_origin=origin,
            resolved=ResolvedPaths.from_dict(stored["resolved"]),
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"not a stored report: {type(error).__name__}") from None
    return reporter(fmt)(report, options), MEDIA_TYPES[fmt]


@functools.cache
def _rules_by_code() -> dict[str, Rule]:
    """The rules a lint reports (`rb_lint.api.ALL_RULES`), by code."""
    from rb_lint.api import ALL_RULES

    return {rule.code: rule for rule in ALL_RULES}


def _fail_on(bundle: Bundle) -> Severity:
    value = bundle.config.get("fail-on", bundle.config.get("fail_on", "error"))
    try:
        return Severity.parse(str(value))
    except ValueError:
        return Severity.ERROR


def negotiate_format(request: Request) -> str:
    """The report format: `?format=` if given, else the best `Accept` media type, else JSON.
    406 problem when nothing asked for can be written."""
    asked = request.query_params.get("format")
    if asked is not None:
        if asked not in MEDIA_TYPES:
            raise ProblemError(406, f"unknown format: use one of {', '.join(MEDIA_TYPES)}")
        return asked
    accept = request.headers.get("accept", "").strip()
    if not accept:
        return "json"
    chosen = _best_accepted(accept)
    if chosen is None:
        raise ProblemError(406, f"no report format for this Accept header: {', '.join(sorted(_ACCEPTED))}")
    return chosen


def _best_accepted(accept: str) -> str | None:
    """The format of the acceptable media range with the highest quality (the first on ties)."""
    best: tuple[float, int, str] | None = None
    for index, item in enumerate(accept.split(",")[:32]):
        media, *parameters = (part.strip() for part in item.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        fmt = _ACCEPTED.get(media.lower())
        if fmt is None or quality <= 0:
            continue
        if best is None or (quality, -index) > (best[0], best[1]):
            best = (quality, -index, fmt)
    return best[2] if best is not None else None
