"""`rb-lint serve`: the validation service (HTTP API and browser page; the `serve` extra).

The options need nothing heavy; the service (FastAPI, uvicorn) is imported when the command runs,
so `rb-lint --help` and `check` never load it.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path

import click

from rb_lint.cli.common import fail, guarded, warn

# What the `serve` extra installs (python-multipart is imported as `python_multipart`, or
# `multipart` before 0.0.13).
SERVE_MODULES = (("fastapi",), ("uvicorn",), ("python_multipart", "multipart"), ("prometheus_client",))
_SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]i?b?|b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def _byte_size(_ctx: click.Context, param: click.Parameter, value: str | int) -> int:
    """A size in bytes: `1048576`, `100MB`, `1GiB` (binary units)."""
    if isinstance(value, int):
        return value
    match = _SIZE.match(value)
    if match is None or int(match.group(1)) < 1:
        raise click.BadParameter(f"{value!r} is not a size (write 1048576, 100MB or 1GiB)", param=param)
    unit = (match.group(2) or "").lower()[:1]
    return int(match.group(1)) * _UNITS[unit]


@click.command("serve")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default)."
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port (0: a free one)."
)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Server processes.")
@click.option(
    "--root",
    "roots",
    multiple=True,
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help='A folder whose files `{"paths": [...]}` requests may lint (repeatable); nothing outside is read.',
)
@click.option(
    "--remote-root",
    "remote_roots",
    multiple=True,
    metavar="PREFIX",
    help='A storage prefix (s3://bucket/data/, gs://, az://, https://) whose objects `{"paths": [...]}` '
    "requests may lint (repeatable); nothing outside is fetched. Credentials and endpoints: the "
    "provider's standard environment.",
)
@click.option(
    "--token",
    envvar="RB_LINT_TOKEN",
    show_envvar=True,
    help="Require `Authorization: Bearer TOKEN` on /v1/* and /metrics (prefer the environment variable).",
)
@click.option(
    "--max-body",
    metavar="SIZE",
    callback=_byte_size,
    default="100MB",
    show_default=True,
    help="Largest request body (413).",
)
@click.option(
    "--max-files",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Most files in a bundle (413).",
)
@click.option(
    "--max-uncompressed-bytes",
    metavar="SIZE",
    callback=_byte_size,
    default="4GiB",
    show_default=True,
    help="Voxel data a mask header may promise (clients may only lower it).",
)
@click.option(
    "--max-concurrency",
    type=click.IntRange(min=1),
    help="Lint requests at once per process, beyond it 429 [default: twice the workers].",
)
@click.option(
    "--request-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds a synchronous lint may take (then 503; bigger inputs go to /v1/jobs).",
)
@click.option(
    "--job-workers", type=click.IntRange(min=1), default=1, show_default=True, help="Jobs linted at once."
)
@click.option(
    "--max-jobs",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Jobs kept (queued, running, or finished and not expired); beyond it 503.",
)
@click.option(
    "--job-ttl",
    type=click.FloatRange(min=0, min_open=True),
    default=3600.0,
    show_default=True,
    help="Seconds a finished job and its report are kept.",
)
@click.option(
    "--cors-origin", "cors_origins", multiple=True, help="Allow browser calls from ORIGIN (repeatable)."
)
@click.option(
    "--access-log",
    is_flag=True,
    help="Log one line a request on stderr: method, route template, status, duration (nothing sent).",
)
@guarded
def serve(
    host: str,
    port: int,
    workers: int,
    roots: tuple[Path, ...],
    remote_roots: tuple[str, ...],
    token: str | None,
    max_body: int,
    max_files: int,
    max_uncompressed_bytes: int,
    max_concurrency: int | None,
    request_timeout: float,
    job_workers: int,
    max_jobs: int,
    job_ttl: float,
    cors_origins: tuple[str, ...],
    access_log: bool,
) -> None:
    """Run the validation service: the HTTP API (/v1/lint, /v1/jobs, /docs) and the browser page (/).

    Listens on 127.0.0.1:8000 by default; the URL is printed on stderr once listening.
    """
    _require_extra()
    from rb_lint.service import serve as run
    from rb_lint.service.server import BindError
    from rb_lint.service.settings import ServeSettings

    settings = ServeSettings(
        host=host,
        port=port,
        workers=workers,
        roots=_checked_roots(roots),
        remote_roots=_checked_remote_roots(remote_roots),
        token=token or None,
        max_body=max_body,
        max_files=max_files,
        max_concurrency=max_concurrency,
        max_uncompressed_bytes=max_uncompressed_bytes,
        request_timeout=request_timeout,
        job_workers=job_workers,
        max_jobs=max_jobs,
        job_ttl=job_ttl,
        cors_origins=cors_origins,
        access_log=access_log,
    )

    def listening(url: str) -> None:
        click.echo(f"rb-lint: serving on {url}", err=True)
        if not _is_loopback(host) and not settings.token:
            warn(f"listening on {host} without a token: anyone who reaches it can use it (set RB_LINT_TOKEN)")

    try:
        run(settings, on_listening=listening)
    except BindError as error:
        fail(str(error))


def _require_extra() -> None:
    from importlib.util import find_spec

    missing = [names[0] for names in SERVE_MODULES if all(find_spec(name) is None for name in names)]
    if missing:
        fail(f"`rb-lint serve` needs {', '.join(missing)}: pip install 'rb-lint[serve]'")


def _checked_roots(roots: tuple[Path, ...]) -> tuple[Path, ...]:
    real = tuple(Path(os.path.realpath(root)) for root in roots)
    names = [root.name for root in real]
    if len(set(names)) != len(names):
        fail("two --root folders have the same name (requests name a root by its folder name)")
    return real


def _checked_remote_roots(prefixes: tuple[str, ...]) -> tuple[str, ...]:
    from rb_lint.service.remote import normalised_root

    try:
        return tuple(dict.fromkeys(normalised_root(prefix) for prefix in prefixes))
    except ValueError as error:
        fail(f"--remote-root: {error}")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
