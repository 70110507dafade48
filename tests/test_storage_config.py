"""`[tool.rb-lint.storage]` and `--storage` / `--label-storage` / `--remote`: validation as for every
other config key (one line, exit 2, did-you-mean), how storage keys resolve (formats.locations), and
what `--show-settings` says. No network: nothing here reaches a storage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import rb_lint, write

from rb_lint.core.config import ConfigError, parse_config
from rb_lint.formats.locations import ITEM, SEGMENTATION, PathString, Place, StorageMap, resolve

STORAGE_ID = "22a4c63d-0c5a-4d8f-9e54-1c2b3c4d5e6f"


def test_the_table_parses_with_storage_ids() -> None:
    config = parse_config(
        {
            "storage": {
                "default": "s3://bucket/root",
                "labels": "gs://labels",
                STORAGE_ID.upper(): "az://container",
                "endpoint-url": "http://127.0.0.1:9000",
                "anonymous": True,
                "timeout": 5,
                "retries": 0,
                "remote": True,
            }
        }
    )
    table = config.storage
    assert (table.default, table.label_storage, table.by_id) == (
        "s3://bucket/root",
        "gs://labels",
        {STORAGE_ID: "az://container"},
    )
    assert (table.endpoint_url, table.anonymous, table.timeout, table.retries, table.remote) == (
        "http://127.0.0.1:9000",
        True,
        5.0,
        0,
        True,
    )
    assert parse_config({"storage": {"default": "s3://b"}}).storage.label_storage == "s3://b"


@pytest.mark.parametrize(
    "table, message",
    [
        ({"defualt": "s3://b"}, "unknown configuration key `storage.defualt` (did you mean `default`?)"),
        ({"label": "s3://b"}, "(did you mean `labels`?)"),
        ({"default": "my-bucket"}, "`storage.default`: `my-bucket` is not a storage URL"),
        ({STORAGE_ID: 3}, f"storage id `{STORAGE_ID}` must map to a URL prefix string"),
        ({STORAGE_ID: "bucket/prefix"}, "`bucket/prefix` is not a storage URL"),
        ({"timeout": 0}, "`storage.timeout`: Input should be greater than 0"),
        ({"retries": -1}, "`storage.retries`: Input should be greater than or equal to 0"),
        ({"anonymous": "maybe"}, "`storage.anonymous`: Input should be a valid boolean"),
    ],
)
def test_bad_storage_settings_are_one_line_errors(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config({"storage": table}, "pyproject.toml")
    assert message in str(error.value) and "\n" not in str(error.value)


def test_bad_storage_settings_exit_2_from_the_cli(tmp_path: Path) -> None:
    write(tmp_path / "rb-lint.toml", '[storage]\ndefault = "bucket"\n')
    write(tmp_path / "items.json", [])
    result = rb_lint("check", ".", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("rb-lint: error: ") and result.stderr.count("\n") == 1
    assert "`storage.default`: `bucket` is not a storage URL" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--storage", "bucket"], "--storage: `bucket` is not a storage URL"),
        (
            ["--label-storage", "ftp://host/x"],
            "`--label-storage`: `ftp://host/x` is not a URL of a supported storage",
        ),
    ],
)
def test_bad_storage_options_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    write(tmp_path / "items.json", [{"name": "p", "series": [{"items": "a.dcm"}]}])
    (tmp_path / ".git").mkdir()
    result = rb_lint("check", *args, ".", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_show_settings_names_the_storages(tmp_path: Path) -> None:
    mapped = tmp_path / "mapped"
    write(mapped / "rb-lint.toml", f'[storage]\ndefault = "s3://b/items"\n"{STORAGE_ID}" = "gs://other"\n')
    result = rb_lint("check", "--show-settings", "--label-storage", "s3://b/labels", cwd=mapped)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "storage: s3://b/items" in lines
    assert "label storage: s3://b/labels (--label-storage)" in lines
    assert f"storage {STORAGE_ID}: gs://other" in lines
    assert "network access: yes; full URLs fetched" in lines
    empty = tmp_path / "empty"
    (empty / ".git").mkdir(parents=True)
    lines = rb_lint("check", "--show-settings", cwd=empty).stdout.splitlines()
    assert "network access: no (nothing mapped, no --remote)" in lines
    assert "storage: none" in lines


# -- resolution ------------------------------------------------------------------------------------

MAPPED = StorageMap("s3://b/items", "s3://b/labels", ((STORAGE_ID, "gs://task-storage"),))


def ref(written: str, role: str = SEGMENTATION, storage_id: str | None = None) -> PathString:
    return PathString("/0/series/0", "/0/series/0/x", written, role, storage_id)


@pytest.mark.parametrize(
    "written, role, storage_id, here, direct, storages, place, url",
    [
        ("s3://x/k.nii.gz", SEGMENTATION, None, False, False, StorageMap(), Place.URL, "s3://x/k.nii.gz"),
        ("gcs://x/k.nii.gz", ITEM, None, False, False, MAPPED, Place.URL, "gs://x/k.nii.gz"),
        ("m/seg.nii.gz", SEGMENTATION, None, True, False, MAPPED, Place.LOCAL, None),  # here: stays local
        (
            "m/seg.nii.gz",
            SEGMENTATION,
            None,
            False,
            True,
            MAPPED,
            Place.STORAGE,
            "s3://b/labels/m/seg.nii.gz",
        ),
        ("p/ct.dcm", ITEM, None, False, False, MAPPED, Place.STORAGE, "s3://b/items/p/ct.dcm"),
        (
            "p/ct.dcm",
            ITEM,
            STORAGE_ID.upper(),
            False,
            False,
            MAPPED,
            Place.STORAGE,
            "gs://task-storage/p/ct.dcm",
        ),
        (
            "p/s.nii",
            SEGMENTATION,
            STORAGE_ID,
            False,
            False,
            MAPPED,
            Place.STORAGE,
            "gs://task-storage/p/s.nii",
        ),
        ("p/s.nii", SEGMENTATION, "other-id", False, False, MAPPED, Place.STORAGE, "s3://b/labels/p/s.nii"),
        ("p/s.nii", SEGMENTATION, None, False, False, StorageMap("s3://d"), Place.STORAGE, "s3://d/p/s.nii"),
        ("p/s.nii", SEGMENTATION, None, False, True, StorageMap(), Place.LOCAL, None),  # direct upload
        ("p/s.nii", SEGMENTATION, None, False, False, StorageMap(), Place.UNKNOWN, None),
        ("p/s.nii", SEGMENTATION, None, False, False, StorageMap(remote=True), Place.UNKNOWN, None),
        ("../s.nii", SEGMENTATION, None, False, False, MAPPED, Place.LOCAL, None),  # no key looks so
        ("/abs/s.nii", ITEM, None, False, False, MAPPED, Place.LOCAL, None),
        (
            "container/p/ct.dcm",
            ITEM,
            None,
            False,
            False,
            StorageMap("az://"),
            Place.STORAGE,
            "az://container/p/ct.dcm",
        ),
    ],
)
def test_resolution(
    written: str,
    role: str,
    storage_id: str | None,
    here: bool,
    direct: bool,
    storages: StorageMap,
    place: Place,
    url: str | None,
) -> None:
    found = resolve(ref(written, role, storage_id), here, direct, storages)
    assert (found.place, found.url) == (place, url)


def test_network_is_asked_for_by_a_mapping_or_remote_only() -> None:
    assert not StorageMap().network
    assert StorageMap(remote=True).network and not StorageMap(remote=True).mapped
    assert StorageMap(labels="s3://b").network
    assert StorageMap(by_id=((STORAGE_ID, "s3://b"),)).network
