"""`/v1/jobs` on the real server: jobs run and report progress, their report equals the synchronous
one, they cancel (the run stops, the bundle folder is removed), answer 409 before they are done
and 404 when unknown or expired, and the store refuses work beyond `--max-jobs`."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import nibabel as nib
import numpy as np
import pytest
from serve_server import Server, running_server, stop
from test_nifti_support import nifti_bytes

POLL_SECONDS = 60.0  # the longest any test waits for a job to change state (a loaded machine)
POLL_INTERVAL = 0.05
FINISHED = ("done", "failed", "cancelled")
SMALL_MASKS = 30
SLOW_MASKS = 40  # each 256 MiB of zeros (~0.5 s to scan): ~20 s unless cancelled
MIB = 1 << 20

Files = list[tuple[str, tuple[str, bytes, str]]]


def items_part(items: list[dict[str, Any]], name: str = "items.json") -> tuple[str, tuple[str, bytes, str]]:
    return ("files", (name, json.dumps(items, indent=2).encode(), "application/json"))


def mask_task(index: int) -> dict[str, Any]:
    """A task whose mask should hold ids 1 and 2 (the masks written here hold 1 at most: RB304)."""
    series = {
        "items": "ct.nii.gz",
        "segmentations": f"masks/m{index:03}.nii.gz",
        "segmentMap": {"1": "a", "2": "b"},
    }
    return {"name": f"case-{index:03}", "series": [series]}


def small_mask_files(tmp_path: Path, count: int = SMALL_MASKS) -> Files:
    """`count` real small masks (nibabel-written, gzip) and the items list naming them."""
    files: Files = [items_part([mask_task(index) for index in range(count)])]
    for index in range(count):
        volume = np.zeros((16, 16, 8), np.uint8)
        volume[index % 16, 2, 3] = 1
        path = tmp_path / f"m{index:03}.nii.gz"
        nib.save(nib.Nifti1Image(volume, np.eye(4)), path)
        files.append(("files", (f"masks/m{index:03}.nii.gz", path.read_bytes(), "application/gzip")))
    return files


def slow_mask() -> bytes:
    """A mask that compresses to ~250 KB but holds 256 MiB of voxels: gzip members of zeros, made
    in a fraction of a second (the scanner reads every member)."""
    header = nifti_bytes(np.zeros((1, 1, 1), np.uint8), shape=(1024, 1024, 256), payload=b"")
    member = gzip.compress(bytes(16 * MIB), 9)
    return gzip.compress(header, 9) + member * 16


def slow_files(count: int = SLOW_MASKS) -> Files:
    """A bundle whose lint takes many seconds: `count` big masks, each reported when scanned."""
    data = slow_mask()
    files: Files = [items_part([mask_task(index) for index in range(count)])]
    files += [("files", (f"masks/m{index:03}.nii.gz", data, "application/gzip")) for index in range(count)]
    return files


def wait_for(
    http: httpx.Client, location: str, done: Callable[[dict[str, Any]], bool]
) -> list[dict[str, Any]]:
    """Poll a job until `done(status)` (bounded by POLL_SECONDS); every status seen, in order."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + POLL_SECONDS
    while time.monotonic() < deadline:
        answer = http.get(location)
        assert answer.status_code == 200, answer.text
        seen.append(answer.json())
        if done(seen[-1]):
            return seen
        time.sleep(POLL_INTERVAL)
    raise AssertionError(f"the job did not get there in {POLL_SECONDS} s: {seen[-1]}")


def finished(status: dict[str, Any]) -> bool:
    return status["state"] in FINISHED


def submit(http: httpx.Client, files: Files) -> str:
    answer = http.post("/v1/jobs", files=files)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["state"] in ("queued", "running")
    assert answer.headers["location"] == f"/v1/jobs/{body['id']}"
    return str(answer.headers["location"])


def bundle_folders(temp: Path) -> list[str]:
    return sorted(path.name for path in temp.iterdir() if path.name.startswith("rb-lint-serve-"))


def jobs_folders(temp: Path) -> list[Path]:
    """The server's jobs folder (`rb-lint-jobs-*`: job states and reports), when it has one."""
    return sorted(path for path in temp.iterdir() if path.name.startswith("rb-lint-jobs-"))


@pytest.fixture(scope="module")
def temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server's TMPDIR: where its bundle folders are made (and must be gone again)."""
    return tmp_path_factory.mktemp("server-tmp")


@pytest.fixture(scope="module")
def server(temp: Path) -> Iterator[Server]:
    """One job worker: a second job waits (queued) while the first runs."""
    with running_server("--job-workers", "1", env={"TMPDIR": str(temp)}) as running:
        yield running


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def test_a_job_runs_reports_growing_progress_and_the_synchronous_report(
    http: httpx.Client, tmp_path: Path, temp: Path
) -> None:
    files = small_mask_files(tmp_path)
    location = submit(http, files)
    seen = wait_for(http, location, finished)
    final = seen[-1]
    assert final["state"] == "done", final
    progress = final["progress"]
    mask_bytes = sum(len(part[1][1]) for part in files[1:])
    assert progress["documents_done"] == progress["documents_total"] == 1
    assert progress["masks_scanned"] == SMALL_MASKS
    assert progress["bytes_scanned"] >= mask_bytes
    assert progress["files_total"] == SMALL_MASKS + 1
    for key in ("documents_done", "masks_scanned", "bytes_scanned"):
        values = [status["progress"][key] for status in seen]
        assert values == sorted(values), f"{key} went down: {values}"
    assert final["created"] <= final["started"] <= final["finished"] < final["expires"]

    report = http.get(f"{location}/report")
    assert report.status_code == 200 and report.headers["content-type"].startswith("application/json")
    synchronous = http.post("/v1/lint", files=files)
    assert synchronous.status_code == 200
    assert report.json() == synchronous.json()
    assert [finding["code"] for finding in report.json()["findings"]].count("RB304") == SMALL_MASKS
    sarif = http.get(f"{location}/report", params={"format": "sarif"})
    assert sarif.status_code == 200 and sarif.headers["content-type"].startswith("application/sarif+json")
    text = http.get(f"{location}/report", headers={"Accept": "text/plain"})
    assert text.headers["content-type"].startswith("text/plain") and "RB304" in text.text
    assert bundle_folders(temp) == []  # the job's folder went when its run ended


def test_a_cancelled_job_stops_its_run_and_removes_its_files(http: httpx.Client, temp: Path) -> None:
    location = submit(http, slow_files())
    running = wait_for(http, location, lambda status: status["progress"]["masks_scanned"] > 0)[-1]
    assert running["state"] == "running"
    assert http.get(f"{location}/report").status_code == 409

    cancelling = http.delete(location)
    assert cancelling.status_code in (200, 202), cancelling.text
    final = wait_for(http, location, finished)[-1]
    assert final["state"] == "cancelled"
    assert final["progress"]["masks_scanned"] < SLOW_MASKS  # it stopped, it did not run to the end
    assert bundle_folders(temp) == []
    report = http.get(f"{location}/report")
    assert report.status_code == 409 and report.headers["content-type"] == "application/problem+json"
    assert http.delete(location).status_code == 204  # a finished job is forgotten
    assert http.get(location).status_code == 404


def test_a_queued_job_answers_409_and_cancels_at_once(http: httpx.Client, tmp_path: Path, temp: Path) -> None:
    slow = submit(http, slow_files())
    wait_for(http, slow, lambda status: status["state"] == "running")
    queued = submit(http, small_mask_files(tmp_path, 2))  # one worker: it waits behind the slow one
    status = http.get(queued).json()
    assert status["state"] == "queued" and status["started"] is None and status["expires"] is None
    report = http.get(f"{queued}/report")
    assert report.status_code == 409
    assert report.json()["status"] == 409 and "queued" in report.json()["detail"]

    cancelled = http.delete(queued)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert http.delete(slow).status_code == 202
    assert wait_for(http, slow, finished)[-1]["state"] == "cancelled"
    assert bundle_folders(temp) == []


def test_unknown_jobs_are_404_problems(http: httpx.Client) -> None:
    for method, path in [
        ("GET", "/v1/jobs/nope"),
        ("GET", "/v1/jobs/nope/report"),
        ("DELETE", "/v1/jobs/nope"),
    ]:
        answer = http.request(method, path)
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"


def test_job_ids_are_unguessable(http: httpx.Client) -> None:
    ids = [submit(http, [items_part([])]).rsplit("/", 1)[1] for _ in range(3)]
    assert len(set(ids)) == 3
    assert all(len(job_id) >= 22 for job_id in ids)  # >= 128 random bits, URL-safe


def test_a_failed_job_answers_its_problem(http: httpx.Client) -> None:
    location = http.post("/v1/jobs", json={"documents": {"a.json": "[]"}, "select": ["RB999"]})
    assert location.status_code == 202, location.text
    final = wait_for(http, location.headers["location"], finished)[-1]
    assert final["state"] == "failed" and final["problem"]["status"] == 422
    report = http.get(f"{location.headers['location']}/report")
    assert report.status_code == 422 and report.headers["content-type"] == "application/problem+json"


def test_finished_jobs_expire(tmp_path: Path) -> None:
    with running_server("--job-ttl", "1") as server, server.client() as http:
        location = submit(http, [items_part([mask_task(0)])])
        assert wait_for(http, location, finished)[-1]["state"] == "done"
        deadline = time.monotonic() + POLL_SECONDS
        while http.get(location).status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert http.get(location).status_code == 404
        assert http.get(f"{location}/report").status_code == 404


def test_the_store_refuses_jobs_beyond_max_jobs_with_retry_after(tmp_path: Path) -> None:
    with running_server("--max-jobs", "2", "--job-workers", "1") as server, server.client() as http:
        slow = submit(http, slow_files())
        submit(http, [items_part([])])
        refused = http.post("/v1/jobs", files=[items_part([])])
        assert refused.status_code == 503
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["retry-after"]) > 0
        assert http.get("/readyz").status_code == 503
        assert http.delete(slow).status_code in (200, 202)
        wait_for(http, slow, finished)
        assert http.delete(slow).status_code == 204  # forgotten: room for another job
        assert http.post("/v1/jobs", files=[items_part([])]).status_code == 202


def test_stopping_the_server_cancels_its_jobs_and_removes_their_files(tmp_path: Path) -> None:
    with (
        running_server("--job-workers", "1", env={"TMPDIR": str(tmp_path)}) as server,
        server.client() as http,
    ):
        running = submit(http, slow_files())
        submit(http, [items_part([])])  # queued behind it
        wait_for(http, running, lambda status: status["progress"]["masks_scanned"] > 0)
        assert len(bundle_folders(tmp_path)) == 2
        assert len(jobs_folders(tmp_path)) == 1  # one process: it made its jobs folder with its first job
        stop(server.process)  # SIGTERM: uvicorn's shutdown runs the app's
        assert server.process.returncode is not None
    assert bundle_folders(tmp_path) == []
    assert jobs_folders(tmp_path) == []
