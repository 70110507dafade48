"""What only the Azure Blob backend does, against a real Azurite on loopback: a missing container told
by one HEAD, account keys and anonymous access, its paths and versions. What GCS does too is in
test_storage_backends.py. Skipped when Azurite is not installed, except in CI, where that fails (see
tests/storage_emulators.py)."""

from __future__ import annotations

import pytest
from storage_emulators import (  # noqa: F401 - fixtures
    AZURITE_KEY,
    FAST,
    PLANTED,
    Azurite,
    azure_env_fixture,
    azurite_fixture,
    connection_string,
)

from rb_lint.storage import azure
from rb_lint.storage.access import Stores
from rb_lint.storage.faults import Fault, StorageError, StorageProblem, classify
from rb_lint.storage.settings import StorageSettings
from rb_lint.storage.urls import parse_url

pytest.importorskip("adlfs")

WRONG_KEY = "QUFB" * 22  # a well-formed key Azurite does not accept


def problem_of(error: BaseException) -> StorageProblem:
    return azure.classify(error) or classify(error)


def test_a_single_head_tells_a_missing_container(azure_env: Azurite) -> None:
    azure_env.container("masks", PLANTED)
    one = Stores(FAST).info("az://no-such-container/root/0.nii.gz")
    assert one.problem is not None and one.problem.fault is Fault.NOT_FOUND_BUCKET


def test_a_wrong_account_key_is_access_denied_and_never_shown(
    azure_env: Azurite, monkeypatch: pytest.MonkeyPatch
) -> None:
    azure_env.container("masks", PLANTED)
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
    azure_env.container("masks", PLANTED)
    settings = StorageSettings(anonymous=True, timeout=1.0, retries=0)
    assert Stores(settings).info("az://public/open.nii.gz").exists
    private = Stores(settings).info("az://masks/root/a.nii.gz")
    assert private.problem is not None and private.problem.fault in (Fault.DENIED, Fault.CREDENTIALS)


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
