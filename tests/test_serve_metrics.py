"""`GET /metrics` on the real server: Prometheus text whose counters move with the requests
(by route template, never by the path sent), findings by rule and severity, jobs by state, the
requests refused by limits; behind the token when there is one; a registry of the app's own."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from serve_server import Server, running_server

TOKEN = "metrics-token-1b2c"
POLL_SECONDS = 60.0
DUPLICATES = json.dumps([{"name": "same", "series": []}, {"name": "same", "series": []}], indent=2)

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_server("--max-body", "5000", token=TOKEN) as running:
        yield running


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def scrape(http: httpx.Client) -> Samples:
    answer = http.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_are_behind_the_token(server: Server) -> None:
    with server.client(authorized=False) as anonymous:
        refused = anonymous.get("/metrics")
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
    with server.client() as http:
        assert http.get("/metrics").status_code == 200


def test_requests_and_latency_are_counted_by_route_template(http: httpx.Client) -> None:
    before = scrape(http)
    for _ in range(3):
        assert http.post("/v1/lint", json={"documents": {"a.json": "[]"}}).status_code == 200
    assert http.get("/v1/jobs/no-such-job-4711").status_code == 404
    assert http.get("/no/such/page-4711").status_code == 404
    after = scrape(http)
    lint = {"route": "/v1/lint", "method": "POST"}
    requests = "rb_lint_http_requests_total"
    assert value(after, requests, status="200", **lint) - value(before, requests, status="200", **lint) == 3
    latency = "rb_lint_http_request_duration_seconds_count"
    assert value(after, latency, **lint) - value(before, latency, **lint) == 3
    assert value(after, "rb_lint_http_request_duration_seconds_sum", **lint) > 0
    job = {"route": "/v1/jobs/{job_id}", "method": "GET", "status": "404"}
    assert value(after, requests, **job) == value(before, requests, **job) + 1
    assert value(after, requests, route="<unmatched>", method="GET", status="404") >= 1
    text = http.get("/metrics").text
    assert "4711" not in text  # paths a client sent are never label values


def test_findings_are_counted_by_rule_and_severity(http: httpx.Client) -> None:
    before = scrape(http)
    assert http.post("/v1/lint", json={"documents": {"a.json": DUPLICATES}}).status_code == 200
    job = http.post("/v1/jobs", json={"documents": {"b.json": DUPLICATES}})
    assert job.status_code == 202
    deadline = time.monotonic() + POLL_SECONDS
    while http.get(job.headers["location"]).json()["state"] != "done" and time.monotonic() < deadline:
        time.sleep(0.05)
    after = scrape(http)
    name = "rb_lint_findings_total"
    assert (
        value(after, name, rule="RB201", severity="error")
        - value(before, name, rule="RB201", severity="error")
        >= 2
    )
    assert value(after, "rb_lint_jobs", state="done") >= 1
    finished = "rb_lint_jobs_finished_total"
    assert value(after, finished, state="done") == value(before, finished, state="done") + 1
    assert value(after, "rb_lint_lints_in_flight", kind="request") == 0
    assert value(after, "rb_lint_lints_in_flight", kind="job") == 0


def test_refused_requests_are_counted(http: httpx.Client) -> None:
    before = scrape(http)
    assert http.post("/v1/lint", json={"documents": {"a.json": "x" * 6000}}).status_code == 413
    after = scrape(http)
    name = "rb_lint_rejected_requests_total"
    assert value(after, name, reason="body-or-files") == value(before, name, reason="body-or-files") + 1
    status = {"route": "/v1/lint", "method": "POST", "status": "413"}
    assert value(after, "rb_lint_http_requests_total", **status) >= 1


def test_each_app_has_its_own_registry(http: httpx.Client) -> None:
    names = {name for name, _ in scrape(http)}
    assert all(name.startswith("rb_lint_") for name in names), sorted(names)  # no process_/python_ globals
