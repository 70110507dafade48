"""What the GCS and Azure Blob backends must both do, each against its real emulator on loopback (and a
fault proxy in front of it): existence by listing, streaming, versions, no such bucket, odd keys, and
faults classified from real errors. What only one backend does is tested in test_storage_gcs.py and
test_storage_azure.py; the adapters (`backend`) are in storage_emulators.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from storage_emulators import (  # noqa: F401 - fixtures
    BACKENDS,
    FAST,
    MASK,
    PLANTED,
    Backend,
    azure_env_fixture,
    azurite_fixture,
    backend_fixture,
    gcs_emulator_fixture,
    gcs_env_fixture,
)
from storage_servers import FaultProxy, proxy_for_fixture  # noqa: F401 - fixture

from rb_lint.storage.access import Stores
from rb_lint.storage.faults import Fault, StorageError, StorageProblem, classify
from rb_lint.storage.settings import StorageSettings

pytest.importorskip("gcsfs")
pytest.importorskip("adlfs")

ERROR_ANSWERS = [(name, *answer) for name, backend in BACKENDS.items() for answer in backend.error_answers]


def problem_of(backend: Backend, error: BaseException) -> StorageProblem:
    return backend.module.classify(error) or classify(error)


def planted(backend: Backend) -> None:
    backend.bucket("masks", PLANTED)


def through_proxy(
    backend: Backend, monkeypatch: pytest.MonkeyPatch, proxy_for: Callable[[str], FaultProxy]
) -> FaultProxy:
    proxy = proxy_for(backend.emulator.endpoint)
    backend.point_at(monkeypatch, proxy.endpoint)
    return proxy


def test_filesystem_lists_reads_and_tells_missing_objects(backend: Backend) -> None:
    planted(backend)
    fs = backend.module.filesystem("masks", FAST)
    assert sorted(fs.find("masks/root")) == [
        "masks/root/a.nii.gz",
        "masks/root/b.nii.gz",
        "masks/root/sub/c.nii.gz",
    ]
    assert fs.exists("masks/root/a.nii.gz")
    assert not fs.exists("masks/root/missing.nii.gz")
    found = backend.info(fs, "masks/root/b.nii.gz")
    assert found["size"] == 7 and backend.module.version_of(found)
    with fs.open("masks/root/sub/c.nii.gz", "rb") as handle:
        assert handle.read() == MASK


def test_objects_present_and_missing_are_told_by_one_listing(backend: Backend) -> None:
    planted(backend)
    stores = Stores(FAST)
    own, alias = backend.scheme, backend.alias
    wanted = {
        f"{own}://masks/root/a.nii.gz": True,
        f"{alias}://masks/root/b.nii.gz": True,
        f"{alias}://masks/root/sub/c.nii.gz": True,
        f"{own}://masks/root/missing.nii.gz": False,
        f"{own}://masks/root/sub/missing.nii.gz": False,
    }
    found = stores.exist(list(wanted))
    assert {url: item.exists for url, item in found.items()} == wanted
    assert all(item.problem is None for item in found.values())
    assert found[f"{alias}://masks/root/sub/c.nii.gz"].size == len(MASK)
    assert found[f"{own}://masks/root/a.nii.gz"].version
    assert stores.requests("list") == 1 and stores.requests("head") <= backend.listing_probes


def test_listing_a_prefix_of_many_objects(backend: Backend) -> None:
    keys = {f"batch/scan-{n:03}.nii.gz": b"x" for n in range(60)}
    backend.bucket("many", keys)
    stores = Stores(FAST)
    missing = f"{backend.scheme}://many/batch/scan-999.nii.gz"
    found = stores.exist([f"{backend.scheme}://many/{key}" for key in keys] + [missing])
    assert sum(item.exists for item in found.values()) == 60
    assert not found[missing].exists
    assert stores.requests("list") == 1  # one listing, no request per object
    assert stores.requests() <= 1 + backend.listing_probes


def test_streaming_an_object_reads_every_byte_in_ranged_blocks(backend: Backend) -> None:
    planted(backend)
    stores = Stores(FAST)
    with stores.open(f"{backend.scheme}://masks/root/sub/c.nii.gz", size=len(MASK)) as handle:
        chunks = []
        while chunk := handle.read(1000):
            chunks.append(chunk)
    assert b"".join(chunks) == MASK
    assert stores.requests("get") >= 3  # ranged reads: never the whole object at once


def test_version_is_stable_across_reads_and_changes_after_an_overwrite(backend: Backend) -> None:
    writer = backend.bucket("versions", {"mask.nii.gz": b"one"})
    url = f"{backend.scheme}://versions/mask.nii.gz"
    first, second = Stores(FAST).info(url), Stores(FAST).info(url)
    assert first.exists and first.version and first.version == second.version
    writer.pipe("versions/mask.nii.gz", b"two")
    third = Stores(FAST).info(url)
    assert third.version and third.version != first.version


def test_no_such_bucket_is_a_problem_for_every_object_in_it(backend: Backend) -> None:
    planted(backend)
    urls = [f"{backend.scheme}://no-such-bucket/root/{n}.nii.gz" for n in range(4)]
    present = f"{backend.scheme}://masks/root/a.nii.gz"
    found = Stores(FAST).exist([*urls, present])
    assert found[present].exists
    for url in urls:
        problem = found[url].problem
        assert problem is not None and problem.fault is Fault.NOT_FOUND_BUCKET


def test_classify_tells_a_missing_bucket_from_a_missing_object(backend: Backend) -> None:
    planted(backend)
    fs = backend.module.filesystem("masks", FAST)
    with pytest.raises(FileNotFoundError) as missing_bucket:
        backend.list_missing_bucket(fs, "no-such-bucket/root")
    assert backend.module.classify(missing_bucket.value) == StorageProblem(
        Fault.NOT_FOUND_BUCKET, backend.missing_bucket_reason
    )
    with pytest.raises(FileNotFoundError) as missing_object:
        fs.cat_file("masks/root/missing.nii.gz")
    assert backend.module.classify(missing_object.value) is None  # not a fault: the object is not there


@pytest.mark.parametrize(("backend", "status", "code", "fault"), ERROR_ANSWERS, indirect=["backend"])
def test_classify_real_error_answers(
    backend: Backend,
    monkeypatch: pytest.MonkeyPatch,
    proxy_for: Callable[[str], FaultProxy],
    status: int,
    code: str,
    fault: Fault,
) -> None:
    planted(backend)
    proxy = through_proxy(backend, monkeypatch, proxy_for)
    proxy.add("status", times=None, status=status, code=code)
    fs = backend.module.filesystem("masks", FAST)
    with pytest.raises(Exception) as raised:
        fs.cat_file("masks/root/a.nii.gz")
    found = problem_of(backend, raised.value)
    assert found.fault is fault and f"HTTP {status}" in found.reason
    assert code in found.reason or not backend.reason_names_code
    assert proxy.count() == 1  # the client library's own retries are off: the access layer retries


def test_throttling_is_retried_a_bounded_number_of_times_then_reported(
    backend: Backend, monkeypatch: pytest.MonkeyPatch, proxy_for: Callable[[str], FaultProxy]
) -> None:
    planted(backend)
    proxy = through_proxy(backend, monkeypatch, proxy_for)
    proxy.add("status", times=None, status=503, code=backend.throttle_code)
    stores = Stores(FAST)
    found = stores.info(f"{backend.scheme}://masks/root/a.nii.gz")
    assert found.problem is not None and found.problem.fault is Fault.THROTTLED
    assert proxy.count() == FAST.retries + 1 == stores.requests()  # one request per attempt


def test_throttling_that_passes_is_not_a_problem(
    backend: Backend, monkeypatch: pytest.MonkeyPatch, proxy_for: Callable[[str], FaultProxy]
) -> None:
    planted(backend)
    proxy = through_proxy(backend, monkeypatch, proxy_for)
    proxy.add("status", times=2, status=503, code=backend.throttle_code)
    with Stores(FAST).open(f"{backend.scheme}://masks/root/sub/c.nii.gz", size=len(MASK)) as handle:
        assert handle.read() == MASK


def test_a_stalled_answer_is_a_timeout(
    backend: Backend, monkeypatch: pytest.MonkeyPatch, proxy_for: Callable[[str], FaultProxy]
) -> None:
    planted(backend)
    proxy = through_proxy(backend, monkeypatch, proxy_for)
    proxy.add("stall", times=None, seconds=10.0)
    settings = StorageSettings(timeout=0.5, retries=1, backoff=0.01)
    fs = backend.module.filesystem("masks", settings)
    with pytest.raises(Exception) as raised:
        fs.cat_file("masks/root/a.nii.gz")
    assert problem_of(backend, raised.value).fault is Fault.TIMEOUT
    found = Stores(settings).info(f"{backend.scheme}://masks/root/a.nii.gz")
    assert found.problem is not None and found.problem.fault is Fault.TIMEOUT


def test_a_connection_dropped_mid_object_is_a_reset(
    backend: Backend, monkeypatch: pytest.MonkeyPatch, proxy_for: Callable[[str], FaultProxy]
) -> None:
    planted(backend)
    proxy = through_proxy(backend, monkeypatch, proxy_for)
    proxy.add("drop", times=None, match=backend.is_object_read)
    fs = backend.module.filesystem("masks", backend.drop_settings)
    with pytest.raises(Exception) as raised:
        fs.cat_file("masks/root/sub/c.nii.gz")
    assert problem_of(backend, raised.value).fault is Fault.RESET
    with (
        pytest.raises(StorageError) as failed,
        Stores(backend.drop_settings).open(
            f"{backend.scheme}://masks/root/sub/c.nii.gz", size=len(MASK)
        ) as handle,
    ):
        handle.read()
    assert failed.value.problem.fault is Fault.RESET


def test_keys_with_hash_question_mark_space_and_non_ascii(backend: Backend) -> None:
    names = ["scan#1.nii.gz", "a b.nii.gz", "q?x.nii.gz", "ü.nii.gz"]
    backend.bucket("odd", {f"p/{name}": name.encode() for name in names})
    stores = Stores(FAST)
    urls = [f"{backend.scheme}://odd/p/{name}" for name in names]
    assert all(item.exists for item in stores.exist(urls).values())
    for name, url in zip(names, urls, strict=True):
        assert stores.info(url).exists
        with stores.open(url) as handle:
            assert handle.read() == name.encode()
