"""A job's report is stored once, when its run ends, and rendered in the format asked for: every
format equals `render_report` of the same lint while its bundle was there (byte for byte), after
the bundle is gone, from the store that ran the job, from a fresh store on the same folder and
from another process (as another `--workers` process answers it)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from test_serve_api import ITEMS, TAXONOMY, task

from rb_lint.core.engine import Report
from rb_lint.service.bundle import Bundle, DocumentsBody, PathsBody, bundle_from_documents, bundle_from_paths
from rb_lint.service.jobs import REPORT_FILE, JobStore
from rb_lint.service.linting import MEDIA_TYPES, lint_bundle, render_report
from rb_lint.service.problems import ProblemError
from rb_lint.service.settings import ServeSettings

POLL_SECONDS = 60.0
ODD = "p\x1b[31m-\u202e"  # a task name whose control characters the text formats escape
Rendered = dict[str, tuple[bytes, str]]  # format -> (body, media type)

DOCUMENTS: dict[str, Any] = {
    "items/a.json": ITEMS,
    "items/b.json": [task("patient-001", "../masks/good.nii.gz")],  # a duplicate over two files
    "items/é ü/c.json": [task(ODD, "m.nii.gz", {"1": "Livr"}), task(ODD, "n.nii.gz")],  # quoted
    "items/clean.json": [],  # no findings: a passing JUnit test case
    "taxonomy.json": TAXONOMY,
}


@pytest.fixture
def settings(tmp_path: Path) -> ServeSettings:
    folder = tmp_path / "jobs"
    folder.mkdir(mode=0o700)
    return ServeSettings(jobs_dir=folder)


@pytest.fixture
def store(settings: ServeSettings) -> Iterator[tuple[JobStore, Rendered]]:
    """A store whose lint also renders every format with `render_report`, while the bundle is there."""
    expected: Rendered = {}

    def lint(bundle: Bundle, settings: ServeSettings, observer: Any) -> Report:
        report = lint_bundle(bundle, settings, observer)
        for fmt in MEDIA_TYPES:
            body, media_type = render_report(report, bundle, fmt)
            expected[fmt] = (body.encode("utf-8"), media_type)
        return report

    jobs = JobStore(settings, lint=lint)
    yield jobs, expected
    jobs.shutdown()


def run_job(store: JobStore, settings: ServeSettings, config: dict[str, Any] | None = None) -> str:
    body = DocumentsBody.model_validate(
        {"documents": DOCUMENTS, "taxonomy": "taxonomy.json", "config": config or {}}
    )
    bundle = bundle_from_documents(body, settings)
    job_id = wait_done(store, store.submit(bundle).id)
    assert not bundle.root.exists()  # rendered without the bundle's files
    return job_id


def wait_done(store: JobStore, job_id: str) -> str:
    deadline = time.monotonic() + POLL_SECONDS
    while (state := store.get(job_id).state) in ("queued", "running"):
        assert time.monotonic() < deadline, "the job did not finish"
        time.sleep(0.01)
    assert state == "done", store.get(job_id)
    return job_id


@pytest.mark.parametrize("fail_on", [None, "warning", "info"])
def test_every_format_of_a_job_report_is_render_report_of_the_same_lint(
    store: tuple[JobStore, Rendered], settings: ServeSettings, fail_on: str | None
) -> None:
    jobs, expected = store
    job_id = run_job(jobs, settings, {"fail-on": fail_on} if fail_on else None)
    assert set(expected) == set(MEDIA_TYPES)
    assert b"RB201" in expected["text"][0] and b"\\x1b" in expected["text"][0]
    for _ in range(2):  # rendered, then from the process's cache
        for fmt in MEDIA_TYPES:
            assert jobs.report(job_id, fmt) == expected[fmt], fmt
    names = sorted(path.name for path in (settings.jobs_dir or Path()).joinpath(job_id).iterdir())
    assert names == [REPORT_FILE, "state.json"]  # one stored report, no format rendered ahead


def test_a_fresh_store_renders_the_same_report(
    store: tuple[JobStore, Rendered], settings: ServeSettings
) -> None:
    jobs, expected = store
    job_id = run_job(jobs, settings)
    fresh = JobStore(settings)  # another process's store: nothing of the job in its memory
    try:
        for fmt in reversed(MEDIA_TYPES):
            assert fresh.report(job_id, fmt) == expected[fmt], fmt
    finally:
        fresh.shutdown()


def test_another_process_renders_the_same_report(
    store: tuple[JobStore, Rendered], settings: ServeSettings
) -> None:
    jobs, expected = store
    job_id = run_job(jobs, settings)
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from rb_lint.service.jobs import JobStore\n"
        "from rb_lint.service.linting import MEDIA_TYPES\n"
        "from rb_lint.service.settings import ServeSettings\n"
        "store = JobStore(ServeSettings(jobs_dir=Path(sys.argv[1])))\n"
        "bodies = {fmt: store.report(sys.argv[2], fmt)[0].hex() for fmt in MEDIA_TYPES}\n"
        "print(json.dumps(bodies))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(settings.jobs_dir), job_id],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    bodies = json.loads(result.stdout)
    for fmt in MEDIA_TYPES:
        assert bytes.fromhex(bodies[fmt]) == expected[fmt][0], fmt


def test_a_forgotten_job_has_no_report_even_once_rendered(
    store: tuple[JobStore, Rendered], settings: ServeSettings
) -> None:
    jobs, _ = store
    job_id = run_job(jobs, settings)
    jobs.report(job_id, "json")
    assert jobs.cancel(job_id) is None  # finished: forgotten
    with pytest.raises(ProblemError) as raised:
        jobs.report(job_id, "json")
    assert raised.value.status == 404


def test_an_unreadable_stored_report_is_a_500_problem(
    store: tuple[JobStore, Rendered], settings: ServeSettings
) -> None:
    jobs, _ = store
    job_id = run_job(jobs, settings)
    (settings.jobs_dir or Path()).joinpath(job_id, REPORT_FILE).write_text('{"version": 1}')
    with pytest.raises(ProblemError) as raised:
        JobStore(replace(settings)).report(job_id, "text")
    assert raised.value.status == 500


def test_a_report_is_rendered_from_the_files_as_they_were_when_the_job_ended(
    tmp_path: Path, settings: ServeSettings
) -> None:
    """A `--root` job: its files stay, and may change after the run (here a folder becomes a link
    to another one): fingerprints and SARIF locations are those read when the run ended."""
    data = tmp_path / "data"
    for name, document in DOCUMENTS.items():
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        (data / name).write_text(json.dumps(document, indent=2))
    rooted = replace(settings, roots=(data,))
    expected: Rendered = {}

    def lint(bundle: Bundle, settings: ServeSettings, observer: Any) -> Report:
        report = lint_bundle(bundle, settings, observer)
        expected.update({fmt: _encoded(render_report(report, bundle, fmt)) for fmt in MEDIA_TYPES})
        return report

    jobs = JobStore(rooted, lint=lint)
    try:
        bundle = bundle_from_paths(PathsBody(paths=["items"], taxonomy="taxonomy.json"), rooted)
        job_id = wait_done(jobs, jobs.submit(bundle).id)
        (data / "items").rename(data / "moved")
        (data / "items").symlink_to("moved")  # what the paths resolve to now: moved/...
        fresh = JobStore(rooted)
        for fmt in MEDIA_TYPES:
            assert fresh.report(job_id, fmt) == expected[fmt], fmt
        results = json.loads(expected["sarif"][0])["runs"][0]["results"]
        uris = {result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for result in results}
        assert "items/a.json" in uris and not any("moved" in uri for uri in uris)
    finally:
        jobs.shutdown()


def _encoded(rendered: tuple[str, str]) -> tuple[bytes, str]:
    return rendered[0].encode("utf-8"), rendered[1]
