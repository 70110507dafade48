"""Faults become safe problems, after bounded retries, within bounded time: a proxy in front of
moto's S3 server (and of a plain HTTP server) answers 403/503, drops a connection mid-object or
stalls."""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from storage_servers import CREDENTIALS, FaultProxy, HttpServer, S3Server
from test_nifti_support import nifti_bytes

from rb_lint.nifti.scan import UNREADABLE, scan_file
from rb_lint.storage.access import RemoteObject, Stores, storage_usable, unusable
from rb_lint.storage.faults import Fault, StorageProblem
from rb_lint.storage.scanning import scan_remote
from rb_lint.storage.settings import StorageSettings

pytest_plugins = ["storage_servers"]  # its fixtures

BUCKET = "rb-lint-faults"
MASK = gzip.compress(nifti_bytes(np.arange(4096, dtype=np.uint16).reshape(16, 16, 16) % 5), compresslevel=1)


def objects_only(method: str, path: str) -> bool:
    return method == "GET" and "list-type" not in path and path.count("/") > 1


def listings_only(method: str, path: str) -> bool:
    return "list-type" in path


# Bounds the faults below must finish within: far under the proxy's 30 s stalls, the 30 s default
# timeout and "forever", yet loose enough for a loaded machine (the settings used ask for ~2 s).
NOT_A_HANG = 20.0


def fast(endpoint: str, **options: object) -> StorageSettings:
    values: dict[str, object] = {"endpoint_url": endpoint, "timeout": 2.0, "retries": 2, "backoff": 0.02}
    values.update(options)
    return StorageSettings(**values)  # type: ignore[arg-type]


def safe(problem: StorageProblem | None) -> StorageProblem:
    """The problem exists and its reason carries no credential, signature or URL."""
    assert problem is not None
    for secret in (*CREDENTIALS.values(), "Signature", "Credential=", "X-Amz", "127.0.0.1", "http"):
        assert secret not in problem.reason, problem.reason
    assert "\n" not in problem.reason
    return problem


def proxied(s3_env: S3Server, proxy_for: Callable[[str], FaultProxy]) -> FaultProxy:
    s3_env.bucket(BUCKET, {"k/mask.nii.gz": MASK, "k/b": b"2", "k/c": b"3"})
    return proxy_for(s3_env.endpoint)


URLS = [f"s3://{BUCKET}/k/mask.nii.gz", f"s3://{BUCKET}/k/b", f"s3://{BUCKET}/k/missing"]


def test_throttled_a_few_times_then_served(s3_env: S3Server, proxy_for: Callable[[str], FaultProxy]) -> None:
    proxy = proxied(s3_env, proxy_for)
    proxy.add("status", times=2, status=503, code="SlowDown")
    stores = Stores(fast(proxy.endpoint))
    found = stores.exist(URLS)
    assert [found[url].exists for url in URLS] == [True, True, False]
    assert all(item.problem is None for item in found.values())
    assert stores.requests("list") == 3  # two throttled, one served


def test_throttled_forever_is_a_problem_after_bounded_retries(
    s3_env: S3Server, proxy_for: Callable[[str], FaultProxy]
) -> None:
    proxy = proxied(s3_env, proxy_for)
    proxy.add("status", times=None, status=503, code="SlowDown")
    stores = Stores(fast(proxy.endpoint, retries=3))
    started = time.monotonic()
    found = stores.exist(URLS)
    assert time.monotonic() - started < NOT_A_HANG
    problem = safe(found[URLS[0]].problem)
    assert problem.fault is Fault.THROTTLED and "SlowDown" in problem.reason
    assert {item.problem for item in found.values()} == {problem}
    assert stores.requests() == 4  # one try and three retries
    assert storage_usable(found.values())  # throttling is a finding, not an unusable storage


def test_access_denied_everywhere_makes_the_storage_unusable(
    s3_env: S3Server, proxy_for: Callable[[str], FaultProxy]
) -> None:
    proxy = proxied(s3_env, proxy_for)
    proxy.add("status", times=None, status=403, code="AccessDenied")
    stores = Stores(fast(proxy.endpoint))
    found = stores.exist(URLS)
    assert {safe(item.problem).fault for item in found.values()} == {Fault.DENIED}
    assert unusable(found.values()) is not None
    assert stores.requests("list") == 1  # denied is not retried


def test_listing_denied_falls_back_to_one_head_per_object(
    s3_env: S3Server, proxy_for: Callable[[str], FaultProxy]
) -> None:
    proxy = proxied(s3_env, proxy_for)
    proxy.add("status", times=None, match=listings_only, status=403, code="AccessDenied")
    stores = Stores(fast(proxy.endpoint))
    found = stores.exist(URLS)
    assert [found[url].exists for url in URLS] == [True, True, False]
    assert (stores.requests("list"), stores.requests("head")) == (1, 3)


def test_connection_dropped_mid_object_once_is_resumed(
    s3_env: S3Server,
    proxy_for: Callable[[str], FaultProxy],
    tmp_path: Path,
) -> None:
    proxy = proxied(s3_env, proxy_for)
    proxy.add("drop", times=1, match=objects_only)
    stores = Stores(fast(proxy.endpoint))
    found = stores.exist(URLS[:1])
    result = scan_remote(stores, list(found.values()))[URLS[0]]
    local = tmp_path / "mask.nii.gz"
    local.write_bytes(MASK)
    assert result.to_dict() == scan_file(local).to_dict()
    assert stores.requests("get") == 2


def test_connection_dropped_every_time_is_an_unreadable_mask(
    s3_env: S3Server, proxy_for: Callable[[str], FaultProxy]
) -> None:
    proxy = proxied(s3_env, proxy_for)
    proxy.add("drop", times=None, match=objects_only)
    stores = Stores(fast(proxy.endpoint))
    started = time.monotonic()
    result = scan_remote(stores, list(stores.exist(URLS[:1]).values()))[URLS[0]]
    assert time.monotonic() - started < NOT_A_HANG
    problem = result.problem(UNREADABLE)
    assert problem is not None and "connection reset" in problem.message
    assert stores.requests("get") == 3
    assert not result.cacheable


def test_a_stalled_listing_times_out(s3_env: S3Server, proxy_for: Callable[[str], FaultProxy]) -> None:
    proxy = proxied(s3_env, proxy_for)
    proxy.add("stall", times=None, seconds=30)
    stores = Stores(fast(proxy.endpoint, timeout=0.5, retries=1))
    started = time.monotonic()
    found = stores.exist(URLS)
    assert time.monotonic() - started < NOT_A_HANG
    assert safe(found[URLS[0]].problem).fault is Fault.TIMEOUT


def test_a_stalled_object_read_times_out_as_an_unreadable_mask(
    s3_env: S3Server, proxy_for: Callable[[str], FaultProxy]
) -> None:
    proxy = proxied(s3_env, proxy_for)
    proxy.add("stall", times=None, match=objects_only, seconds=30)
    stores = Stores(fast(proxy.endpoint, timeout=0.5, retries=1))
    found = stores.exist(URLS[:1])
    started = time.monotonic()
    result = scan_remote(stores, list(found.values()))[URLS[0]]
    assert time.monotonic() - started < NOT_A_HANG
    problem = result.problem(UNREADABLE)
    assert problem is not None and "timed out" in problem.message


def test_an_endpoint_nobody_listens_on_is_a_problem_not_a_hang(s3_env: S3Server) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stores = Stores(fast(f"http://127.0.0.1:{port}", retries=1))
    started = time.monotonic()
    found = stores.exist(URLS)
    assert time.monotonic() - started < NOT_A_HANG
    assert safe(found[URLS[0]].problem).fault is Fault.RESET


def test_http_faults_throttled_then_served_and_forever(
    http_server: HttpServer,
    proxy_for: Callable[[str], FaultProxy],
) -> None:
    http_server.files["p/a.nii.gz"] = MASK
    proxy = proxy_for(http_server.base)
    proxy.add("status", times=1, status=503)
    url = f"http://127.0.0.1:{proxy.port}/p/a.nii.gz"
    stores = Stores(fast("", endpoint_url=None))
    assert stores.exist([url])[url].exists
    assert stores.requests("head") == 2
    proxy.add("status", times=None, status=503)
    started = time.monotonic()
    found = Stores(fast("", endpoint_url=None)).exist([url])[url]
    assert time.monotonic() - started < NOT_A_HANG
    assert safe(found.problem).fault is Fault.THROTTLED


def test_http_403_is_denied(http_server: HttpServer, proxy_for: Callable[[str], FaultProxy]) -> None:
    proxy = proxy_for(http_server.base)
    proxy.add("status", times=None, status=403)
    url = f"http://127.0.0.1:{proxy.port}/p/a.nii.gz?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIAX"
    found = Stores(fast("", endpoint_url=None)).exist([url])[url]
    problem = safe(found.problem)
    assert problem.fault is Fault.DENIED
    assert "deadbeef" not in problem.reason and "AKIAX" not in problem.reason


def test_http_dropped_mid_object_resumes_with_a_range(
    http_server: HttpServer,
    proxy_for: Callable[[str], FaultProxy],
    tmp_path: Path,
) -> None:
    http_server.files["p/a.nii.gz"] = MASK
    proxy = proxy_for(http_server.base)
    proxy.add("drop", times=1, match=lambda method, path: method == "GET")
    url = f"http://127.0.0.1:{proxy.port}/p/a.nii.gz"
    stores = Stores(fast("", endpoint_url=None))
    result = scan_remote(stores, [stores.info(url)])[url]
    local = tmp_path / "a.nii.gz"
    local.write_bytes(MASK)
    assert result.to_dict() == scan_file(local).to_dict()
    assert [method for method, _ in http_server.requests] == ["HEAD", "GET", "GET"]


def test_usability_verdicts() -> None:
    denied = StorageProblem(Fault.DENIED, "access denied")
    assert unusable([RemoteObject("s3://b/a", False, problem=denied)] * 2) == denied
    assert unusable([RemoteObject("s3://b/a", False, problem=denied), RemoteObject("s3://b/c", True)]) is None
    assert unusable([]) is None
