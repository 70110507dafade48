"""Google Cloud Storage backend (`gs://bucket/key`) through gcsfs, the `gcs` extra.

Credentials come only from google.auth's standard chain (gcsfs's own order: application default
credentials, gcsfs's token cache, the metadata server, then anonymous). Requests are anonymous when
the settings ask for it or when `STORAGE_EMULATOR_HOST` points gcsfs at an emulator, as Google's own
clients do. gcsfs and aiohttp are imported inside the functions only: they are optional.

The filesystem is gcsfs's plain JSON-API class (`gcsfs.core.GCSFileSystem`), not the package's
default experimental subclass, which asks a gRPC control API about each bucket's layout: a second
API, more permissions, and nothing a read-only check needs. Its request method makes one attempt
(gcsfs alone retries six times, up to half a minute per request): `Stores.call` retries with the
settings' bounded backoff, and `instrument` counts every HTTP request. `list_page` is one
objects.list request from just before the first wanted key (`startOffset`, `maxResults`), as S3's
StartAfter listing; `info` is one objects.get."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from rb_lint.storage.faults import Fault, StorageProblem, chain, from_code, problem, safe_code
from rb_lint.storage.settings import StorageSettings
from rb_lint.storage.urls import ObjectUrl

EXTRA = "gcs"
PAGE = 1000  # objects per objects.list page (the service's maximum)
EMULATOR_ENV = "STORAGE_EMULATOR_HOST"

# gcsfs raises FileNotFoundError("b/<bucket>/o") when the LISTING of a bucket answers 404 (and
# "b/<bucket>" for the bucket itself): a listing of an existing bucket never does, so the bucket is
# missing. A missing object is "b/<bucket>/o/<key>" or its download URL: not a fault.
_BUCKET_PATH = re.compile(r"b/[^/?#]+(?:/o)?")
_STATUS_WORDS = {"Forbidden": 403, "Bad Request": 400}


def filesystem(bucket: str, settings: StorageSettings) -> Any:
    """A gcsfs filesystem for `bucket` (the bucket does not change its configuration: one per run is
    enough, but the access layer keeps one per bucket)."""
    import aiohttp

    cls = _bounded_class()
    anonymous = settings.anonymous or emulated()
    per_request = aiohttp.ClientTimeout(total=None, sock_connect=settings.timeout, sock_read=settings.timeout)
    fs = cls(
        token="anon" if anonymous else None,
        requests_timeout=per_request,
        block_size=settings.block_size,
        skip_instance_cache=True,  # never share a filesystem (and its credentials) with other code
        use_listings_cache=False,  # every run asks the store; the access layer keeps what it needs
    )
    return fs


def emulated() -> bool:
    """`STORAGE_EMULATOR_HOST` names an emulator (gcsfs, like Google's clients, ignores "default")."""
    return os.environ.get(EMULATOR_ENV, "").strip() not in ("", "default")


def fs_path(url: ObjectUrl) -> str:
    """`bucket/key`, the path gcsfs wants."""
    return f"{url.bucket}/{url.key}" if url.key else url.bucket


def info(fs: Any, path: str, **extra: Any) -> Any:
    """One object's metadata with ONE request (objects.get); gcsfs's `info` also lists the parent
    folder in parallel, to tell folders, which an object check does not need."""
    from fsspec.asyn import sync

    return sync(fs.loop, fs._get_object, path, **extra)


def list_page(
    fs: Any, bucket: str, prefix: str, start_after: str, limit: int = PAGE, **extra: Any
) -> tuple[list[tuple[str, int, str]], bool]:
    """One objects.list request: (key, size, generation) of up to `limit` objects under `prefix`
    after `start_after` (GCS's `startOffset` is inclusive: that key itself is left out), and
    whether more follow (a `nextPageToken`)."""
    from fsspec.asyn import sync

    arguments: dict[str, Any] = {"prefix": prefix or None, "maxResults": limit}
    if start_after:
        arguments["startOffset"] = start_after
    answer = sync(fs.loop, fs._call, "GET", "b/{}/o", bucket, json_out=True, **arguments, **extra)
    entries = [
        (str(item["name"]), int(item.get("size") or 0), version_of(item))
        for item in answer.get("items", ()) or ()
        if str(item.get("name", "")) > start_after
    ]
    return entries, bool(answer.get("nextPageToken"))


def version_of(info: Mapping[str, Any]) -> str:
    """The object's generation (changes with every write), else its ETag, else its MD5."""
    for key in ("generation", "etag", "md5Hash"):
        value = info.get(key)
        if value:
            return str(value)
    return ""


def classify(error: BaseException) -> StorageProblem | None:
    """gcsfs/google.auth errors → a safe problem; None when this backend does not know the error
    (the generic classification in `faults` then applies) or when it only says "no such object"."""
    for link in chain(error):
        found = _classify_one(link)
        if found is not None:
            return found
    return None


def _classify_one(error: BaseException) -> StorageProblem | None:
    name = type(error).__name__
    module = type(error).__module__ or ""
    if isinstance(error, FileNotFoundError):
        text = str(error.args[0]) if error.args else ""
        if _BUCKET_PATH.fullmatch(text):
            return problem(Fault.NOT_FOUND_BUCKET, "HTTP 404")
        return None
    status = _status(error)
    if status is not None:
        return from_code(_reason(error), status)
    if module.startswith("google.auth"):
        if name in {"DefaultCredentialsError", "RefreshError", "UserAccessTokenError"}:
            return problem(Fault.CREDENTIALS, "no usable Google credentials")
        if name == "TransportError":
            return problem(Fault.CREDENTIALS, "Google credentials could not be fetched")
    return None


def _reason(error: BaseException) -> str:
    """The first `errors[].reason` of a JSON error answer ("rateLimitExceeded"...), if it is a safe
    identifier."""
    response = getattr(error, "_error_response", None)
    errors = response.get("errors") if isinstance(response, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return safe_code(errors[0].get("reason"))
    return ""


def _status(error: BaseException) -> int | None:
    """The HTTP status behind a gcsfs error, when it says one."""
    name = type(error).__name__
    module = type(error).__module__ or ""
    if module.startswith("gcsfs") and name == "HttpError":
        code = getattr(error, "code", None)
        if isinstance(code, int) or (isinstance(code, str) and code.isdigit()):
            return int(code)
    if module.startswith("requests") and name == "ProxyError":  # gcsfs's rendering of HTTP 502
        return 502
    if type(error) in (OSError, ValueError):  # gcsfs's rendering of 403 and 400: "Forbidden: <path>..."
        text = str(error.args[0]) if error.args else ""
        for words, status in _STATUS_WORDS.items():
            if text.startswith(words + ":"):
                return status
    return None


def instrument(fs: Any, count: Callable[[str], None]) -> bool:
    """Count every HTTP request the filesystem sends, by kind ("list", "head", "get")."""
    fs.rb_count = count
    return True


def request_kind(method: str, path: str) -> str:
    """What a JSON-API request is: a listing (`b/{}/o`), an object's metadata (`b/{}/o/{}`), a
    download (`.../download/...?alt=media`), or another operation (its method, lower case)."""
    if method.upper() != "GET":
        return method.lower()
    if "alt=media" in path or "/download/" in path:
        return "get"
    if path.rstrip("/").endswith("/o"):
        return "list"
    if "/o/" in path:
        return "head"
    return "get"


async def _request(self: Any, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
    """gcsfs's `_request` without its own retry loop (six attempts, up to 32 s apart): one attempt,
    counted; `Stores.call` retries with the settings' bounded backoff."""
    count = self.rb_count
    if count is not None:
        count(request_kind(method, path))
    return await _unwrapped_request()(self, method, path, *args, **kwargs)


@functools.cache
def _unwrapped_request() -> Any:
    from gcsfs.core import GCSFileSystem

    method = GCSFileSystem._request
    return getattr(method, "__wrapped__", method)


@functools.cache
def _bounded_class() -> Any:
    from gcsfs.core import GCSFileSystem

    return type(
        "BoundedGCSFileSystem",
        (GCSFileSystem,),
        {"_request": _request, "rb_count": None},
    )
