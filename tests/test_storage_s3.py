"""Remote storage against moto's S3 server on loopback: bulk existence by listing, streamed scans
equal to local scans, the cache keyed by URL + ETag + size, endpoint from the environment."""

from __future__ import annotations

import gzip
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from storage_servers import FaultProxy, S3Server
from test_nifti_support import nifti_bytes

from rb_lint.nifti.cache import MaskCache
from rb_lint.nifti.scan import UNREADABLE, scan_file
from rb_lint.storage.access import RemoteObject, Stores
from rb_lint.storage.faults import Fault
from rb_lint.storage.scanning import remote_digest, scan_remote
from rb_lint.storage.settings import StorageSettings

pytest_plugins = ["storage_servers"]  # its fixtures

BUCKET = "rb-lint-test"


def settings_for(server: S3Server, **options: object) -> StorageSettings:
    values: dict[str, object] = {
        "endpoint_url": server.endpoint,
        "timeout": 3.0,
        "retries": 2,
        "backoff": 0.02,
    }
    values.update(options)
    return StorageSettings(**values)  # type: ignore[arg-type]


def mask(values: list[int], shape: tuple[int, int, int] = (8, 8, 4)) -> bytes:
    data = np.zeros(shape, dtype=np.uint8)
    data.flat[: len(values)] = values
    return gzip.compress(nifti_bytes(data), compresslevel=1)


def test_existence_of_3000_keys_costs_at_most_4_listing_requests(s3_env: S3Server) -> None:
    keys = [f"root/scans/f{i:05d}.nii.gz" for i in range(3000)]
    s3_env.bucket(BUCKET)
    s3_env.bulk_put(BUCKET, [*keys[::2], "root/other/unrelated.nii.gz"])
    stores = Stores(settings_for(s3_env))
    found = stores.exist([f"s3://{BUCKET}/{key}" for key in keys])
    assert [found[f"s3://{BUCKET}/{key}"].exists for key in keys] == [i % 2 == 0 for i in range(3000)]
    assert all(item.problem is None for item in found.values())
    assert stores.requests("list") <= 4
    assert stores.requests() == stores.requests("list")  # no HEAD per object


def test_sparse_keys_cost_at_most_one_listing_request_each(s3_env: S3Server) -> None:
    s3_env.bucket(BUCKET)
    s3_env.bulk_put(BUCKET, [f"a/{i:05d}" for i in range(2500)])
    wanted = ["a/00007", "a/01250", "a/02499", "a/missing"]
    stores = Stores(settings_for(s3_env))
    found = stores.exist([f"s3://{BUCKET}/{key}" for key in wanted])
    assert [found[f"s3://{BUCKET}/{key}"].exists for key in wanted] == [True, True, True, False]
    assert stores.requests("list") <= len(wanted)


def test_size_and_etag_come_with_the_listing(s3_env: S3Server) -> None:
    s3_env.bucket(BUCKET, {"x/a.nii.gz": b"12345", "x/b.nii.gz": b"1"})
    found = Stores(settings_for(s3_env)).exist([f"s3://{BUCKET}/x/a.nii.gz"])[f"s3://{BUCKET}/x/a.nii.gz"]
    assert (found.exists, found.size) == (True, 5)
    assert found.version == "827ccb0eea8a706c4c34a16891f84e7b"  # md5 of the bytes: S3's ETag


def test_no_such_bucket_is_a_problem_for_every_key(s3_env: S3Server) -> None:
    urls = [f"s3://no-such-bucket-here/k{i}" for i in range(3)]
    found = Stores(settings_for(s3_env)).exist(urls)
    assert {item.problem.fault for item in found.values() if item.problem} == {Fault.NOT_FOUND_BUCKET}
    assert all(not item.exists for item in found.values())
    assert "NoSuchBucket" in str(found[urls[0]].problem)


def test_streamed_scan_equals_local_scan(s3_env: S3Server, tmp_path: Path) -> None:
    masks = {f"m/{i}.nii.gz": mask([0, 1, 2, i + 3], shape=(16, 16, 8 + i)) for i in range(6)}
    big = np.arange(200 * 200 * 40, dtype=np.uint32).reshape(200, 200, 40) % 7  # ~6 MiB raw
    masks["m/big.nii"] = nifti_bytes(big)
    masks["m/not-nifti.nii.gz"] = b"<html>not a mask</html>"
    s3_env.bucket(BUCKET, masks)
    stores = Stores(settings_for(s3_env, block_size=1 << 20))
    found = stores.exist([f"s3://{BUCKET}/{key}" for key in masks])
    results = scan_remote(stores, list(found.values()), jobs=4)
    for key, data in masks.items():
        local = tmp_path / key
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(data)
        remote = results[f"s3://{BUCKET}/{key}"]
        assert remote.to_dict() == scan_file(local).to_dict(), key
    assert stores.requests("get") >= len(masks) + 5  # the large mask came in several ranged reads


def test_second_run_is_served_from_the_cache(s3_env: S3Server, tmp_path: Path) -> None:
    masks = {f"c/{i}.nii.gz": mask([0, i + 1]) for i in range(5)}
    s3_env.bucket(BUCKET, masks)
    urls = [f"s3://{BUCKET}/{key}" for key in masks]
    first_stores = Stores(settings_for(s3_env))
    first = scan_remote(
        first_stores, list(first_stores.exist(urls).values()), cache=MaskCache(tmp_path / "cache")
    )
    assert first_stores.requests("get") == 5
    second_stores = Stores(settings_for(s3_env))
    second = scan_remote(
        second_stores, list(second_stores.exist(urls).values()), cache=MaskCache(tmp_path / "cache")
    )
    assert second_stores.requests("get") == 0
    assert {url: r.to_dict() for url, r in second.items()} == {url: r.to_dict() for url, r in first.items()}
    # A changed object (new ETag and size) is fetched again.
    s3_env.client().put_object(Bucket=BUCKET, Key="c/0.nii.gz", Body=mask([0, 9, 10]))
    third_stores = Stores(settings_for(s3_env))
    third = scan_remote(
        third_stores, list(third_stores.exist(urls).values()), cache=MaskCache(tmp_path / "cache")
    )
    assert third_stores.requests("get") == 1
    values = third[urls[0]].values
    assert values is not None and values.present == [0, 9, 10]


def test_cache_key_holds_no_signature(tmp_path: Path) -> None:
    signed = "https://host/m.nii.gz?X-Amz-Signature=abc&X-Amz-Credential=AKIAEXAMPLE"
    plain = "https://host/m.nii.gz"
    assert remote_digest(RemoteObject(signed, True, 5, "v1")) == remote_digest(
        RemoteObject(plain, True, 5, "v1")
    )
    assert remote_digest(RemoteObject(plain, True, 5, "v1")) != remote_digest(
        RemoteObject(plain, True, 5, "v2")
    )
    assert remote_digest(RemoteObject(plain, True, 5, "")) == ""  # no version: not cached


def test_missing_object_scans_as_unreadable(s3_env: S3Server) -> None:
    s3_env.bucket(BUCKET)
    stores = Stores(settings_for(s3_env))
    url = f"s3://{BUCKET}/gone.nii.gz"
    result = scan_remote(stores, [RemoteObject(url, True, 10, "etag")])[url]
    problem = result.problem(UNREADABLE)
    assert problem is not None and "no longer" in problem.message


def test_endpoint_from_the_standard_environment_variable(
    s3_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3_env.bucket(BUCKET, {"e/a": b"1"})
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_env.endpoint)
    stores = Stores(StorageSettings(timeout=3.0, retries=0))
    assert stores.exist([f"s3://{BUCKET}/e/a"])[f"s3://{BUCKET}/e/a"].exists


def test_missing_credentials_are_a_credentials_problem_that_names_none(
    s3_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    found = Stores(settings_for(s3_env)).exist([f"s3://{BUCKET}/a", f"s3://{BUCKET}/b"])
    problems = {item.problem for item in found.values()}
    assert len(problems) == 1
    (problem,) = problems
    assert problem is not None and problem.fault is Fault.CREDENTIALS


def test_anonymous_requests_are_unsigned(s3_env: S3Server, proxy_for: Callable[[str], FaultProxy]) -> None:
    s3_env.bucket(BUCKET).put_object(Bucket=BUCKET, Key="p/a", Body=b"1", ACL="public-read")
    proxy = proxy_for(s3_env.endpoint)
    stores = Stores(settings_for(s3_env, endpoint_url=proxy.endpoint, anonymous=True))
    found = stores.exist([f"s3://{BUCKET}/p/a"])[f"s3://{BUCKET}/p/a"]
    assert found.exists
    with stores.open(found.url, size=found.size) as handle:
        assert handle.read() == b"1"
    assert proxy.signed == [False, False]
    assert not any("Signature" in path or "Credential" in path for _, path in proxy.seen)


def test_storage_modules_import_no_optional_package() -> None:
    code = (
        "import sys, rb_lint.storage.access, rb_lint.storage.listing, rb_lint.storage.scanning, "
        "rb_lint.storage.s3, rb_lint.storage.http, rb_lint.storage.urls;"
        "optional = ('fsspec', 's3fs', 'aiohttp', 'botocore', 'aiobotocore', 'boto3');"
        "print(sorted(m for m in optional if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
