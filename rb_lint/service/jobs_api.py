"""`/v1/jobs`: big inputs linted in the background.

POST   /v1/jobs              the same bodies as /v1/lint -> 202, `Location: /v1/jobs/{id}`
GET    /v1/jobs/{id}         state and progress
GET    /v1/jobs/{id}/report  the report once `done` (format by `?format=` or `Accept`);
                             409 before, the job's problem when it failed, 404 unknown/expired
DELETE /v1/jobs/{id}         cancel a queued or running job; forget a finished one (204)

Any server process answers for any job (the `JobStore` keeps them in files): the store's work,
file reads and writes under a lock shared by the processes, runs in a worker thread.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from starlette.responses import JSONResponse, Response

from rb_lint.service import metrics
from rb_lint.service.bundle import read_bundle
from rb_lint.service.jobs import JobStore
from rb_lint.service.linting import negotiate_format
from rb_lint.service.settings import ServeSettings

JOB_STATUS_EXAMPLE = {
    "id": "p0B8jJ2kLr5s3yKq9mWx1A_c",
    "state": "running",
    "progress": {
        "documents_done": 1,
        "documents_total": 2,
        "masks_scanned": 12,
        "bytes_scanned": 1048576,
        "files_total": 32,
        "bytes_total": 4194304,
    },
    "created": "2026-01-01T12:00:00.000Z",
    "started": "2026-01-01T12:00:00.010Z",
    "finished": None,
    "expires": None,
    "report": "/v1/jobs/p0B8jJ2kLr5s3yKq9mWx1A_c/report",
}
_STATUS_DOC: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {"example": JOB_STATUS_EXAMPLE}}},
    404: {"description": "No such job (unknown, or expired)."},
}


def router(settings: ServeSettings, store: JobStore) -> APIRouter:
    """The `/v1/jobs` routes over `store`."""
    routes = APIRouter(prefix="/v1/jobs", tags=["jobs"])

    @routes.post(
        "",
        status_code=202,
        summary="Submit a bundle to lint in the background",
        responses={
            202: {"content": {"application/json": {"example": {"id": "p0B8jJ2k…", "state": "queued"}}}},
            503: {"description": "The server keeps as many jobs as it may; retry after `Retry-After`."},
        },
    )
    async def submit_job(request: Request) -> JSONResponse:
        """The same bodies as `POST /v1/lint` (JSON documents, multipart files, or `paths`). Answers
        202 with the job's `Location`; poll it, then fetch `/v1/jobs/{id}/report`."""
        await anyio.to_thread.run_sync(store.check_room)  # before the upload is read
        bundle = await read_bundle(request, settings)
        job = await anyio.to_thread.run_sync(store.submit, bundle)
        location = f"/v1/jobs/{job.id}"
        return JSONResponse(
            {"id": job.id, "state": job.state}, status_code=202, headers={"Location": location}
        )

    @routes.get("/{job_id}", summary="A job's state and progress", responses=_STATUS_DOC)
    async def job_status(job_id: str) -> JSONResponse:
        """`state` is `queued`, `running`, `done`, `failed` or `cancelled`; `progress` counts the
        documents linted and the masks and bytes scanned so far; `expires` is when a finished
        job (and its report) is forgotten."""
        job = await anyio.to_thread.run_sync(store.get, job_id)
        return JSONResponse(job.status(settings.job_ttl))

    @routes.get(
        "/{job_id}/report",
        summary="A finished job's report",
        responses={
            200: {"content": {"application/json": {}, "application/sarif+json": {}, "text/plain": {}}},
            404: {"description": "No such job (unknown, or expired)."},
            409: {"description": "The job is not done (queued, running or cancelled)."},
        },
    )
    async def job_report(job_id: str, request: Request) -> Response:
        """The report as `POST /v1/lint` answers it (`?format=` or `Accept`), once the job is
        `done`. A `failed` job answers the problem its run met."""
        fmt = negotiate_format(request)
        body, media_type = await anyio.to_thread.run_sync(store.report, job_id, fmt)
        return Response(body, media_type=media_type)

    @routes.delete(
        "/{job_id}",
        summary="Cancel a job, or forget a finished one",
        responses={
            202: {"description": "The running job is being cancelled (it stops at its next file)."},
            204: {"description": "The finished job and its report were forgotten."},
            404: {"description": "No such job (unknown, or expired)."},
        },
    )
    async def cancel_job(job_id: str) -> Response:
        """A queued job is cancelled at once (200); a running one stops at its next document or
        mask (202; poll until `cancelled`); a finished one is forgotten (204). The job's files are
        removed in every case."""
        job = await anyio.to_thread.run_sync(store.cancel, job_id)
        if job is None:
            return Response(status_code=204)
        return JSONResponse(
            job.status(settings.job_ttl), status_code=200 if job.state == "cancelled" else 202
        )

    return routes


def install(app: FastAPI, settings: ServeSettings) -> JobStore:
    """Create the app's `JobStore` (`app.state.jobs`, read by `/readyz` and the metrics) and mount
    its routes. Call `store.shutdown()` when the app stops."""
    store = JobStore(settings, on_finish=lambda state, report: metrics.job_finished(app, state, report))
    app.state.jobs = store
    app.include_router(router(settings, store))
    return store
