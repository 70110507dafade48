"""The Azure Blob backend against a real Azurite on loopback (and a fault proxy in front of it):
existence by listing, streaming, versions, no such container, and faults classified from real
errors. Skipped when Azurite is not installed, except in CI, where that fails (see
tests/storage_emulators.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from storage_emulators import (  # noqa: F401 - fixtures
    AZURITE_KEY,
    Azurite,
    azure_env_fixture,
    azurite_fixture,
    connection_string,
    proxies_fixture,
)
from storage_servers import FaultProxy

from rb_lint.storage import azure
from rb_lint.storage.access import Stores
from rb_lint.storage.faults import Fault, StorageError, StorageProblem, classify
from rb_lint.storage.settings import StorageSettings
from rb_lint.storage.urls import parse_url

pytest.importorskip("adlfs")

FAST = StorageSettings(timeout=1.0, retries=2, backoff=0.01, block_size=4096)
MASK = bytes(range(256)) * 800  # 200 KiB: several ranged reads
WRONG_KEY = "QUFB" * 22  # a well-formed key Azurite does not accept


def problem_of(error: BaseException) -> StorageProblem:
    return azure.classify(error) or classify(error)


def planted(env: Azurite) -> None:
    env.container(
        "masks",
        {
            "root/a.nii.gz": b"first",
            "root/b.nii.gz": b"second!",
            "root/sub/c.nii.gz": MASK,
            "elsewhere/d.nii.gz": b"d",
        },
    )


def test_filesystem_lists_reads_and_tells_missing_objects(azure_env: Azurite) -> None:
    planted(azure_env)
    fs = azure.filesystem("masks", FAST)
    assert sorted(fs.find("masks/root")) == [
        "masks/root/a.nii.gz",
        "masks/root/b.nii.gz",
        "masks/root/sub/c.nii.gz",
    ]
    assert fs.exists("masks/root/a.nii.gz")
    assert not fs.exists("masks/root/missing.nii.gz")
    found = azure.info(fs, "masks/root/b.nii.gz")
    assert found["size"] == 7 and azure.version_of(found)
    with fs.open("masks/root/sub/c.nii.gz", "rb") as handle:
        assert handle.read() == MASK


def test_objects_present_and_missing_are_told_by_one_listing(azure_env: Azurite) -> None:
    planted(azure_env)
    stores = Stores(FAST)
    urls = [
        "az://masks/root/a.nii.gz",
        "abfs://masks/root/b.nii.gz",
        "az://masks/root/sub/c.nii.gz",
        "az://masks/root/missing.nii.gz",
        "az://masks/root/sub/missing.nii.gz",
    ]
    found = stores.exist(urls)
    assert {url: item.exists for url, item in found.items()} == {
        "az://masks/root/a.nii.gz": True,
        "abfs://masks/root/b.nii.gz": True,
        "az://masks/root/sub/c.nii.gz": True,
        "az://masks/root/missing.nii.gz": False,
        "az://masks/root/sub/missing.nii.gz": False,
    }
    assert all(item.problem is None for item in found.values())
    assert found["az://masks/root/sub/c.nii.gz"].size == len(MASK)
    assert found["az://masks/root/a.nii.gz"].version
    assert stores.requests("list") == 1


def test_listing_a_prefix_of_many_objects(azure_env: Azurite) -> None:
    keys = {f"batch/scan-{n:03}.nii.gz": b"x" for n in range(60)}
    azure_env.container("many", keys)
    stores = Stores(FAST)
    found = stores.exist([f"az://many/{key}" for key in keys] + ["az://many/batch/scan-999.nii.gz"])
    assert sum(item.exists for item in found.values()) == 60
    assert not found["az://many/batch/scan-999.nii.gz"].exists
    assert stores.requests("list") == 1  # one listing, no request per object
    assert stores.requests() <= 2  # adlfs's find first asks whether the folder is itself a blob


def test_streaming_an_object_reads_every_byte_in_ranged_blocks(azure_env: Azurite) -> None:
    planted(azure_env)
    stores = Stores(FAST)
    with stores.open("az://masks/root/sub/c.nii.gz", size=len(MASK)) as handle:
        chunks = []
        while chunk := handle.read(1000):
            chunks.append(chunk)
    assert b"".join(chunks) == MASK
    assert stores.requests("get") >= 3  # ranged reads: never the whole object at once


def test_version_is_stable_across_reads_and_changes_after_an_overwrite(azure_env: Azurite) -> None:
    writer = azure_env.container("versions", {"mask.nii.gz": b"one"})
    url = "az://versions/mask.nii.gz"
    first, second = Stores(FAST).info(url), Stores(FAST).info(url)
    assert first.exists and first.version and first.version == second.version
    writer.pipe("versions/mask.nii.gz", b"two")
    third = Stores(FAST).info(url)
    assert third.version and third.version != first.version


def test_no_such_container_is_a_problem_for_every_object_in_it(azure_env: Azurite) -> None:
    planted(azure_env)
    urls = [f"az://no-such-container/root/{n}.nii.gz" for n in range(4)]
    found = Stores(FAST).exist([*urls, "az://masks/root/a.nii.gz"])
    assert found["az://masks/root/a.nii.gz"].exists
    for url in urls:
        problem = found[url].problem
        assert problem is not None and problem.fault is Fault.NOT_FOUND_BUCKET
    one = Stores(FAST).info("az://no-such-container/root/0.nii.gz")  # a single HEAD tells it too
    assert one.problem is not None and one.problem.fault is Fault.NOT_FOUND_BUCKET


def test_classify_tells_a_missing_container_from_a_missing_blob(azure_env: Azurite) -> None:
    planted(azure_env)
    fs = azure.filesystem("masks", FAST)
    with pytest.raises(FileNotFoundError) as missing_container:
        fs.ls("no-such-container/root")
    assert azure.classify(missing_container.value) == StorageProblem(
        Fault.NOT_FOUND_BUCKET, "no such bucket or container (ContainerNotFound, HTTP 404)"
    )
    with pytest.raises(FileNotFoundError) as missing_blob:
        fs.cat_file("masks/root/missing.nii.gz")
    assert azure.classify(missing_blob.value) is None  # not a fault: the blob is not there


def test_a_wrong_account_key_is_access_denied_and_never_shown(
    azure_env: Azurite, monkeypatch: pytest.MonkeyPatch
) -> None:
    planted(azure_env)
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", connection_string(azure_env.endpoint, WRONG_KEY))
    fs = azure.filesystem("masks", FAST)
    with pytest.raises(Exception) as raised:
        fs.cat_file("masks/root/a.nii.gz")
    found = problem_of(raised.value)
    assert found.fault is Fault.DENIED and "HTTP 403" in found.reason
    stores = Stores(FAST)
    result = stores.exist([f"az://masks/root/{name}" for name in ("a.nii.gz", "b.nii.gz", "x.nii.gz")])
    for item in result.values():
        assert item.problem is not None and item.problem.fault is Fault.DENIED
        assert WRONG_KEY not in item.problem.reason and AZURITE_KEY not in item.problem.reason
        assert "AccountKey" not in item.problem.reason


def test_no_azure_account_in_the_environment_is_a_credentials_problem(
    azure_env: Azurite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AZURE_STORAGE_CONNECTION_STRING")
    with pytest.raises(StorageError) as raised:
        azure.filesystem("masks", FAST)
    assert raised.value.problem.fault is Fault.CREDENTIALS


def test_anonymous_reads_a_public_container_and_is_denied_a_private_one(azure_env: Azurite) -> None:
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(azure_env.connection_string)
    service.create_container("public", public_access="blob").upload_blob("open.nii.gz", b"open data")
    planted(azure_env)
    settings = StorageSettings(anonymous=True, timeout=1.0, retries=0)
    assert Stores(settings).info("az://public/open.nii.gz").exists
    private = Stores(settings).info("az://masks/root/a.nii.gz")
    assert private.problem is not None and private.problem.fault in (Fault.DENIED, Fault.CREDENTIALS)


def through_proxy(
    monkeypatch: pytest.MonkeyPatch, env: Azurite, proxies: Callable[[str], FaultProxy]
) -> FaultProxy:
    proxy = proxies(env.endpoint)
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", connection_string(proxy.endpoint))
    return proxy


@pytest.mark.parametrize(
    ("status", "code", "fault"),
    [
        (403, "AuthorizationPermissionMismatch", Fault.DENIED),
        (403, "AuthenticationFailed", Fault.CREDENTIALS),
        (503, "ServerBusy", Fault.THROTTLED),
        (500, "OperationTimedOut", Fault.TIMEOUT),
    ],
)
def test_classify_real_error_answers(
    azure_env: Azurite,
    monkeypatch: pytest.MonkeyPatch,
    proxies: Callable[[str], FaultProxy],
    status: int,
    code: str,
    fault: Fault,
) -> None:
    planted(azure_env)
    proxy = through_proxy(monkeypatch, azure_env, proxies)
    proxy.add("status", times=None, status=status, code=code)
    fs = azure.filesystem("masks", FAST)
    with pytest.raises(Exception) as raised:
        fs.cat_file("masks/root/a.nii.gz")
    found = problem_of(raised.value)
    assert found.fault is fault and f"HTTP {status}" in found.reason and code in found.reason
    assert proxy.count() == 1  # the SDK's own retries are off: the access layer retries


def test_throttling_is_retried_a_bounded_number_of_times_then_reported(
    azure_env: Azurite, monkeypatch: pytest.MonkeyPatch, proxies: Callable[[str], FaultProxy]
) -> None:
    planted(azure_env)
    proxy = through_proxy(monkeypatch, azure_env, proxies)
    proxy.add("status", times=None, status=503, code="ServerBusy")
    stores = Stores(FAST)
    found = stores.info("az://masks/root/a.nii.gz")
    assert found.problem is not None and found.problem.fault is Fault.THROTTLED
    assert proxy.count() == FAST.retries + 1 == stores.requests()  # one request per attempt


def test_throttling_that_passes_is_not_a_problem(
    azure_env: Azurite, monkeypatch: pytest.MonkeyPatch, proxies: Callable[[str], FaultProxy]
) -> None:
    planted(azure_env)
    proxy = through_proxy(monkeypatch, azure_env, proxies)
    proxy.add("status", times=2, status=503, code="ServerBusy")
    with Stores(FAST).open("az://masks/root/sub/c.nii.gz", size=len(MASK)) as handle:
        assert handle.read() == MASK


def test_a_stalled_answer_is_a_timeout(
    azure_env: Azurite, monkeypatch: pytest.MonkeyPatch, proxies: Callable[[str], FaultProxy]
) -> None:
    planted(azure_env)
    proxy = through_proxy(monkeypatch, azure_env, proxies)
    proxy.add("stall", times=None, seconds=10.0)
    settings = StorageSettings(timeout=0.5, retries=1, backoff=0.01)
    found = Stores(settings).info("az://masks/root/a.nii.gz")
    assert found.problem is not None and found.problem.fault is Fault.TIMEOUT


def test_a_connection_dropped_mid_object_is_a_reset(
    azure_env: Azurite, monkeypatch: pytest.MonkeyPatch, proxies: Callable[[str], FaultProxy]
) -> None:
    planted(azure_env)
    proxy = through_proxy(monkeypatch, azure_env, proxies)
    proxy.add("drop", times=None, match=lambda method, path: method == "GET" and "comp=" not in path)
    once = StorageSettings(timeout=1.0, retries=0, block_size=4096)  # the SDK itself reads 3 times, 1 s apart
    with (
        pytest.raises(StorageError) as failed,
        Stores(once).open("az://masks/root/sub/c.nii.gz", size=len(MASK)) as handle,
    ):
        handle.read()
    assert failed.value.problem.fault is Fault.RESET


def test_paths_versions_and_request_kinds() -> None:
    url = parse_url("az://container/root/sub/f.nii.gz")
    assert url is not None and azure.fs_path(url) == "container/root/sub/f.nii.gz"
    assert azure.version_of({"etag": '"0x8DC"'}) == "0x8DC"
    assert azure.version_of({"version_id": "2024-01-01T00:00:00.0000000Z", "etag": '"0x8DC"'}).startswith(
        "2024"
    )
    assert azure.version_of({}) == ""
    assert azure.request_kind("GET", "http://h/acct/c?restype=container&comp=list&prefix=a/") == "list"
    assert azure.request_kind("HEAD", "http://h/acct/c/blob") == "head"
    assert azure.request_kind("GET", "http://h/acct/c/blob") == "get"
    assert azure.EXTRA == "azure"


def test_keys_with_hash_question_mark_space_and_non_ascii(azure_env: Azurite) -> None:
    names = ["scan#1.nii.gz", "a b.nii.gz", "q?x.nii.gz", "ü.nii.gz"]
    azure_env.container("odd", {f"p/{name}": name.encode() for name in names})
    stores = Stores(FAST)
    urls = [f"az://odd/p/{name}" for name in names]
    assert all(item.exists for item in stores.exist(urls).values())
    for name, url in zip(names, urls, strict=True):
        assert stores.info(url).exists
        with stores.open(url) as handle:
            assert handle.read() == name.encode()
