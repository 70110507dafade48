"""Loopback emulators for the GCS and Azure Blob tests (no internet, no credentials of the developer).

- `GcsEmulator`: gcp-storage-emulator's own request handler and in-memory storage, served by a
  `HTTPServer` this module binds on 127.0.0.1 and a free port (bound before the thread starts: no
  start-up wait at all) in a daemon thread. gcsfs reaches it through `STORAGE_EMULATOR_HOST`.
- `Azurite`: Azurite's blob service from npm, a subprocess on 127.0.0.1 with port 0 (Azurite prints
  the port it got; the wait for that line is bounded), data in a temporary folder, telemetry off.
  Clients reach it through `AZURE_STORAGE_CONNECTION_STRING` with Azurite's well-known development
  key. The binary is `$RB_LINT_AZURITE` (CI installs a pinned Azurite and sets it), else
  `azurite-blob` on PATH. Without it the Azure tests are skipped, except in CI (`CI=true`), where
  they fail with a message saying how to install it.

Pytest fixtures (import the `*_fixture` functions; the fixtures' names are without the suffix):
`gcs_emulator` / `azurite` (module scope: started once per test module, stopped after it),
`gcs_env` / `azure_env` (the environment pointing the clients at them, nothing else of the
developer's setup). Fault proxies come from the `proxy_for` fixture of storage_servers.

`GCS` / `AZURE` (`Backend`s): what the tests shared by both backends (tests/test_storage_backends.py)
need to know of each: its URL scheme, how to make a bucket, how to point the clients elsewhere, and
the few things the two really do differently; the `backend` fixture gives each in turn, its emulator
started. `FAST`, `MASK` and `PLANTED` are what those tests (and the backend-specific ones) use."""

from __future__ import annotations

import contextlib
import functools
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from http.server import HTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from rb_lint.storage import azure, gcs
from rb_lint.storage.faults import Fault
from rb_lint.storage.settings import StorageSettings

AZURITE_ENV = "RB_LINT_AZURITE"
AZURITE_ACCOUNT = "devstoreaccount1"
# Azurite's well-known development key: public, documented, only ever valid for a local Azurite.
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
START_WAIT = 30.0  # seconds Azurite may take to say it listens (about 1 s here)
STOP_WAIT = 10.0
GCS_CLEARED = ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT", "GCSFS_DEFAULT_PROJECT")
AZURE_CLEARED = (
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_ACCOUNT_NAME",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_STORAGE_CLIENT_ID",
    "AZURE_STORAGE_CLIENT_SECRET",
    "AZURE_STORAGE_TENANT_ID",
    "AZURE_STORAGE_ANON",
)
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")


# -- GCS -----------------------------------------------------------------------------------------
class GcsEmulator:
    """gcp-storage-emulator on loopback; `endpoint` is its URL ("http://127.0.0.1:port")."""

    def __init__(self) -> None:
        from gcp_storage_emulator.server import RequestHandler
        from gcp_storage_emulator.storage import Storage

        self.storage = Storage(use_memory_fs=True)
        self.server = HTTPServer(("127.0.0.1", 0), functools.partial(RequestHandler, self.storage))
        self.port = self.server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def client(self) -> Any:
        """A plain gcsfs filesystem on the emulator (for the tests' own writes)."""
        from gcsfs.core import GCSFileSystem

        return GCSFileSystem(
            token="anon", endpoint_url=self.endpoint, skip_instance_cache=True, use_listings_cache=False
        )

    def bucket(self, name: str, objects: dict[str, bytes] | None = None) -> Any:
        fs = self.client()
        fs.mkdir(name)
        for key, body in (objects or {}).items():
            fs.pipe(f"{name}/{key}", body)
        return fs

    def wipe(self) -> None:
        self.storage.wipe()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(STOP_WAIT)


@pytest.fixture(scope="module", name="gcs_emulator")
def gcs_emulator_fixture() -> Iterator[GcsEmulator]:
    pytest.importorskip("gcp_storage_emulator")
    emulator = GcsEmulator()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture(name="gcs_env")
def gcs_env_fixture(
    monkeypatch: pytest.MonkeyPatch, gcs_emulator: GcsEmulator, tmp_path: Path
) -> GcsEmulator:
    """`STORAGE_EMULATOR_HOST` on the emulator; no Google credentials or gcloud config of the
    developer; the emulator emptied."""
    for name in (*GCS_CLEARED, *PROXIES):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.endpoint)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "no-gcloud-config"))
    monkeypatch.setenv("NO_GCE_CHECK", "true")
    gcs_emulator.wipe()
    return gcs_emulator


# -- Azure Blob (Azurite) ------------------------------------------------------------------------
def azurite_binary() -> str | None:
    """`$RB_LINT_AZURITE` when it names an executable file, else `azurite-blob` on PATH."""
    named = os.environ.get(AZURITE_ENV, "").strip()
    if named and os.path.isfile(named) and os.access(named, os.X_OK):
        return named
    return shutil.which("azurite-blob")


def connection_string(endpoint: str, key: str = AZURITE_KEY) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={key};"
        f"BlobEndpoint={endpoint}/{AZURITE_ACCOUNT};"
    )


def _die_with_parent() -> None:
    """Linux: Azurite gets SIGTERM when the test process dies, even killed (no orphan server)."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Azurite:
    """Azurite's blob service on loopback; `endpoint` is "http://127.0.0.1:port"."""

    def __init__(self, binary: str, location: Path) -> None:
        self.location = location
        self.process = subprocess.Popen(
            [
                binary,
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                "0",
                "--location",
                str(location),
                "--silent",
                "--skipApiVersionCheck",
                "--loose",
                "--disableTelemetry",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: stopping it stops node and its children
            preexec_fn=_die_with_parent,
        )
        self.output: list[str] = []
        lines: queue.Queue[str | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, args=(lines,), daemon=True)
        self.reader.start()
        try:
            self.port = self._wait_for_port(lines)
        except BaseException:
            self.stop()
            raise
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.connection_string = connection_string(self.endpoint)

    def _read(self, lines: queue.Queue[str | None]) -> None:
        """Drain Azurite's output for its whole life (a full pipe would block it)."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line.rstrip())
            lines.put(line)
        lines.put(None)

    def _wait_for_port(self, lines: queue.Queue[str | None]) -> int:
        deadline = time.monotonic() + START_WAIT
        while True:
            left = deadline - time.monotonic()
            try:
                line = lines.get(timeout=max(0.01, left))
            except queue.Empty:
                line = ""
            if line is None:
                raise RuntimeError("Azurite exited before listening:\n" + "\n".join(self.output[-20:]))
            found = re.search(r"listens on https?://[^\s:]+:(\d+)", line)
            if found:
                return int(found.group(1))
            if time.monotonic() >= deadline:
                raise RuntimeError(
                    f"Azurite did not listen within {START_WAIT:.0f} s:\n" + "\n".join(self.output[-20:])
                )

    def client(self, key: str = AZURITE_KEY) -> Any:
        """A plain adlfs filesystem on Azurite (for the tests' own writes)."""
        from adlfs import AzureBlobFileSystem

        return AzureBlobFileSystem(
            connection_string=connection_string(self.endpoint, key),
            skip_instance_cache=True,
            use_listings_cache=False,
        )

    def container(self, name: str, objects: dict[str, bytes] | None = None) -> Any:
        fs = self.client()
        fs.mkdir(name)
        for key, body in (objects or {}).items():
            fs.pipe(f"{name}/{key}", body)
        return fs

    def wipe(self) -> None:
        from azure.storage.blob import BlobServiceClient

        with BlobServiceClient.from_connection_string(self.connection_string) as service:
            for container in service.list_containers():
                service.delete_container(container.name)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(STOP_WAIT)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(STOP_WAIT)
        self.reader.join(STOP_WAIT)
        if self.process.stdout is not None:
            self.process.stdout.close()


def _no_azurite() -> None:
    message = (
        "Azurite (npm package `azurite`) is not installed: set RB_LINT_AZURITE to its `azurite-blob` "
        "or put `azurite-blob` on PATH (`npm install azurite`; .ci/run installs a pinned one)"
    )
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module", name="azurite")
def azurite_fixture() -> Iterator[Azurite]:
    pytest.importorskip("adlfs")
    binary = azurite_binary()
    if binary is None:
        _no_azurite()
    assert binary is not None
    with tempfile.TemporaryDirectory(prefix="rb-lint-azurite-") as location:
        server = Azurite(binary, Path(location))
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(name="azure_env")
def azure_env_fixture(monkeypatch: pytest.MonkeyPatch, azurite: Azurite) -> Azurite:
    """`AZURE_STORAGE_CONNECTION_STRING` on Azurite and no other Azure setting of the developer;
    Azurite emptied."""
    for name in (*AZURE_CLEARED, *PROXIES):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite.connection_string)
    azurite.wipe()
    return azurite


# -- the backends as the shared tests see them ---------------------------------------------------
FAST = StorageSettings(timeout=1.0, retries=2, backoff=0.01, block_size=4096)
MASK = bytes(range(256)) * 800  # 200 KiB: several ranged reads
PLANTED = {
    "root/a.nii.gz": b"first",
    "root/b.nii.gz": b"second!",
    "root/sub/c.nii.gz": MASK,
    "elsewhere/d.nii.gz": b"d",
}


@dataclass(frozen=True)
class Backend:
    """One emulated backend as the shared tests see it: what differs between backends is data here."""

    name: str  # the test id
    module: ModuleType  # rb_lint.storage.<backend>
    scheme: str
    alias: str  # another scheme of the same store
    env_fixture: str  # the fixture that starts the emulator and points the clients at it
    make_bucket: Callable[[Any, str, dict[str, bytes]], Any]  # (emulator, name, objects) -> a writer fs
    endpoint_variable: str  # what points the clients at a server...
    endpoint_setting: Callable[[str], str]  # ...and its value for an endpoint
    info: Callable[[Any, str], Any]  # (fs, path) -> one object's properties, as the tests read them
    list_missing_bucket: Callable[[Any, str], Any]  # (fs, path): a listing that raises FileNotFoundError
    missing_bucket_reason: str
    is_object_read: Callable[[str, str], bool]  # (method, path) of a request that reads an object's bytes
    drop_settings: StorageSettings  # for reads through a proxy that drops them
    listing_probes: int  # requests a listing makes besides the listing itself
    throttle_code: str
    reason_names_code: bool  # whether a problem's reason names the error code of the answer
    error_answers: tuple[tuple[int, str, Fault], ...]  # (status, code, fault) the fault proxy answers
    emulator: Any = None  # set by the `backend` fixture

    def bucket(self, name: str, objects: dict[str, bytes]) -> Any:
        """Makes the bucket (container) with `objects`; returns a filesystem for the test's own writes."""
        return self.make_bucket(self.emulator, name, objects)

    def point_at(self, monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
        monkeypatch.setenv(self.endpoint_variable, self.endpoint_setting(endpoint))


GCS = Backend(
    name="gcs",
    module=gcs,
    scheme="gs",
    alias="gcs",
    env_fixture="gcs_env",
    make_bucket=GcsEmulator.bucket,
    endpoint_variable="STORAGE_EMULATOR_HOST",
    endpoint_setting=str,
    info=lambda fs, path: fs.info(path),
    list_missing_bucket=lambda fs, path: fs.find(path),
    missing_bucket_reason="no such bucket or container (HTTP 404)",
    is_object_read=lambda method, path: "alt=media" in path,
    drop_settings=FAST,
    listing_probes=0,
    throttle_code="SlowDown",
    reason_names_code=False,  # gcsfs reads JSON error answers: the proxy's XML code is not seen
    error_answers=(
        (403, "injected", Fault.DENIED),
        (401, "injected", Fault.CREDENTIALS),
        (429, "injected", Fault.THROTTLED),
        (503, "injected", Fault.THROTTLED),
    ),
)
AZURE = Backend(
    name="azure",
    module=azure,
    scheme="az",
    alias="abfs",
    env_fixture="azure_env",
    make_bucket=Azurite.container,
    endpoint_variable="AZURE_STORAGE_CONNECTION_STRING",
    endpoint_setting=connection_string,
    info=azure.info,  # one HEAD: adlfs's own `info` lists the folder after a miss
    list_missing_bucket=lambda fs, path: fs.ls(path),
    missing_bucket_reason="no such bucket or container (ContainerNotFound, HTTP 404)",
    is_object_read=lambda method, path: method == "GET" and "comp=" not in path,
    drop_settings=StorageSettings(timeout=1.0, retries=0, block_size=4096),  # the SDK itself reads 3 times
    listing_probes=1,  # adlfs's find first asks whether the folder is itself a blob
    throttle_code="ServerBusy",
    reason_names_code=True,
    error_answers=(
        (403, "AuthorizationPermissionMismatch", Fault.DENIED),
        (403, "AuthenticationFailed", Fault.CREDENTIALS),
        (503, "ServerBusy", Fault.THROTTLED),
        (500, "OperationTimedOut", Fault.TIMEOUT),
    ),
)
BACKENDS = {backend.name: backend for backend in (GCS, AZURE)}


@pytest.fixture(name="backend", params=list(BACKENDS))
def backend_fixture(request: pytest.FixtureRequest) -> Backend:
    """Each backend in turn, its emulator started (once per module) and the environment on it."""
    backend = BACKENDS[request.param]
    return replace(backend, emulator=request.getfixturevalue(backend.env_fixture))
