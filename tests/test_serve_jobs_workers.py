"""`/v1/jobs` on the real server with `--workers 2`: any process answers for any job.

Each request here goes over a new connection (no keep-alive), so the kernel hands it to either
process; a client that keeps its connection stays with one process. Which process answered is told
by its own metrics (`/metrics` counts the requests of the process that answers the scrape), never
by a header added for tests: the job is polled from both processes, its report fetched from both
equals `rb-lint check`'s, a cancel sent to the process that does not run the job stops it, malformed
and unknown ids are 404 everywhere, finished jobs expire, the limit on jobs holds over both
processes, a job whose process died is `failed`, and the jobs folder goes with the server."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from serve_server import Server, running_server, stop
from test_serve_api import check_json
from test_serve_jobs import (
    POLL_SECONDS,
    SLOW_MASKS,
    SMALL_MASKS,
    bundle_folders,
    finished,
    items_part,
    jobs_folders,
    mask_task,
    slow_files,
    small_mask_files,
    submit,
    wait_for,
)

WORKERS = ("--workers", "2", "--job-workers", "1")
MIN_POLLS = 40  # status requests, each on a new connection: both processes get some
MAX_CONNECTIONS = 60  # new connections tried to reach the process that does not run a job
STATUS_ROUTE = 'rb_lint_http_requests_total{method="GET",route="/v1/jobs/{job_id}",status="200"}'
SUBMIT_ROUTE = 'rb_lint_http_requests_total{method="POST",route="/v1/jobs",status="202"}'
SUBMITTERS = 8  # jobs submitted at once to a server that keeps 3
TTL = 4  # seconds a finished job is kept in the expiry test
JOB_FOLDER = re.compile(r"[A-Za-z0-9_-]{24}")


def fresh(server: Server) -> httpx.Client:
    """A client whose every request opens a new connection (it may reach either process)."""
    return server.client(limits=httpx.Limits(max_keepalive_connections=0))


def metric(text: str, sample: str) -> float:
    """A sample's value in a Prometheus exposition (0 when absent)."""
    for line in text.splitlines():
        name, _, value = line.rpartition(" ")
        if _same_sample(name, sample):
            return float(value)
    return 0.0


def _same_sample(name: str, sample: str) -> bool:
    """The same metric and labels, whatever order the labels are written in."""
    head, _, labels = name.partition("{")
    wanted_head, _, wanted_labels = sample.partition("{")
    return head == wanted_head and sorted(labels.rstrip("}").split(",")) == sorted(
        wanted_labels.rstrip("}").split(",")
    )


def wait_until(condition: Callable[[], bool]) -> bool:
    """Whether `condition()` became true within POLL_SECONDS."""
    deadline = time.monotonic() + POLL_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def job_folders(temp: Path) -> list[str]:
    """The job folders in the server's jobs folder."""
    (folder,) = jobs_folders(temp)
    return sorted(path.name for path in folder.iterdir() if JOB_FOLDER.fullmatch(path.name))


@contextmanager
def other_process(server: Server, submitted: float) -> Iterator[httpx.Client]:
    """A keep-alive client connected to the process that did NOT accept this server's jobs (all
    `submitted` of them accepted by one process): its own count of accepted jobs is lower."""
    with _connected(server, lambda count: count < submitted) as client:
        yield client


@contextmanager
def owner_process(server: Server, submitted: float) -> Iterator[httpx.Client]:
    """A keep-alive client connected to the process that accepted this server's `submitted` jobs
    (any process when there are none yet)."""
    with _connected(server, lambda count: count == submitted) as client:
        yield client


@contextmanager
def _connected(server: Server, accepted: Callable[[float], bool]) -> Iterator[httpx.Client]:
    """A client on a new connection whose process's count of accepted jobs is `accepted` (tried
    on at most MAX_CONNECTIONS connections). It must be used at once: an idle connection is
    closed after uvicorn's keep-alive timeout (5 s), and the next one may reach another process."""
    for _ in range(MAX_CONNECTIONS):
        with server.client() as client:
            if accepted(metric(client.get("/metrics").text, SUBMIT_ROUTE)):
                yield client
                return
    raise AssertionError(f"{MAX_CONNECTIONS} new connections never reached the process looked for")


@pytest.fixture
def temp(tmp_path: Path) -> Path:
    """The server's TMPDIR: its bundle folders and its jobs folder."""
    folder = tmp_path / "server-tmp"
    folder.mkdir()
    return folder


@pytest.fixture
def server(temp: Path) -> Iterator[Server]:
    with running_server(*WORKERS, env={"TMPDIR": str(temp)}) as running:
        yield running


def test_a_job_is_answered_by_both_processes_and_reports_as_rb_lint_check(
    server: Server, temp: Path, tmp_path: Path
) -> None:
    files = small_mask_files(tmp_path)
    with fresh(server) as http:
        location = submit(http, files)
        seen = wait_for(http, location, finished)
        while len(seen) < MIN_POLLS:
            seen.append(http.get(location).json())
    assert all(status["state"] == "done" for status in seen[-MIN_POLLS // 2 :]), seen[-1]
    assert seen[-1]["progress"]["masks_scanned"] == SMALL_MASKS
    for key in ("documents_done", "masks_scanned", "bytes_scanned"):
        values = [status["progress"][key] for status in seen]
        assert values == sorted(values), f"{key} went down: {values}"

    # Both processes answered polls: one of them answered some, not all.
    with other_process(server, 1) as other, owner_process(server, 1) as owner:
        counts = [metric(client.get("/metrics").text, STATUS_ROUTE) for client in (other, owner)]
        assert 0 < counts[0] < len(seen) and counts[0] + counts[1] == len(seen), counts
        reports = [client.get(f"{location}/report") for client in (other, owner)]
        sarifs = [client.get(f"{location}/report", params={"format": "sarif"}) for client in (other, owner)]

    folder = tmp_path / "bundle"
    for _, (name, data, _media) in files:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    expected = check_json(folder, "items.json")
    assert [finding["code"] for finding in expected["findings"]].count("RB304") == SMALL_MASKS
    for report in reports:
        assert report.status_code == 200 and report.headers["content-type"].startswith("application/json")
        assert report.json() == expected
    assert reports[0].content == reports[1].content
    assert sarifs[0].headers["content-type"].startswith("application/sarif+json")
    assert sarifs[0].content == sarifs[1].content
    assert bundle_folders(temp) == []


def test_a_cancel_sent_to_the_other_process_stops_the_run(server: Server, temp: Path) -> None:
    with fresh(server) as http:
        location = submit(http, slow_files())
        wait_for(http, location, lambda status: status["progress"]["masks_scanned"] > 0)
        with other_process(server, 1) as other:
            assert other.get(f"{location}/report").status_code == 409
            cancelling = other.delete(location)
            assert cancelling.status_code == 202, cancelling.text
            assert cancelling.json()["cancelling"] is True
        final = wait_for(http, location, finished)[-1]
        assert final["state"] == "cancelled"
        assert final["progress"]["masks_scanned"] < SLOW_MASKS  # it stopped, it did not run to the end
        assert bundle_folders(temp) == []
        assert http.get(f"{location}/report").status_code == 409
        assert http.delete(location).status_code == 204  # forgotten, by whichever process
        for _ in range(10):
            assert http.get(location).status_code == 404


def test_a_queued_job_cancelled_from_the_other_process_never_starts(
    server: Server, temp: Path, tmp_path: Path
) -> None:
    with owner_process(server, 0) as owner:  # both jobs in one process: one runs, one waits
        slow = submit(owner, slow_files())
        queued = submit(owner, small_mask_files(tmp_path, 2))
        with other_process(server, 2) as other:
            assert other.get(queued).json()["state"] == "queued"
            cancelled = other.delete(queued)
            assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
            assert other.delete(slow).status_code == 202
        with fresh(server) as http:
            assert wait_for(http, slow, finished)[-1]["state"] == "cancelled"
            status = http.get(queued).json()
            assert status["state"] == "cancelled" and status["started"] is None
    # The owner removes the cancelled job's upload once it sees the job cancelled (when it next
    # handles a jobs request, or when a job worker takes the job from its queue).
    assert wait_until(lambda: bundle_folders(temp) == [])


def test_malformed_and_unknown_ids_are_404_from_every_process(server: Server) -> None:
    ids = ["nope", "0" * 24, "..", "%2e%2e", "a" * 23 + ".", "A" * 200, ".lock", "-" * 24]
    with fresh(server) as http:
        submit(http, [items_part([])])  # the jobs folder has a job: what an id could reach
        for _ in range(3):
            for job_id in ids:
                for method, path in [
                    ("GET", f"/v1/jobs/{job_id}"),
                    ("GET", f"/v1/jobs/{job_id}/report"),
                    ("DELETE", f"/v1/jobs/{job_id}"),
                ]:
                    answer = http.request(method, path)
                    assert answer.status_code == 404, (method, path, answer.text)
                    assert answer.headers["content-type"] == "application/problem+json"


def test_the_limit_on_jobs_holds_over_both_processes(temp: Path) -> None:
    with (
        running_server(
            *WORKERS, "--max-jobs", "3", "--max-concurrency", "16", env={"TMPDIR": str(temp)}
        ) as server,
        fresh(server) as http,
    ):
        files = slow_files(2)
        with ThreadPoolExecutor(SUBMITTERS) as pool:  # at once, to both processes
            answers = list(pool.map(lambda _: http.post("/v1/jobs", files=files), range(SUBMITTERS)))
        assert sorted(answer.status_code for answer in answers) == [202] * 3 + [503] * (SUBMITTERS - 3)
        kept = [answer.headers["location"] for answer in answers if answer.status_code == 202]
        for _ in range(6):  # whichever process answers
            refused = http.post("/v1/jobs", files=[items_part([])])
            assert refused.status_code == 503 and int(refused.headers["retry-after"]) > 0
        assert len(job_folders(temp)) == 3
        if http.delete(kept[0]).status_code != 204:  # cancelled (or being), not forgotten yet
            wait_for(http, kept[0], finished)
            assert http.delete(kept[0]).status_code == 204
        submit(http, [items_part([])])  # room for one more


def test_finished_jobs_expire_and_their_folders_are_swept(temp: Path) -> None:
    with (
        running_server(*WORKERS, "--job-ttl", str(TTL), env={"TMPDIR": str(temp)}) as server,
        fresh(server) as http,
    ):
        locations = [submit(http, [items_part([mask_task(0)])]) for _ in range(3)]
        for location in locations:
            final = wait_for(http, location, finished)[-1]
            assert final["state"] == "done", final
        assert len(job_folders(temp)) == 3

        def swept() -> bool:  # any jobs request sweeps (this one asks for no job of these)
            assert http.get("/v1/jobs/" + "0" * 24).status_code == 404
            return job_folders(temp) == []

        assert wait_until(swept)
        for location in locations:
            assert http.get(location).status_code == 404
            assert http.get(f"{location}/report").status_code == 404


def test_a_job_whose_process_died_is_failed(server: Server, temp: Path) -> None:
    with fresh(server) as http:
        location = submit(http, slow_files())
        wait_for(http, location, lambda status: status["state"] == "running")
        job_id = location.rsplit("/", 1)[1]
        (folder,) = jobs_folders(temp)
        state: dict[str, Any] = json.loads((folder / job_id / "state.json").read_text())
        os.kill(state["pid"], signal.SIGKILL)  # uvicorn starts another process in its place
        final = wait_for(http, location, finished)[-1]
        assert final["state"] == "failed" and final["problem"]["status"] == 500
        assert "process" in final["problem"]["detail"]
        assert final["finished"] is not None and final["expires"] is not None
        report = http.get(f"{location}/report")
        assert report.status_code == 500 and report.headers["content-type"] == "application/problem+json"


def test_the_jobs_folder_is_private_and_goes_with_the_server(temp: Path) -> None:
    with running_server(*WORKERS, env={"TMPDIR": str(temp)}) as server:
        (folder,) = jobs_folders(temp)  # made before the workers start, before any job
        assert folder.stat().st_mode & 0o777 == 0o700
        with fresh(server) as http:
            location = submit(http, [items_part([])])
            assert wait_for(http, location, finished)[-1]["state"] == "done"
        (job,) = job_folders(temp)
        assert (folder / job).stat().st_mode & 0o077 == 0
        stop(server.process)
    assert jobs_folders(temp) == []
