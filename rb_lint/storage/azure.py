"""Azure Blob Storage backend (`az://container/path`) through adlfs, the `azure` extra.

Credentials come only from the environment adlfs reads and the Azure SDK's standard chain:
`AZURE_STORAGE_CONNECTION_STRING` (Azurite's well-known development string in the tests), else
`AZURE_STORAGE_ACCOUNT_NAME` with `AZURE_STORAGE_ACCOUNT_KEY`, `AZURE_STORAGE_SAS_TOKEN`, a service
principal (`AZURE_STORAGE_CLIENT_ID`/`_SECRET`/`TENANT_ID`) or DefaultAzureCredential. With the
`anonymous` setting, requests are unsigned (public containers). adlfs and the Azure SDK are imported
inside the functions only: they are optional.

The blob service client is built here rather than by adlfs so that the settings' timeouts apply and
the SDK's own retries (a 15-second initial backoff) are off: `Stores.call` retries with the
settings' bounded backoff, and `instrument` counts every HTTP request."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from typing import Any

from rb_lint.storage.faults import Fault, StorageError, StorageProblem, chain, from_code, problem
from rb_lint.storage.settings import StorageSettings
from rb_lint.storage.urls import ObjectUrl

EXTRA = "azure"
CONNECTION_ENV = "AZURE_STORAGE_CONNECTION_STRING"
ACCOUNT_ENV = "AZURE_STORAGE_ACCOUNT_NAME"
_MISSING_OBJECT_CODES = frozenset({"BlobNotFound", "ResourceNotFound"})


def filesystem(bucket: str, settings: StorageSettings) -> Any:
    """An adlfs filesystem for the account the environment names (`bucket` is the container; one
    account serves every container, but the access layer keeps one filesystem per container)."""
    cls = _bounded_class()  # ImportError here: the extra is missing
    if not os.environ.get(CONNECTION_ENV) and not os.environ.get(ACCOUNT_ENV):
        raise StorageError(
            problem(Fault.CREDENTIALS, f"set {CONNECTION_ENV}, or {ACCOUNT_ENV} and a credential")
        )
    try:
        fs = cls(
            anon=True if settings.anonymous else None,
            blocksize=settings.block_size,
            skip_instance_cache=True,  # never share a filesystem (and its credentials) with other code
            use_listings_cache=False,
            rb_settings=settings,
        )
    except ValueError as error:  # adlfs: no usable connection details (its text may quote them: not kept)
        raise StorageError(
            problem(Fault.CREDENTIALS, "the Azure connection details are not usable")
        ) from error
    return fs


def fs_path(url: ObjectUrl) -> str:
    """`container/path`, the path adlfs wants."""
    return f"{url.bucket}/{url.key}" if url.key else url.bucket


def info(fs: Any, path: str, **extra: Any) -> Any:
    """One blob's properties with ONE request (a HEAD); adlfs's `info` also lists the "folder"
    after a miss. A miss answers BlobNotFound or ContainerNotFound (the `x-ms-error-code` header),
    so a missing container is told here too."""
    from fsspec.asyn import sync

    async def head() -> Any:
        container, key, _ = fs.split_path(path)
        async with fs.service_client.get_blob_client(container, key) as client:
            properties = await client.get_blob_properties()
        return (await fs._details([properties]))[0]

    return sync(fs.loop, head, **extra)


def version_of(info: Mapping[str, Any]) -> str:
    """The blob's version id when the account keeps versions, else its ETag (both change with every
    write)."""
    for key in ("version_id", "etag"):
        value = info.get(key)
        if value:
            return str(value).strip('"')
    return ""


def classify(error: BaseException) -> StorageProblem | None:
    """Azure SDK / adlfs errors → a safe problem; None when this backend does not know the error (the
    generic classification in `faults` then applies) or when it only says "no such blob"."""
    for link in chain(error):
        name = type(link).__name__
        module = type(link).__module__ or ""
        if isinstance(link, StorageError):
            return link.problem
        if module.startswith("azure"):
            found = _classify_azure(link, name)
            if found is not None or name in ("ResourceNotFoundError",):
                return found
    return None


def _classify_azure(error: BaseException, name: str) -> StorageProblem | None:
    status = getattr(error, "status_code", None)
    code = _code(error)
    if isinstance(status, int) and status >= 400:
        if code in _MISSING_OBJECT_CODES or (status == 404 and not code):
            return None
        return from_code(code, status)
    if name in {"CredentialUnavailableError", "ClientAuthenticationError"}:
        return problem(Fault.CREDENTIALS, "no usable Azure credential")
    if "Timeout" in name:
        return problem(Fault.TIMEOUT, name)
    if name == "IncompleteReadError":
        return problem(Fault.RESET, name)
    if name in {"ServiceRequestError", "ServiceResponseError"}:
        return None  # the aiohttp/socket error it wraps (next in the chain) says what happened
    return None


def _code(error: BaseException) -> str:
    """The `x-ms-error-code` of an answer ("ContainerNotFound", "ServerBusy"...), as a plain string."""
    code = getattr(error, "error_code", None)
    value = getattr(code, "value", code)  # the SDK's StorageErrorCode enum
    if value:
        return str(value)
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None)
    if headers is not None:
        return str(headers.get("x-ms-error-code") or "")
    return ""


def instrument(fs: Any, count: Callable[[str], None]) -> bool:
    """Count every HTTP request the client sends, by kind ("list", "head", "get")."""
    fs.rb_count = count
    return True


def request_kind(method: str, url: str) -> str:
    """What a Blob REST request is: a listing (`comp=list`), a HEAD (properties), a GET (content),
    or another operation (its method, lower case)."""
    query = url.partition("?")[2]
    if "comp=list" in query:
        return "list"
    return "head" if method.upper() == "HEAD" else method.lower()


def _client_options(fs: Any) -> dict[str, Any]:
    settings: StorageSettings = fs.rb_settings

    def hook(request: Any) -> None:
        count = fs.rb_count
        if count is not None:
            http = request.http_request
            count(request_kind(str(http.method), str(http.url)))

    return {
        "retry_total": 0,  # one attempt: `Stores.call` retries with the settings' bounded backoff
        "connection_timeout": settings.timeout,
        "read_timeout": settings.timeout,
        "raw_request_hook": hook,
    }


def _do_connect(self: Any) -> None:
    """adlfs's `do_connect` (connection string first, then account name with a credential, a key or
    a SAS token; anonymous when asked), with the settings' timeouts and without the SDK's retries."""
    from azure.storage.blob.aio import BlobServiceClient

    options = _client_options(self)
    anonymous = bool(self.anon)
    if self.connection_string:
        client = BlobServiceClient.from_connection_string(self.connection_string, **options)
        if anonymous:
            client = BlobServiceClient(client.primary_endpoint.split("?", 1)[0], **options)
    elif self.account_name:
        host = getattr(self, "account_host", None) or f"{self.account_name}.blob.core.windows.net"
        url = f"https://{host}"
        credential = None if anonymous else (self.credential or self.account_key)
        if credential is None and self.sas_token and not anonymous:
            url += "?" + str(self.sas_token).lstrip("?")
        client = BlobServiceClient(url, credential=credential, **options)
    else:
        raise ValueError("no Azure account")
    self.service_client = client


def _init(self: Any, *args: Any, rb_settings: StorageSettings | None = None, **kwargs: Any) -> None:
    from adlfs import AzureBlobFileSystem

    self.rb_settings = rb_settings or StorageSettings()
    AzureBlobFileSystem.__init__(self, *args, **kwargs)


@functools.cache
def _bounded_class() -> Any:
    from adlfs import AzureBlobFileSystem

    return type(
        "BoundedAzureBlobFileSystem",
        (AzureBlobFileSystem,),
        {"__init__": _init, "do_connect": _do_connect, "rb_count": None},
    )
