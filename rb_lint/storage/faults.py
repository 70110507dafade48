"""Storage faults: what went wrong, as a safe one-line reason (never credentials, signatures or
signed query strings), and the generic classification of errors the backends reuse.

Reasons are built from error codes, HTTP statuses and exception TYPES, never from an exception's
text, which may carry a signed URL or a header."""

from __future__ import annotations

import errno
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Fault(Enum):
    NOT_FOUND_BUCKET = "no-such-bucket"
    DENIED = "access-denied"
    THROTTLED = "throttled"
    TIMEOUT = "timeout"
    RESET = "connection-reset"
    CREDENTIALS = "no-credentials"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class StorageProblem:
    fault: Fault
    reason: str  # one line for a message: no credentials, tokens, signatures or signed query strings

    def __str__(self) -> str:
        return self.reason


class StorageError(OSError):
    """An object or listing could not be read; `problem` says why, safely. An OSError (EIO) whose
    `strerror` is the safe reason, so a scan of a stream that fails says it as for a local file."""

    def __init__(self, problem: StorageProblem) -> None:
        super().__init__(errno.EIO, problem.reason)
        self.problem = problem

    def __str__(self) -> str:
        return self.problem.reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.problem,))


class MissingExtra(Exception):
    """Remote access was asked for and the extra providing the scheme is not installed. The message
    is the one line the CLI prints after "rb-lint: error: " (exit 2)."""

    def __init__(self, scheme: str, extra: str) -> None:
        super().__init__(f'{scheme}:// storage needs the {extra} extra: pip install "rb-lint[{extra}]"')
        self.scheme = scheme
        self.extra = extra


# Faults worth another attempt (with backoff); the others will not change by retrying.
RETRYABLE = frozenset({Fault.THROTTLED, Fault.TIMEOUT, Fault.RESET})
# Faults that, when every request of a run ends so, make the storage unusable as a whole.
FATAL = frozenset({Fault.CREDENTIALS, Fault.DENIED})

# Provider error codes (S3 and S3-compatible stores; GCS/Azure backends map theirs onto these too).
BUCKET_CODES = frozenset({"NoSuchBucket", "ContainerNotFound", "BucketNotFound"})
DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AllAccessDisabled",
        "AccountProblem",
        "Forbidden",
        "AuthorizationFailure",
        "AuthorizationPermissionMismatch",
        "InsufficientAccountPermissions",
    }
)
CREDENTIAL_CODES = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
        "TokenRefreshRequired",
        "AuthenticationFailed",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "NoAuthenticationInformation",
    }
)
THROTTLE_CODES = frozenset(
    {
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequests",
        "TooManyRequestsException",
        "ServiceUnavailable",
        "ServerBusy",
        "RequestThrottled",
        "503",
        "429",
    }
)
NOT_FOUND_CODES = frozenset({"NoSuchKey", "NotFound", "404", "BlobNotFound", "ResourceNotFound"})
TIMEOUT_CODES = frozenset({"RequestTimeout", "RequestTimeoutException", "OperationTimedOut", "408"})
SAFE_CODE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_")


def problem(fault: Fault, detail: str = "") -> StorageProblem:
    """A problem whose reason is the fault's wording plus a short, already-safe detail."""
    text = WORDING[fault]
    return StorageProblem(fault, f"{text} ({detail})" if detail else text)


WORDING = {
    Fault.NOT_FOUND_BUCKET: "no such bucket or container",
    Fault.DENIED: "access denied",
    Fault.THROTTLED: "throttled by the storage",
    Fault.TIMEOUT: "timed out",
    Fault.RESET: "connection reset",
    Fault.CREDENTIALS: "no usable credentials",
    Fault.ERROR: "storage error",
}


def safe_code(code: object) -> str:
    """An error code fit for a message: a short identifier, else nothing."""
    text = str(code) if code is not None else ""
    return text if 0 < len(text) <= 64 and set(text) <= SAFE_CODE else ""


def from_code(code: str, status: int | None = None) -> StorageProblem:
    """A provider's error code and HTTP status → a problem."""
    shown = ", ".join(part for part in (safe_code(code), f"HTTP {status}" if status else "") if part)
    if code in BUCKET_CODES:
        return problem(Fault.NOT_FOUND_BUCKET, shown)
    if code in CREDENTIAL_CODES or status == 401:
        return problem(Fault.CREDENTIALS, shown)
    if code in DENIED_CODES or status == 403:
        return problem(Fault.DENIED, shown)
    if code in THROTTLE_CODES or status in (429, 503):
        return problem(Fault.THROTTLED, shown)
    if code in TIMEOUT_CODES or status in (408, 504):
        return problem(Fault.TIMEOUT, shown)
    return problem(Fault.ERROR, shown or "unknown error")


def from_status(status: int) -> StorageProblem:
    return from_code(str(status), status)


def chain(error: BaseException) -> Iterator[BaseException]:
    """The error and its causes/contexts (fsspec backends wrap the provider's exception)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def classify(error: BaseException) -> StorageProblem:
    """Any error → a safe problem: botocore/aiohttp/fsspec error codes, statuses and types."""
    found = known(error)
    return found if found is not None else problem(Fault.ERROR, safe_code(type(error).__name__))


def known(error: BaseException) -> StorageProblem | None:
    """The fault the error or one of its causes is known to be; None when nothing in the chain is
    a known fault (or it says "no such object", which is not a fault)."""
    for link in chain(error):
        found = classify_one(link)
        if found is not None:
            return found
    return None


def classify_one(error: BaseException) -> StorageProblem | None:
    if isinstance(error, StorageError):
        return error.problem
    name = type(error).__name__
    module = type(error).__module__ or ""
    response: Any = getattr(error, "response", None)
    if isinstance(response, dict):  # botocore ClientError
        details = response.get("Error") or {}
        meta = response.get("ResponseMetadata") or {}
        status = meta.get("HTTPStatusCode")
        code = details.get("Code") if isinstance(details, dict) else None
        if str(code) in NOT_FOUND_CODES or (status == 404 and str(code) not in BUCKET_CODES):
            return None  # the object is not there: not a fault
        return from_code(str(code or ""), status if isinstance(status, int) else None)
    if module.startswith("botocore") or module.startswith("aiobotocore"):
        if name in {"NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError"}:
            return problem(Fault.CREDENTIALS, "no credentials in the standard AWS chain")
        if "Timeout" in name:
            return problem(Fault.TIMEOUT, name)
        if name in {"ConnectionClosedError", "ResponseStreamingError", "IncompleteReadError"}:
            return problem(Fault.RESET, name)
        if name in {"EndpointConnectionError", "ConnectionError", "ProxyConnectionError"}:
            return problem(Fault.RESET, "cannot connect to the endpoint")
    status = getattr(error, "status", None)
    if module.startswith("aiohttp"):
        if status == 404:
            return None
        if isinstance(status, int) and status >= 400:
            return from_status(status)
        if "Timeout" in name:
            return problem(Fault.TIMEOUT, name)
        if name in {"ServerDisconnectedError", "ClientPayloadError", "ClientConnectionResetError"}:
            return problem(Fault.RESET, name)
        if name in {"ClientConnectorError", "ClientOSError", "ServerConnectionError"}:
            return problem(Fault.RESET, "cannot connect")
    asyncio, ssl = sys.modules.get("asyncio"), sys.modules.get("ssl")  # not imported here: start-up
    if isinstance(error, TimeoutError) or (asyncio is not None and isinstance(error, asyncio.TimeoutError)):
        return problem(Fault.TIMEOUT, "no answer within the timeout")
    if isinstance(error, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return problem(Fault.RESET, name)
    if isinstance(error, ConnectionRefusedError):
        return problem(Fault.RESET, "connection refused")
    if ssl is not None and isinstance(error, ssl.SSLError):
        return problem(Fault.ERROR, "TLS error")
    if isinstance(error, PermissionError) or getattr(error, "errno", None) in (errno.EACCES, errno.EPERM):
        return problem(Fault.DENIED)
    if getattr(error, "errno", None) in (errno.ETIMEDOUT,):
        return problem(Fault.TIMEOUT)
    if getattr(error, "errno", None) in (errno.ECONNRESET, errno.EPIPE):
        return problem(Fault.RESET)
    if name in {"IncompleteRead", "ProtocolError", "RemoteDisconnected", "ContentLengthError"}:
        return problem(Fault.RESET, name)
    return None


def retryable(found: StorageProblem) -> bool:
    return found.fault in RETRYABLE
