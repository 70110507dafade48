"""What only the GCS backend does, against a real gcp-storage-emulator on loopback (and a fault proxy in
front of it): the plain JSON-API filesystem, anonymous access with an emulator, listing pages from
just before the first wanted key, its paths and versions. What Azure Blob does too is in
test_storage_backends.py."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from storage_emulators import (  # noqa: F401 - fixtures
    FAST,
    PLANTED,
    GcsEmulator,
    gcs_emulator_fixture,
    gcs_env_fixture,
)
from storage_servers import FaultProxy, proxy_for_fixture  # noqa: F401 - fixture

from rb_lint.storage import gcs
from rb_lint.storage.access import Stores
from rb_lint.storage.settings import StorageSettings
from rb_lint.storage.urls import parse_url

pytest.importorskip("gcsfs")


def test_the_filesystem_is_the_plain_json_api_class(gcs_env: GcsEmulator) -> None:
    fs = gcs.filesystem("masks", FAST)
    assert type(fs).__mro__[1].__module__ == "gcsfs.core"  # the plain JSON-API class, no gRPC


def test_anonymous_with_the_emulator_and_no_credentials_anywhere(gcs_env: GcsEmulator) -> None:
    gcs_env.bucket("masks", PLANTED)
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


def test_listing_asks_for_pages_from_just_before_the_first_wanted_key(
    gcs_env: GcsEmulator, monkeypatch: pytest.MonkeyPatch, proxy_for: Callable[[str], FaultProxy]
) -> None:
    gcs_env.bucket("masks", PLANTED)
    proxy = proxy_for(gcs_env.endpoint)
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", proxy.endpoint)
    stores = Stores(FAST)
    urls = ["gs://masks/root/sub/c.nii.gz", "gs://masks/root/b.nii.gz", "gs://masks/root/zz.nii.gz"]
    found = stores.exist(urls)
    assert [found[url].exists for url in urls] == [True, True, False]
    assert stores.requests() == proxy.count() == 1
    query = parse_qs(urlsplit(proxy.seen[0][1]).query)
    assert query["prefix"] == ["root/"] and query["maxResults"] == ["1000"]
    (start,) = query["startOffset"]  # from just before the first wanted key, not from the prefix's start
    assert "root/a.nii.gz" < start <= "root/b.nii.gz"
