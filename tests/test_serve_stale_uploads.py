"""An upload a server was linting when it was killed (SIGKILL: no clean-up ran) would stay in the
temporary directory with the patient data the client sent. Upload folders, and the empty folder
in-memory lints use, name their process in their own name; the next server of the same user
removes those whose process is gone, and only those."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from serve_server import running_server

from rb_lint.service.bundle import EMPTY_PREFIX, TEMP_PREFIX, Writer, empty_root
from rb_lint.service.settings import ServeSettings
from rb_lint.service.stale import owned_prefix, process_alive, remove_stale_owned


def dead_pid() -> int:
    """The pid of a process that ran and was reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not process_alive(child.pid)
    return child.pid


def upload_of(folder: Path, pid: int, namespace: str | None = None) -> Path:
    """An upload folder as process `pid` makes it, holding a client's file."""
    prefix = owned_prefix(TEMP_PREFIX).replace(f"-{os.getpid()}-", f"-{pid}-")
    if namespace is not None:
        prefix = f"{TEMP_PREFIX}{namespace}-{pid}-"
    made = folder / f"{prefix}abc123"
    (made / "items").mkdir(parents=True)
    (made / "items" / "a.json").write_text("[]", encoding="utf-8")
    return made


def test_uploads_and_the_empty_folder_name_their_process() -> None:
    writer = Writer(ServeSettings())
    try:
        assert writer.root.name.startswith(owned_prefix(TEMP_PREFIX))
    finally:
        writer.root.rmdir()
    assert empty_root().name.startswith(owned_prefix(EMPTY_PREFIX))


def test_only_the_folders_of_gone_processes_are_removed(tmp_path: Path) -> None:
    gone = dead_pid()
    stale = upload_of(tmp_path, gone)
    live = upload_of(tmp_path, os.getpid())
    other_namespace = upload_of(tmp_path, gone, namespace="1")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "keep.json").write_text("[]", encoding="utf-8")
    link = tmp_path / f"{owned_prefix(TEMP_PREFIX).replace(str(os.getpid()), str(gone))}link"
    link.symlink_to(outside, target_is_directory=True)
    plain_file = tmp_path / f"{owned_prefix(TEMP_PREFIX).replace(str(os.getpid()), str(gone))}file"
    plain_file.write_text("", encoding="utf-8")
    huge_pid = tmp_path / f"{TEMP_PREFIX}0-99999999999999-x"
    huge_pid.mkdir()
    unnamed = tmp_path / f"{TEMP_PREFIX}abcdef"  # no process in its name: never provably stale
    unnamed.mkdir()

    assert remove_stale_owned(TEMP_PREFIX, tmp_path) == [stale]
    assert not stale.exists()
    for kept in (live, other_namespace, link, plain_file, huge_pid, unnamed, outside / "keep.json"):
        assert os.path.lexists(kept), kept


def test_a_starting_server_removes_what_a_killed_one_left(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    stale = upload_of(temp, dead_pid())
    live = upload_of(temp, os.getpid())
    with running_server(env={"TMPDIR": str(temp)}) as server, server.client() as http:
        assert http.get("/healthz").status_code == 200
        assert not stale.exists()
        assert (live / "items" / "a.json").exists()
