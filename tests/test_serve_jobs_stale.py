"""The jobs folders of servers killed with SIGKILL (no shutdown ran) are removed by the next
server of the same user, and only those: a folder whose owner or any of its worker processes
still runs, that names no owner it can read, that is a link, another user's, or not a jobs
folder stays; links inside a stale folder are removed, never followed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from serve_server import running_server
from test_serve_jobs import finished, items_part, jobs_folders, submit, wait_for

from rb_lint.service.jobs import (
    JOBS_PREFIX,
    OWNER_FILE,
    PROCESS_PREFIX,
    make_jobs_folder,
    process_alive,
    remove_stale_jobs_folders,
)

POLL_SECONDS = 30.0


@pytest.fixture
def dead_pid() -> int:
    """The pid of a process that ran and was reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not process_alive(child.pid)
    return child.pid


@pytest.fixture
def sleeper() -> Iterator[int]:
    """The pid of a live process (this test's child, stopped after it)."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield child.pid
    child.kill()
    child.wait()


def jobs_folder(parent: Path, name: str, owner: object = None, text: str | None = None) -> Path:
    """A jobs folder as a server makes it (0700, a job inside), its owner file holding `owner`
    (as JSON, in this process's PID namespace when it is a pid) or `text`."""
    folder = parent / f"{JOBS_PREFIX}{name}"
    (folder / ("j" * 24)).mkdir(parents=True)
    (folder / ("j" * 24) / "state.json").write_text("{}")
    folder.chmod(0o700)
    if isinstance(owner, int):
        owner = {"pid": owner, "namespace": _namespace()}
    if owner is not None:
        text = json.dumps(owner)
    if text is not None:
        (folder / OWNER_FILE).write_text(text)
    return folder


def _namespace() -> str | None:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


def test_only_provably_stale_folders_are_removed(tmp_path: Path, dead_pid: int, sleeper: int) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not the folder's")
    temp = tmp_path / "temp"
    temp.mkdir()
    stale = jobs_folder(temp, "stale", dead_pid)
    (stale / "link").symlink_to(outside)  # removed as a link, its target untouched
    stale_workers = jobs_folder(temp, "stale-workers", dead_pid)
    (stale_workers / f"{PROCESS_PREFIX}{dead_pid}").touch()
    kept = {
        "live owner": jobs_folder(temp, "live", sleeper),
        "this process": jobs_folder(temp, "mine", os.getpid()),
        "live worker": jobs_folder(temp, "worker", dead_pid),
        "bad worker entry": jobs_folder(temp, "bad-worker", dead_pid),
        "no owner file": jobs_folder(temp, "no-owner"),
        "unreadable owner": jobs_folder(temp, "garbage", text=f"{dead_pid}"),  # a bare pid: not ours
        "cut owner": jobs_folder(temp, "cut", text=json.dumps({"pid": dead_pid})[:-3]),
        "other namespace": jobs_folder(temp, "other-ns", {"pid": dead_pid, "namespace": "pid:[1]"}),
        "not a pid": jobs_folder(temp, "not-pid", {"pid": True, "namespace": _namespace()}),
        "owner file a link": jobs_folder(temp, "owner-link"),
        "not a jobs folder": temp / "rb-lint-serve-x",
    }
    (kept["live worker"] / f"{PROCESS_PREFIX}{sleeper}").touch()
    (kept["bad worker entry"] / f"{PROCESS_PREFIX}x1").touch()
    (kept["owner file a link"] / OWNER_FILE).symlink_to(stale / OWNER_FILE)
    kept["not a jobs folder"].mkdir()
    (kept["not a jobs folder"] / OWNER_FILE).write_text(
        json.dumps({"pid": dead_pid, "namespace": _namespace()})
    )
    links = {
        "a link to a stale folder": temp / f"{JOBS_PREFIX}link",
        "a file": temp / f"{JOBS_PREFIX}file",
    }
    links["a link to a stale folder"].symlink_to(jobs_folder(tmp_path, "target", dead_pid))
    links["a file"].write_text(json.dumps({"pid": dead_pid}))

    removed = remove_stale_jobs_folders(temp)

    assert sorted(removed) == sorted([stale, stale_workers])
    assert not stale.exists() and not stale_workers.exists()
    assert (outside / "keep.txt").read_text() == "not the folder's"
    for why, folder in {**kept, **links}.items():
        assert os.path.lexists(folder), why
    assert (tmp_path / f"{JOBS_PREFIX}target" / OWNER_FILE).exists()  # a link's target: never looked into


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a folder to another user")
def test_another_users_folder_stays(tmp_path: Path, dead_pid: int) -> None:
    folder = jobs_folder(tmp_path, "theirs", dead_pid)
    os.chown(folder, 4321, 4321)
    assert remove_stale_jobs_folders(tmp_path) == []
    assert folder.exists()


def test_a_new_jobs_folder_names_its_owner_and_removes_stale_ones(
    tmp_path: Path, dead_pid: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)  # read TMPDIR again
    stale = jobs_folder(tmp_path, "stale", dead_pid)
    folder = make_jobs_folder()
    try:
        assert folder.parent == tmp_path.resolve() and not stale.exists()
        assert json.loads((folder / OWNER_FILE).read_text()) == {
            "pid": os.getpid(),
            "namespace": _namespace(),
        }
        assert remove_stale_jobs_folders(tmp_path) == []  # this process runs: its folder stays
    finally:
        monkeypatch.undo()


def test_a_killed_servers_folder_is_removed_when_the_next_server_starts(tmp_path: Path) -> None:
    with running_server("--job-workers", "1", env={"TMPDIR": str(tmp_path)}) as server:
        with server.client() as http:
            assert wait_for(http, submit(http, [items_part([])]), finished)[-1]["state"] == "done"
        (left,) = jobs_folders(tmp_path)  # one process: made with its first job
        with running_server(env={"TMPDIR": str(tmp_path)}):
            assert jobs_folders(tmp_path) == [left]  # its server runs: it stays
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=POLL_SECONDS)
    assert jobs_folders(tmp_path) == [left]  # no shutdown ran
    with running_server(env={"TMPDIR": str(tmp_path)}):
        assert jobs_folders(tmp_path) == []  # removed at start-up, before any job


def test_a_folder_stays_while_the_workers_of_a_killed_server_run(tmp_path: Path) -> None:
    """uvicorn's worker processes outlive a supervisor killed with SIGKILL, and go on serving."""
    with running_server("--workers", "2", env={"TMPDIR": str(tmp_path)}) as server:
        (folder,) = jobs_folders(tmp_path)
        workers = _registered(folder, server.url)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=POLL_SECONDS)
        try:
            assert all(process_alive(pid) for pid in workers)
            assert remove_stale_jobs_folders(tmp_path) == []
        finally:
            for pid in workers:
                _stop(pid)
        assert remove_stale_jobs_folders(tmp_path) == [folder]


def _registered(folder: Path, url: str) -> list[int]:
    """The worker processes registered in `folder`, once both built their app."""
    deadline = time.monotonic() + POLL_SECONDS
    while True:
        pids = [
            int(name[len(PROCESS_PREFIX) :]) for name in os.listdir(folder) if name.startswith(PROCESS_PREFIX)
        ]
        if len(pids) == 2:
            return pids
        assert time.monotonic() < deadline, f"workers registered: {pids}"
        with httpx.Client(base_url=url, limits=httpx.Limits(max_keepalive_connections=0)) as http:
            http.get("/healthz")


def _stop(pid: int) -> None:
    """Kill an orphaned worker and wait until it is gone (it is not our child: no wait())."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + POLL_SECONDS
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
