"""The GCS backend against a real gcp-storage-emulator on loopback (and a fault proxy in front of it):
existence by listing, streaming, versions, no such bucket, and faults classified from real errors."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from storage_emulators import GcsEmulator, gcs_emulator_fixture, gcs_env_fixture, proxies_fixture  # noqa: F401
from storage_servers import FaultProxy

from rb_lint.storage import gcs
from rb_lint.storage.access import Stores
from rb_lint.storage.faults import Fault, StorageError, StorageProblem, classify
from rb_lint.storage.settings import StorageSettings
from rb_lint.storage.urls import parse_url

pytest.importorskip("gcsfs")

FAST = StorageSettings(timeout=1.0, retries=2, backoff=0.01, block_size=4096)
MASK = bytes(range(256)) * 800  # 200 KiB: several ranged reads


def problem_of(error: BaseException) -> StorageProblem:
    return gcs.classify(error) or classify(error)


def planted(env: GcsEmulator) -> None:
    env.bucket(
        "masks",
        {
            "root/a.nii.gz": b"first",
            "root/b.nii.gz": b"second!",
            "root/sub/c.nii.gz": MASK,
            "elsewhere/d.nii.gz": b"d",
        },
    )


def test_filesystem_lists_reads_and_tells_missing_objects(gcs_env: GcsEmulator) -> None:
    planted(gcs_env)
    fs = gcs.filesystem("masks", FAST)
    assert type(fs).__mro__[1].__module__ == "gcsfs.core"  # the plain JSON-API class, no gRPC
    assert sorted(fs.find("masks/root")) == [
        "masks/root/a.nii.gz",
        "masks/root/b.nii.gz",
        "masks/root/sub/c.nii.gz",
    ]
    assert fs.exists("masks/root/a.nii.gz")
    assert not fs.exists("masks/root/missing.nii.gz")
    info = fs.info("masks/root/b.nii.gz")
    assert info["size"] == 7 and gcs.version_of(info)
    with fs.open("masks/root/sub/c.nii.gz", "rb") as handle:
        assert handle.read() == MASK


def test_objects_present_and_missing_are_told_by_one_listing(gcs_env: GcsEmulator) -> None:
    planted(gcs_env)
    stores = Stores(FAST)
    urls = [
        "gs://masks/root/a.nii.gz",
        "gs://masks/root/b.nii.gz",
        "gcs://masks/root/sub/c.nii.gz",
        "gs://masks/root/missing.nii.gz",
        "gs://masks/root/sub/missing.nii.gz",
    ]
    found = stores.exist(urls)
    assert {url: item.exists for url, item in found.items()} == {
        "gs://masks/root/a.nii.gz": True,
        "gs://masks/root/b.nii.gz": True,
        "gcs://masks/root/sub/c.nii.gz": True,
        "gs://masks/root/missing.nii.gz": False,
        "gs://masks/root/sub/missing.nii.gz": False,
    }
    assert all(item.problem is None for item in found.values())
    assert found["gcs://masks/root/sub/c.nii.gz"].size == len(MASK)
    assert found["gs://masks/root/a.nii.gz"].version
    assert stores.requests("list") == 1 and stores.requests("head") == 0


def test_listing_a_prefix_of_many_objects(gcs_env: GcsEmulator) -> None:
    keys = {f"batch/scan-{n:03}.nii.gz": b"x" for n in range(60)}
    gcs_env.bucket("many", keys)
    stores = Stores(FAST)
    found = stores.exist([f"gs://many/{key}" for key in keys] + ["gs://many/batch/scan-999.nii.gz"])
    assert sum(item.exists for item in found.values()) == 60
    assert not found["gs://many/batch/scan-999.nii.gz"].exists
    assert stores.requests() == 1  # one listing, no HEAD per object


def test_streaming_an_object_reads_every_byte_in_ranged_blocks(gcs_env: GcsEmulator) -> None:
    planted(gcs_env)
    stores = Stores(FAST)
    with stores.open("gs://masks/root/sub/c.nii.gz", size=len(MASK)) as handle:
        chunks = []
        while chunk := handle.read(1000):
            chunks.append(chunk)
    assert b"".join(chunks) == MASK
    assert stores.requests("get") >= 3  # ranged reads: never the whole object at once


def test_version_is_stable_across_reads_and_changes_after_an_overwrite(gcs_env: GcsEmulator) -> None:
    writer = gcs_env.bucket("versions", {"mask.nii.gz": b"one"})
    url = "gs://versions/mask.nii.gz"
    first, second = Stores(FAST).info(url), Stores(FAST).info(url)
    assert first.exists and first.version and first.version == second.version
    writer.pipe("versions/mask.nii.gz", b"two")
    third = Stores(FAST).info(url)
    assert third.version and third.version != first.version


def test_no_such_bucket_is_a_problem_for_every_object_in_it(gcs_env: GcsEmulator) -> None:
    planted(gcs_env)
    urls = [f"gs://no-such-bucket/root/{n}.nii.gz" for n in range(4)]
    found = Stores(FAST).exist([*urls, "gs://masks/root/a.nii.gz"])
    assert found["gs://masks/root/a.nii.gz"].exists
    for url in urls:
        problem = found[url].problem
        assert problem is not None and problem.fault is Fault.NOT_FOUND_BUCKET


def test_classify_tells_a_missing_bucket_from_a_missing_object(gcs_env: GcsEmulator) -> None:
    planted(gcs_env)
    fs = gcs.filesystem("masks", FAST)
    with pytest.raises(FileNotFoundError) as missing_bucket:
        fs.find("no-such-bucket/root")
    assert gcs.classify(missing_bucket.value) == StorageProblem(
        Fault.NOT_FOUND_BUCKET, "no such bucket or container (HTTP 404)"
    )
    with pytest.raises(FileNotFoundError) as missing_object:
        fs.cat_file("masks/root/missing.nii.gz")
    assert gcs.classify(missing_object.value) is None  # not a fault: the object is not there


def through_proxy(
    monkeypatch: pytest.MonkeyPatch, env: GcsEmulator, proxies: Callable[[str], FaultProxy]
) -> FaultProxy:
    proxy = proxies(env.endpoint)
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", proxy.endpoint)
    return proxy


@pytest.mark.parametrize(
    ("status", "fault"),
    [(403, Fault.DENIED), (401, Fault.CREDENTIALS), (429, Fault.THROTTLED), (503, Fault.THROTTLED)],
)
def test_classify_real_error_answers(
    gcs_env: GcsEmulator,
    monkeypatch: pytest.MonkeyPatch,
    proxies: Callable[[str], FaultProxy],
    status: int,
    fault: Fault,
) -> None:
    planted(gcs_env)
    proxy = through_proxy(monkeypatch, gcs_env, proxies)
    proxy.add("status", times=None, status=status, code="injected")
    fs = gcs.filesystem("masks", FAST)
    with pytest.raises(Exception) as raised:
        fs.cat_file("masks/root/a.nii.gz")
    found = problem_of(raised.value)
    assert found.fault is fault and f"HTTP {status}" in found.reason
    assert proxy.count() == 1  # gcsfs's own six retries are off: the access layer retries


def test_throttling_is_retried_a_bounded_number_of_times_then_reported(
    gcs_env: GcsEmulator, monkeypatch: pytest.MonkeyPatch, proxies: Callable[[str], FaultProxy]
) -> None:
    planted(gcs_env)
    proxy = through_proxy(monkeypatch, gcs_env, proxies)
    proxy.add("status", times=None, status=503)
    stores = Stores(FAST)
    found = stores.info("gs://masks/root/a.nii.gz")
    assert found.problem is not None and found.problem.fault is Fault.THROTTLED
    assert proxy.count() == FAST.retries + 1 == stores.requests()  # one request per attempt


def test_throttling_that_passes_is_not_a_problem(
    gcs_env: GcsEmulator, monkeypatch: pytest.MonkeyPatch, proxies: Callable[[str], FaultProxy]
) -> None:
    planted(gcs_env)
    proxy = through_proxy(monkeypatch, gcs_env, proxies)
    proxy.add("status", times=2, status=503)
    with Stores(FAST).open("gs://masks/root/sub/c.nii.gz", size=len(MASK)) as handle:
        assert handle.read() == MASK


def test_a_stalled_answer_is_a_timeout(
    gcs_env: GcsEmulator, monkeypatch: pytest.MonkeyPatch, proxies: Callable[[str], FaultProxy]
) -> None:
    planted(gcs_env)
    proxy = through_proxy(monkeypatch, gcs_env, proxies)
    proxy.add("stall", times=None, seconds=10.0)
    settings = StorageSettings(timeout=0.5, retries=1, backoff=0.01)
    fs = gcs.filesystem("masks", settings)
    with pytest.raises(Exception) as raised:
        fs.cat_file("masks/root/a.nii.gz")
    assert problem_of(raised.value).fault is Fault.TIMEOUT
    found = Stores(settings).info("gs://masks/root/a.nii.gz")
    assert found.problem is not None and found.problem.fault is Fault.TIMEOUT


def test_a_connection_dropped_mid_object_is_a_reset(
    gcs_env: GcsEmulator, monkeypatch: pytest.MonkeyPatch, proxies: Callable[[str], FaultProxy]
) -> None:
    planted(gcs_env)
    proxy = through_proxy(monkeypatch, gcs_env, proxies)
    proxy.add("drop", times=None, match=lambda method, path: "alt=media" in path)
    fs = gcs.filesystem("masks", FAST)
    with pytest.raises(Exception) as raised:
        fs.cat_file("masks/root/sub/c.nii.gz")
    assert problem_of(raised.value).fault is Fault.RESET
    with (
        pytest.raises(StorageError) as failed,
        Stores(FAST).open("gs://masks/root/sub/c.nii.gz", size=len(MASK)) as handle,
    ):
        handle.read()
    assert failed.value.problem.fault is Fault.RESET


def test_anonymous_with_the_emulator_and_no_credentials_anywhere(gcs_env: GcsEmulator) -> None:
    planted(gcs_env)
    fs = gcs.filesystem("masks", StorageSettings())
    assert fs.credentials.method == "anon"  # STORAGE_EMULATOR_HOST: anonymous, as Google's clients do


def test_paths_versions_and_request_kinds() -> None:
    url = parse_url("gs://bucket/root/sub/f.nii.gz")
    assert url is not None and gcs.fs_path(url) == "bucket/root/sub/f.nii.gz"
    assert gcs.version_of({"generation": "17", "etag": "CAE="}) == "17"
    assert gcs.version_of({"etag": "CAE="}) == "CAE="
    assert gcs.version_of({}) == ""
    assert gcs.request_kind("GET", "b/{}/o") == "list"
    assert gcs.request_kind("GET", "b/{}/o/{}") == "head"
    assert gcs.request_kind("GET", "http://h/download/storage/v1/b/x/o/y?alt=media") == "get"
    assert gcs.EXTRA == "gcs"


def test_only_a_named_emulator_makes_requests_anonymous(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9")
    assert gcs.emulated()
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "default")
    assert not gcs.emulated()
    monkeypatch.delenv("STORAGE_EMULATOR_HOST")
    assert not gcs.emulated()


def test_keys_with_hash_question_mark_space_and_non_ascii(gcs_env: GcsEmulator) -> None:
    names = ["scan#1.nii.gz", "a b.nii.gz", "q?x.nii.gz", "ü.nii.gz"]
    gcs_env.bucket("odd", {f"p/{name}": name.encode() for name in names})
    stores = Stores(FAST)
    urls = [f"gs://odd/p/{name}" for name in names]
    assert all(item.exists for item in stores.exist(urls).values())
    for name, url in zip(names, urls, strict=True):
        assert stores.info(url).exists
        with stores.open(url) as handle:
            assert handle.read() == name.encode()


def test_listing_asks_for_pages_from_just_before_the_first_wanted_key(
    gcs_env: GcsEmulator, monkeypatch: pytest.MonkeyPatch, proxies: Callable[[str], FaultProxy]
) -> None:
    planted(gcs_env)
    proxy = through_proxy(monkeypatch, gcs_env, proxies)
    stores = Stores(FAST)
    urls = ["gs://masks/root/sub/c.nii.gz", "gs://masks/root/b.nii.gz", "gs://masks/root/zz.nii.gz"]
    found = stores.exist(urls)
    assert [found[url].exists for url in urls] == [True, True, False]
    assert stores.requests() == proxy.count() == 1
    query = parse_qs(urlsplit(proxy.seen[0][1]).query)
    assert query["prefix"] == ["root/"] and query["maxResults"] == ["1000"]
    (start,) = query["startOffset"]  # from just before the first wanted key, not from the prefix's start
    assert "root/a.nii.gz" < start <= "root/b.nii.gz"
