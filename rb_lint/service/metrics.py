"""Prometheus metrics of one app, in a private `CollectorRegistry` (two apps in one process, as
in tests, never share counters), exposed at `GET /metrics` (behind the token when there is one).

- `rb_lint_http_requests_total{route,method,status}` and
  `rb_lint_http_request_duration_seconds{route,method}`: labelled by the route TEMPLATE
  (`/v1/jobs/{job_id}`), never the path a client sent (no ids, no unbounded label values);
- `rb_lint_findings_total{rule,severity}`: findings of synchronous lints and finished jobs;
- `rb_lint_jobs{state}`: jobs kept now, by state; `rb_lint_jobs_finished_total{state}`: jobs ended;
- `rb_lint_lints_in_flight{kind}`: runs now;
- `rb_lint_rejected_requests_total{reason}`: requests refused by a limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from rb_lint.core.engine import Report
from rb_lint.service.asgi import call_timed
from rb_lint.service.settings import ServeSettings

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
UNMATCHED = "<unmatched>"  # a path no route matched: one label value, not the path itself
REJECTIONS = {413: "body-or-files", 429: "concurrency", 503: "busy-or-timeout"}


class ServiceMetrics:
    """The app's metrics and their registry."""

    def __init__(self, app: FastAPI) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "rb_lint_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ("route", "method", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "rb_lint_http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by route template and method.",
            ("route", "method"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.findings = Counter(
            "rb_lint_findings",
            "Findings reported, by rule code and severity.",
            ("rule", "severity"),
            registry=self.registry,
        )
        self.jobs_finished = Counter(
            "rb_lint_jobs_finished",
            "Jobs that ended, by final state (done, failed, cancelled).",
            ("state",),
            registry=self.registry,
        )
        self.rejected = Counter(
            "rb_lint_rejected_requests",
            "Requests refused by a limit (413 body or files, 429 concurrency, 503 busy or timeout).",
            ("reason",),
            registry=self.registry,
        )
        self.registry.register(_StateCollector(app))

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)
        if status in REJECTIONS:
            self.rejected.labels(REJECTIONS[status]).inc()

    def count_findings(self, report: Report) -> None:
        tally: dict[tuple[str, str], int] = {}
        for finding in report.findings:
            key = (finding.code, str(finding.severity))
            tally[key] = tally.get(key, 0) + 1
        for (code, severity), count in tally.items():
            self.findings.labels(code, severity).inc(count)

    record_report = count_findings  # the name `app.py` calls after a synchronous lint

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _StateCollector(Collector):
    """Gauges read when scraped: jobs by state (`app.state.jobs`, the `JobStore`) and lints running
    (`app.state.limits.lints`, the `POST /v1/lint` requests being answered)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def describe(self) -> list[Metric]:
        return []  # values are only known when scraped

    def collect(self) -> Iterator[Metric]:
        from rb_lint.service.jobs import STATES

        store: Any = getattr(self.app.state, "jobs", None)
        counts = store.counts() if store is not None else dict.fromkeys(STATES, 0)
        jobs = GaugeMetricFamily("rb_lint_jobs", "Jobs kept now, by state.", labels=("state",))
        for state in STATES:
            jobs.add_metric((state,), counts[state])
        yield jobs
        limits = getattr(self.app.state, "limits", None)
        running = GaugeMetricFamily("rb_lint_lints_in_flight", "Lints now, by kind.", labels=("kind",))
        running.add_metric(("request",), getattr(limits, "lints", 0))
        running.add_metric(("job",), counts["running"])
        yield running


class MetricsMiddleware:
    """Counts every HTTP request and its duration under its route template."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics, routes: Any) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes  # the app's routes, to name requests a middleware answered itself

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        def finished(status: int, seconds: float) -> None:
            route = getattr(scope.get("route"), "path", None) or self._template(scope)
            self.metrics.observe_request(route, scope["method"], status, seconds)

        await call_timed(self.app, scope, receive, send, finished)

    def _template(self, scope: Scope) -> str:
        """The template of the route a request refused before routing (413, 429) would have taken."""
        for route in self.routes:
            match, _ = route.matches(scope)
            if match != Match.NONE:
                return str(getattr(route, "path", UNMATCHED))
        return UNMATCHED


def of(app: Any) -> ServiceMetrics | None:
    """The app's metrics (None when `install` was not called)."""
    metrics = getattr(app.state, "metrics", None)
    return metrics if isinstance(metrics, ServiceMetrics) else None


def count_findings(app: Any, report: Report) -> None:
    """Count a report's findings in the app's metrics (nothing without metrics)."""
    metrics = of(app)
    if metrics is not None:
        metrics.count_findings(report)


def job_finished(app: Any, state: str, report: Report | None) -> None:
    """Count a job that ended, and its report's findings (nothing without metrics)."""
    metrics = of(app)
    if metrics is not None:
        metrics.jobs_finished.labels(state).inc()
        if report is not None:
            metrics.count_findings(report)


def install(app: FastAPI, settings: ServeSettings) -> ServiceMetrics:
    """Create the app's metrics, count every request, and serve `GET /metrics`. Install it last
    (outermost) so requests refused by other middleware are counted too."""
    del settings  # the token is checked by the auth middleware (`/metrics` is a protected path)
    metrics = ServiceMetrics(app)
    app.state.metrics = metrics

    async def metrics_endpoint(_request: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    app.add_api_route(
        "/metrics",
        metrics_endpoint,
        methods=["GET"],
        include_in_schema=True,
        summary="Prometheus metrics (text exposition format)",
        response_class=Response,
        tags=["service"],
    )
    app.add_middleware(MetricsMiddleware, metrics=metrics, routes=app.router.routes)
    return metrics
