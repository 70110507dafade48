"""Running the service with uvicorn: one process, or several workers sharing one socket.

The socket is bound here, before uvicorn starts, so a busy port is a one-line error (`BindError`)
and port 0 yields the port the system chose. Access logging is off (a request line may carry what
a client sent); uvicorn logs warnings and errors only.

With several workers, the jobs' private folder is made here too, before any worker starts (every
process answers for every job from it: `rb_lint.service.jobs`), and removed once they all stopped;
one process makes its own with its first job. Either way, the jobs folders that servers of this
user left when killed (SIGKILL) are removed at start-up (`remove_stale_jobs_folders`).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from rb_lint.service.settings import TOKEN_VARIABLE, ServeSettings

if TYPE_CHECKING:
    import uvicorn

LOG_LEVEL = "warning"
BACKLOG = 2048


class BindError(Exception):
    """The address cannot be listened on (in use, not local, not permitted)."""


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) and listening; port 0 picks a free one."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise BindError(
            f"cannot listen on {host}:{port}: {getattr(error, 'strerror', None) or error}"
        ) from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError as error:
        sock.close()
        raise BindError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    sock.set_inheritable(True)  # uvicorn's worker processes serve it
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def run(settings: ServeSettings, on_listening: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted. `on_listening(url)` is called once the socket listens."""
    import uvicorn

    from rb_lint.service.jobs import make_jobs_folder, remove_jobs_folder, remove_stale_jobs_folders

    _remove_stale_uploads()
    sock = listening_socket(settings.host, settings.port)
    jobs_dir: Path | None = None
    try:
        if settings.workers > 1:
            jobs_dir = make_jobs_folder()  # the stale folders of killed servers go first
            _run_workers(replace(settings, jobs_dir=jobs_dir), sock, on_listening)
            return
        from rb_lint.service.app import create_app

        remove_stale_jobs_folders()  # now, not with this process's first job (`make_jobs_folder`)
        config = uvicorn.Config(create_app(settings), access_log=False, log_level=LOG_LEVEL, lifespan="on")
        server = _started_server(config, lambda: on_listening(url_of(sock)) if on_listening else None)
        server.run(sockets=[sock])
    finally:
        sock.close()
        if jobs_dir is not None:
            remove_jobs_folder(jobs_dir)


def _remove_stale_uploads() -> None:
    """The uploads and empty folders of this user's servers killed while they ran (`stale`)."""
    from rb_lint.service.bundle import EMPTY_PREFIX, TEMP_PREFIX
    from rb_lint.service.stale import remove_stale_owned

    for base in (TEMP_PREFIX, EMPTY_PREFIX):
        remove_stale_owned(base)


def _run_workers(
    settings: ServeSettings, sock: socket.socket, on_listening: Callable[[str], None] | None
) -> None:
    """Several processes: each builds the app from the settings uvicorn's factory reads back
    from the environment (the token from RB_LINT_TOKEN only)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from rb_lint.service.app import SETTINGS_VARIABLE, settings_to_environment

    os.environ[SETTINGS_VARIABLE] = settings_to_environment(settings)
    if settings.token:
        os.environ[TOKEN_VARIABLE] = settings.token
    else:
        os.environ.pop(TOKEN_VARIABLE, None)
    config = uvicorn.Config(
        "rb_lint.service.app:app_from_environment",
        factory=True,
        workers=settings.workers,
        access_log=False,
        log_level=LOG_LEVEL,
    )
    if on_listening is not None:
        on_listening(url_of(sock))  # listening already: connections wait until a worker accepts
    Multiprocess(config, sockets=[sock]).run()


def _started_server(config: uvicorn.Config, started: Callable[[], None]) -> uvicorn.Server:
    """uvicorn's Server, telling when it has started (the caller prints the URL then)."""
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                started()

    return Server(config)
