"""Temporary folders a killed server left behind, and how the next server of the same user proves
them stale before it removes them.

SIGKILL (or a crash) runs no clean-up: an upload being linted stays in the temporary directory,
with whatever patient data the client sent. So an upload bundle, and the empty folder in-memory
lints use, name their process in their own name (`owned_prefix`: `rb-lint-serve-<PID namespace>-
<pid>-...`), never in a file inside, where a client's file could pose as it. At start-up a server
removes the folders of its kind whose process is gone (`remove_stale_owned`); anything it cannot
prove stale (a link, another user's folder, another PID namespace, a live or reused pid) stays.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("rb_lint.serve")


def pid_namespace() -> str | None:
    """This process's PID namespace (Linux): a pid means the same process only within one."""
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


def process_alive(pid: int) -> bool:
    """Whether process `pid` still runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: os.kill said it exists
    return status.rsplit(")", 1)[-1].split()[:1] != ["Z"]


def owned_prefix(base: str) -> str:
    """`base` followed by this process's PID namespace and pid: the prefix of its own folders."""
    return f"{base}{_namespace_number()}-{os.getpid()}-"


def remove_stale_owned(base: str, directory: Path | None = None) -> list[Path]:
    """Remove the folders named `owned_prefix(base)` by processes of this PID namespace that are
    gone, in `directory` (default: the temporary directory): real folders of this user only.
    Returns the folders removed."""
    parent = directory or Path(tempfile.gettempdir())
    owned = re.compile(re.escape(base) + r"(\d{1,20})-(\d{1,9})-")
    try:
        names = os.listdir(parent)
    except OSError:
        return []
    namespace = _namespace_number()

    def stale(folder: Path) -> bool:
        match = owned.match(folder.name)
        if match is None or match.group(1) != namespace:
            return False
        return not process_alive(int(match.group(2))) and _own_folder(folder)

    return remove_if(stale, [parent / name for name in names])


def remove_if(stale: Callable[[Path], bool], folders: list[Path]) -> list[Path]:
    """Remove each of `folders` that is `stale`; returns those removed."""
    removed = []
    for folder in folders:
        if stale(folder):
            shutil.rmtree(folder, ignore_errors=True)  # never follows links (fd-based on Linux)
            if not os.path.lexists(folder):
                removed.append(folder)
    if removed:
        log.info("removed %d folder(s) left by a killed server", len(removed))
    return removed


def _own_folder(path: Path) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()


def _namespace_number() -> str:
    """The PID namespace's inode number (`pid:[4026531836]`), or 0 where there is none to read."""
    match = re.fullmatch(r"pid:\[(\d+)\]", pid_namespace() or "")
    return match.group(1) if match else "0"
