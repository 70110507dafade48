"""S3 and S3-compatible stores (MinIO, Ceph, moto) through s3fs (the `s3` extra).

Credentials come from botocore's standard chain only (environment, shared files, SSO, instance
roles); `settings.anonymous` sends unsigned requests. The endpoint is `settings.endpoint_url`, else
what botocore reads itself (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, the config file). botocore's
and s3fs's own retries are off: `Stores.call` retries with its bounded backoff, so the count of
requests and the time spent are bounded by the settings."""

from __future__ import annotations

import contextlib
import re
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from rb_lint.storage.faults import StorageProblem, classify_one, from_code, safe_code
from rb_lint.storage.settings import StorageSettings
from rb_lint.storage.urls import ObjectUrl

EXTRA = "s3"
PAGE = 1000  # keys per ListObjectsV2 page (the service's maximum)
OPERATIONS = {"ListObjectsV2": "list", "ListObjects": "list", "HeadObject": "head", "GetObject": "get"}


def filesystem(bucket: str, settings: StorageSettings) -> Any:
    import s3fs  # ImportError here: the extra is missing
    from aiobotocore.session import AioSession

    config: dict[str, Any] = {
        "connect_timeout": settings.timeout,
        "read_timeout": settings.timeout,
        "retries": {"total_max_attempts": 1, "mode": "standard"},
    }
    if settings.anonymous:
        from botocore import UNSIGNED

        config["signature_version"] = UNSIGNED
    fs = s3fs.S3FileSystem(
        anon=settings.anonymous,
        endpoint_url=settings.endpoint_url,
        config_kwargs=config,
        session=AioSession(),
        skip_instance_cache=True,
        default_block_size=settings.block_size,
        default_fill_cache=False,
        default_cache_type="none",
        max_concurrency=1,
    )
    fs.retries = 1  # s3fs's own retry loop: one attempt (Stores.call retries)
    fs.connect_timeout = settings.timeout
    fs.read_timeout = settings.timeout
    return fs


def instrument(fs: Any, count: Callable[[str], None]) -> bool:
    """Count every HTTP request botocore sends (retries included) by operation."""
    session = fs.session if getattr(fs, "session", None) is not None else None
    if session is None:  # pragma: no cover - s3fs always keeps the session it was given
        return False

    def before_send(**kwargs: Any) -> None:
        name = str(kwargs.get("event_name", "")).rsplit(".", 1)[-1]
        count(OPERATIONS.get(name, name or "request"))

    session.register("before-send.s3", before_send)
    fs.rb_count = count  # object reads by presigned URL (`fetch_range`) are counted here
    return True


def fs_path(url: ObjectUrl) -> str:
    return f"{url.bucket}/{url.key}"


def version_of(info: Mapping[str, Any]) -> str:
    for field in ("ETag", "etag", "VersionId", "LastModified"):
        value = info.get(field)
        if value:
            return str(value).strip('"')
    return ""


def classify(error: BaseException) -> StorageProblem | None:
    if isinstance(error, S3StatusError):
        return from_code(error.code, error.status)
    return classify_one(error)


def info(fs: Any, path: str, **extra: Any) -> dict[str, Any]:
    """One HeadObject (s3fs's `info` also lists the "folder" when the object is missing)."""
    from fsspec.asyn import sync

    bucket, _, key = path.partition("/")
    answer = sync(fs.loop, fs._call_s3, "head_object", Bucket=bucket, Key=key, **extra)
    return {
        "name": path,
        "type": "file",
        "size": int(answer.get("ContentLength", 0)),
        "ETag": str(answer.get("ETag", "")).strip('"'),
        "VersionId": answer.get("VersionId") or "",
    }


def list_page(
    fs: Any, bucket: str, prefix: str, start_after: str, limit: int = PAGE, **extra: Any
) -> tuple[list[tuple[str, int, str]], bool]:
    """One ListObjectsV2 request: (key, size, version) of up to `limit` keys under `prefix` after
    `start_after`, and whether more follow."""
    from fsspec.asyn import sync

    arguments: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": limit}
    if start_after:
        arguments["StartAfter"] = start_after
    answer = sync(fs.loop, fs._call_s3, "list_objects_v2", **arguments, **extra)
    entries = [
        (str(item["Key"]), int(item.get("Size", 0)), str(item.get("ETag", "")).strip('"'))
        for item in answer.get("Contents", ()) or ()
    ]
    return entries, bool(answer.get("IsTruncated"))


class S3StatusError(Exception):
    """An error answer to an object read: the provider's code and the status (never the URL)."""

    def __init__(self, code: str, status: int) -> None:
        super().__init__(f"{safe_code(code)} (HTTP {status})")
        self.code, self.status = code, status


def fetch_range(fs: Any, path: str, start: int, end: int, settings: StorageSettings) -> bytes:
    """Bytes [start, end) of an object: one GET of a URL presigned by s3fs's own client (its
    credentials, endpoint and region; unsigned when anonymous), sent with aiohttp. Same request
    on the wire as botocore's GetObject, at half its CPU cost (no botocore request pipeline): what
    a streamed scan of many masks spends most on. The URL is never shown."""
    from fsspec.asyn import sync

    bucket, _, key = path.partition("/")

    async def fetch() -> bytes:
        import yarl

        await fs.set_session()
        client = await fs.get_s3(bucket)
        url = await client.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=900
        )
        session = await _http_session(fs, settings)
        count = getattr(fs, "rb_count", None)
        if callable(count):
            count("get")
        headers = {"Range": f"bytes={start}-{end - 1}", "Accept-Encoding": "identity"}
        async with session.get(yarl.URL(url, encoded=True), headers=headers) as response:
            if response.status in (200, 206):
                data: bytes = await response.read()
                return data[start:end] if response.status == 200 else data
            status, body = response.status, await response.content.read(1 << 16)
        found = re.search(rb"<Code>([A-Za-z0-9.-]{1,64})</Code>", body)
        code = found.group(1).decode("ascii") if found else str(status)
        if code in ("NoSuchKey", "404") or (status == 404 and code != "NoSuchBucket"):
            raise FileNotFoundError(2, "no such object")
        raise S3StatusError(code, status)

    data: bytes = sync(fs.loop, fetch, timeout=settings.timeout * 2 + 5)
    return data


async def _http_session(fs: Any, settings: StorageSettings) -> Any:
    """One aiohttp session per filesystem, on its loop; closed when the filesystem goes."""
    session = getattr(fs, "rb_http", None)
    if session is None:
        import aiohttp

        timeout = aiohttp.ClientTimeout(
            total=None, connect=settings.timeout, sock_connect=settings.timeout, sock_read=settings.timeout
        )
        session = aiohttp.ClientSession(timeout=timeout, auto_decompress=False)
        fs.rb_http = session
        weakref.finalize(fs, _close, fs.loop, session)
    return session


def _close(loop: Any, session: Any) -> None:
    from fsspec.asyn import sync

    if loop is not None and loop.is_running():
        with contextlib.suppress(Exception):
            sync(loop, session.close, timeout=0.5)
            return
    connector = getattr(session, "_connector", None)
    if connector is not None:
        with contextlib.suppress(Exception):
            connector._close()
