"""`rb-lint check` against moto's S3 server on loopback (through a fault-injection proxy): storage
keys resolved against `[tool.rb-lint.storage]`, missing objects and mask contents found at their
exact lines, a clean bucket clean, a second run served from the cache, faults as findings (exit 2
only when the storage is unusable as a whole), and nothing fetched unless asked for."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import json_report, position, rb_lint, write
from storage_servers import FaultProxy, S3Server
from test_nifti_support import nifti_bytes

pytest_plugins = ["storage_servers"]  # its fixtures

BUCKET = "studies"
SECRET = "testing-secret-value"  # the secret key moto is given (storage_servers.CREDENTIALS)


def mask(values: list[int]) -> bytes:
    data = np.zeros((6, 6, 4), dtype=np.uint8)
    data.flat[: len(values)] = values
    return gzip.compress(nifti_bytes(data), compresslevel=1)


OBJECTS = {
    "root/p1/ct.nii.gz": b"image one",
    "root/p2/ct.nii.gz": b"image two",
    "root/p3/ct.nii.gz": b"image three",
    "labels/p1/seg.nii.gz": mask([1, 2]),
    "labels/p2/seg.nii.gz": mask([1]),  # segmentMap also names 2: RB304
    "labels/p3/seg.nii.gz": b"this is not a NIfTI file at all" * 20,  # RB312
}


def tasks(*names: str, two: tuple[str, ...] = ("p2",)) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "series": [
                {
                    "items": f"{name}/ct.nii.gz",
                    "segmentations": f"{name}/seg.nii.gz",
                    "segmentMap": {"1": "Liver", "2": "Spleen"} if name in (*two, "p1") else {"1": "Liver"},
                }
            ],
        }
        for name in names
    ]


def config(endpoint: str, **storage: object) -> str:
    table: dict[str, object] = {
        "default": f"s3://{BUCKET}/root",
        "labels": f"s3://{BUCKET}/labels",
        "endpoint-url": endpoint,
        "timeout": 2,
        "retries": 1,
    }
    table.update(storage)
    lines = [f"{key} = {json.dumps(value)}" for key, value in table.items() if value is not None]
    return (
        '[tool.rb-lint]\nignore = ["RB400"]  # no taxonomy: not what is tested\n\n[tool.rb-lint.storage]\n'
        + "\n".join(lines)
        + "\n"
    )


@pytest.fixture
def bucket(s3_env: S3Server, proxy_for: Callable[[str], FaultProxy]) -> tuple[S3Server, FaultProxy]:
    s3_env.bucket(BUCKET, OBJECTS)
    return s3_env, proxy_for(s3_env.endpoint)


def project(tmp_path: Path, endpoint: str, docs: list[dict[str, Any]], **storage: object) -> str:
    write(tmp_path / "pyproject.toml", config(endpoint, **storage))
    (tmp_path / ".git").mkdir(exist_ok=True)
    return write(tmp_path / "items.json", docs).read_text(encoding="utf-8")


def check(tmp_path: Path, *args: str) -> Any:
    return rb_lint("check", "--format", "json", *args, "items.json", cwd=tmp_path)


def found(result: Any) -> list[tuple[str, int]]:
    return [(f["code"], f["line"]) for f in json_report(result)]


def object_gets(proxy: FaultProxy) -> int:
    """GETs of objects (a listing is a GET of the bucket with `list-type=2`)."""
    return sum(1 for method, path in proxy.seen if method == "GET" and "list-type" not in path)


def test_storage_keys_missing_objects_and_mask_contents_at_their_lines(bucket, tmp_path):
    _server, proxy = bucket
    text = project(tmp_path, proxy.endpoint, tasks("p1", "p2", "p3", "p4"))
    result = check(tmp_path)
    assert result.returncode == 1, result.stderr
    lines = {
        ("RB900", position(text, '"p4/ct.nii.gz"')[0]),  # the item is not in the bucket
        ("RB301", position(text, '"p4/seg.nii.gz"')[0]),  # nor is its mask
        ("RB304", position(text, '"2"', 2)[0]),  # p2's mask holds no 2
        ("RB312", position(text, '"p3/seg.nii.gz"')[0]),  # p3's mask is not NIfTI
        ("RB313", position(text, '"p3/seg.nii.gz"')[0]),  # ... and not gzip, named .nii.gz
    }
    assert set(found(result)) == lines, result.stdout
    messages = {f["code"]: f["message"] for f in json_report(result)}
    assert f"looked for `s3://{BUCKET}/root/p4/ct.nii.gz`" in messages["RB900"]
    assert f"looked for `s3://{BUCKET}/labels/p4/seg.nii.gz`" in messages["RB301"]
    assert SECRET not in result.stdout + result.stderr
    assert proxy.count("HEAD") == 0  # existence by listing, not a request per object


def test_a_clean_bucket_lints_clean_and_a_second_run_comes_from_the_cache(bucket, tmp_path):
    _server, proxy = bucket
    project(tmp_path, proxy.endpoint, tasks("p1"))
    first = check(tmp_path)
    assert (first.returncode, found(first)) == (0, []), first.stdout + first.stderr
    fetched = object_gets(proxy)
    assert fetched >= 1
    second = check(tmp_path)
    assert (second.returncode, found(second)) == (0, []), second.stdout + second.stderr
    assert object_gets(proxy) == fetched  # not one object fetched again
    assert SECRET not in "".join(p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file())


def test_nothing_is_fetched_without_a_mapping_or_remote(bucket, tmp_path):
    _server, proxy = bucket
    docs = tasks("p1")
    remote = f"s3://{BUCKET}/labels/p1/seg.nii.gz"
    docs.append(
        {
            "name": "p9",
            "series": [{"items": "x.nii.gz", "segmentations": remote, "segmentMap": {"1": "Liver"}}],
        }
    )
    text = project(tmp_path, proxy.endpoint, docs, default=None, labels=None)
    result = check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    notes = json_report(result)
    assert [(f["code"], f["line"]) for f in notes] == [("RB303", position(text, '"p1/seg.nii.gz"')[0])]
    assert "no storage is mapped" in notes[0]["message"]
    assert "[tool.rb-lint.storage]" in notes[0]["message"]
    assert proxy.count() == 0  # not one request: no network access was asked for
    fetching = check(tmp_path, "--remote")
    assert proxy.count() > 0
    assert "RB303" in [code for code, _ in found(fetching)]  # the relative one is still unknown
    assert fetching.returncode == 0, fetching.stdout + fetching.stderr


def test_storage_from_the_command_line(bucket, tmp_path):
    _server, proxy = bucket
    text = project(tmp_path, proxy.endpoint, tasks("p1", "p4"), default=None, labels=None)
    result = check(tmp_path, "--storage", f"s3://{BUCKET}/root", "--label-storage", f"s3://{BUCKET}/labels")
    assert set(found(result)) == {
        ("RB900", position(text, '"p4/ct.nii.gz"')[0]),
        ("RB301", position(text, '"p4/seg.nii.gz"')[0]),
    }


def test_a_storage_id_maps_its_tasks_items(bucket, tmp_path):
    _server, proxy = bucket
    storage_id = "22a4c63d-0c5a-4d8f-9e54-1c2b3c4d5e6f"
    docs = [
        {"name": "p1", "storageId": storage_id, "series": [{"items": "ct.nii.gz"}]},  # in root/p1
        {"name": "p2", "storageId": storage_id.upper(), "series": [{"items": "p2/ct.nii.gz"}]},
        {"name": "p3", "storageId": "another-storage", "series": [{"items": "p3/ct.nii.gz"}]},  # default
    ]
    text = project(tmp_path, proxy.endpoint, docs, **{storage_id: f"s3://{BUCKET}/root/p1"})
    result = check(tmp_path)
    assert found(result) == [("RB900", position(text, '"p2/ct.nii.gz"')[0])], result.stdout + result.stderr
    assert f"s3://{BUCKET}/root/p1/p2/ct.nii.gz" in json_report(result)[0]["message"]


# -- faults ----------------------------------------------------------------------------------------


def test_no_such_bucket_is_one_finding_per_document_and_fault(bucket, tmp_path):
    _server, proxy = bucket
    text = project(tmp_path, proxy.endpoint, tasks("p1", "p2", "p3"), default="s3://no-such-bucket/root")
    result = check(tmp_path)
    assert result.returncode == 1, result.stderr
    unreachable = [f for f in json_report(result) if f["code"] == "RB901"]
    assert [f["line"] for f in unreachable] == [position(text, '"p1/ct.nii.gz"')[0]]
    assert "3 paths of this file in s3://no-such-bucket" in unreachable[0]["message"]
    assert "no such bucket" in unreachable[0]["message"]
    assert "Traceback" not in result.stderr


def test_throttling_is_retried_then_reported(bucket, tmp_path):
    _server, proxy = bucket
    project(tmp_path, proxy.endpoint, tasks("p1"))
    proxy.add("status", times=1, status=503, code="SlowDown")
    once = check(tmp_path, "--no-cache")
    assert (once.returncode, found(once)) == (0, []), once.stdout + once.stderr  # one retry sufficed
    proxy.clear()
    proxy.add("status", times=None, status=503, code="SlowDown", match=lambda m, p: "list-type" in p)
    always = check(tmp_path, "--no-cache")
    assert [code for code, _ in found(always)] == ["RB901"]
    assert "throttled" in json_report(always)[0]["message"]


def test_a_connection_reset_mid_object_is_a_finding(bucket, tmp_path):
    _server, proxy = bucket
    text = project(tmp_path, proxy.endpoint, tasks("p1"))
    proxy.add("drop", times=None, match=lambda m, p: m == "GET" and "list-type" not in p)
    result = check(tmp_path, "--no-cache")
    assert result.returncode == 1, result.stderr
    assert found(result) == [("RB322", position(text, '"p1/seg.nii.gz"')[0])]
    assert "reset" in json_report(result)[0]["message"] or "ended early" in json_report(result)[0]["message"]
    assert "Traceback" not in result.stderr


def test_a_stalled_storage_times_out_as_a_finding(bucket, tmp_path):
    _server, proxy = bucket
    project(tmp_path, proxy.endpoint, tasks("p1"), timeout=1, retries=0)
    proxy.add("stall", times=None, seconds=20, match=lambda m, p: "list-type" in p)
    result = check(tmp_path, "--no-cache")
    assert [code for code, _ in found(result)] == ["RB901"], result.stdout + result.stderr
    assert "timed out" in json_report(result)[0]["message"]


def test_access_denied_everywhere_is_exit_2_with_one_line(bucket, tmp_path):
    _server, proxy = bucket
    project(tmp_path, proxy.endpoint, tasks("p1", "p2"))
    proxy.add("status", times=None, status=403, code="AccessDenied")
    result = check(tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(
        "rb-lint: error: cannot use the storage"
    )
    assert "access denied" in result.stderr
    assert SECRET not in result.stderr


def test_access_denied_on_one_storage_only_is_a_finding(bucket, tmp_path):
    server, proxy = bucket
    server.bucket("closed", {"p1/ct.nii.gz": b"x"})
    text = project(tmp_path, proxy.endpoint, tasks("p1"), default="s3://closed")
    proxy.add(
        "status", times=None, status=403, code="AccessDenied", match=lambda m, p: p.startswith("/closed")
    )
    result = check(tmp_path)
    assert found(result) == [("RB901", position(text, '"p1/ct.nii.gz"')[0])], result.stdout + result.stderr
    assert "access denied" in json_report(result)[0]["message"]


def test_no_credentials_is_exit_2_with_one_line(bucket, tmp_path, monkeypatch):
    _server, proxy = bucket
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    project(tmp_path, proxy.endpoint, tasks("p1"))
    result = check(tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith(
        "rb-lint: error: cannot use the storage s3://studies: no usable credentials"
    )
    assert result.stderr.count("\n") == 1


def test_a_missing_extra_is_exit_2_with_the_pip_line(bucket, tmp_path):
    _server, proxy = bucket
    project(tmp_path, proxy.endpoint, tasks("p1"))
    blocker = write(tmp_path / "blocked" / "s3fs" / "__init__.py", "raise ImportError('no s3fs here')\n")
    result = rb_lint("check", "items.json", cwd=tmp_path, env={"PYTHONPATH": str(blocker.parent.parent)})
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == 'rb-lint: error: s3:// storage needs the s3 extra: pip install "rb-lint[s3]"\n'
