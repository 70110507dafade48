"""Public http(s) items against a plain HTTP server on loopback: one HEAD per object (no listing),
streamed scans, the https:// → http:// rewrite for tests, the cache."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
from storage_servers import HttpServer
from test_nifti_support import nifti_bytes

from rb_lint.nifti.cache import MaskCache
from rb_lint.nifti.scan import scan_file
from rb_lint.storage.access import Stores
from rb_lint.storage.scanning import scan_remote
from rb_lint.storage.settings import StorageSettings

pytest_plugins = ["storage_servers"]  # its fixtures

SETTINGS = StorageSettings(timeout=3.0, retries=1, backoff=0.02)


def mask(value: int) -> bytes:
    data = np.zeros((8, 8, 8), dtype=np.uint8)
    data[0, 0, :value] = np.arange(1, value + 1)
    return gzip.compress(nifti_bytes(data), compresslevel=1)


def test_existence_is_one_head_per_object(http_server: HttpServer) -> None:
    http_server.files.update({"d/a.nii.gz": mask(1), "d/b.nii.gz": mask(2)})
    urls = [http_server.url("d/a.nii.gz"), http_server.url("d/b.nii.gz"), http_server.url("d/missing.nii.gz")]
    stores = Stores(SETTINGS)
    found = stores.exist(urls)
    assert [found[url].exists for url in urls] == [True, True, False]
    assert found[urls[0]].size == len(mask(1)) and found[urls[0]].version
    assert all(item.problem is None for item in found.values())
    assert (http_server.count("HEAD"), http_server.count("GET")) == (3, 0)
    assert stores.requests() == 3


def test_https_urls_reach_a_loopback_http_server_when_told(http_server: HttpServer) -> None:
    http_server.files["s/a.nii.gz"] = mask(3)
    url = http_server.url("s/a.nii.gz", scheme="https")
    stores = Stores(StorageSettings(timeout=3.0, retries=0, http_scheme="http"))
    assert stores.exist([url])[url].exists


def test_streamed_scan_equals_local_scan_and_is_cached(
    http_server: HttpServer,
    tmp_path: Path,
) -> None:
    big = nifti_bytes(np.arange(100 * 100 * 60, dtype=np.int16).reshape(100, 100, 60) % 11)
    http_server.files.update({"m/a.nii.gz": mask(4), "m/big.nii": big})
    urls = [http_server.url("m/a.nii.gz"), http_server.url("m/big.nii")]
    stores = Stores(SETTINGS)
    results = scan_remote(stores, list(stores.exist(urls).values()), cache=MaskCache(tmp_path / "cache"))
    for name, data in (("a.nii.gz", mask(4)), ("big.nii", big)):
        (tmp_path / name).write_bytes(data)
        assert results[http_server.url(f"m/{name}")].to_dict() == scan_file(tmp_path / name).to_dict()
    assert http_server.count("GET") == 2  # one streaming GET each, however large
    again = Stores(SETTINGS)
    scan_remote(again, list(again.exist(urls).values()), cache=MaskCache(tmp_path / "cache"))
    assert http_server.count("GET") == 2 and again.requests("get") == 0


def test_a_signed_query_string_is_sent_but_not_kept_in_the_name(http_server: HttpServer) -> None:
    http_server.files["q/a.nii.gz"] = mask(2)
    url = http_server.url("q/a.nii.gz") + "?X-Amz-Signature=secret-signature&versionId=1"
    stores = Stores(SETTINGS)
    found = stores.exist([url])[url]
    assert found.exists
    result = scan_remote(stores, [found])[url]
    assert "secret-signature" not in result.path and result.path.endswith("a.nii.gz")
    assert http_server.requests[-1][1].endswith("X-Amz-Signature=secret-signature&versionId=1")
