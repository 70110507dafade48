"""`{"paths": [...]}` under a `--remote-root` (moto's S3 server on loopback, the real `rb-lint serve`
over HTTP): keys relative to the root and full URLs under it give the findings `rb-lint check`
gives on the same files with the root as their storage; other buckets, other prefixes, other
schemes, `..` and malformed keys are refused before anything is fetched; missing objects are 404,
too much data 413; nothing fetched is left on the server's disk."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from serve_server import Server, running_server
from storage_servers import CLEARED, CREDENTIALS, REGION, S3Server
from test_serve_api import assert_problem, check_json, uploads_left
from test_serve_jobs import finished, wait_for

pytest_plugins = ["storage_servers"]  # its fixtures

BUCKET = "studies"
ROOT = f"s3://{BUCKET}/data/"
SECRET = "testing-secret-value"  # moto's secret key (storage_servers.CREDENTIALS): never echoed


def task(name: str, item: str) -> dict[str, Any]:
    return {"name": name, "series": [{"items": item}]}


ITEMS = [task("p-1", "p1/ct.nii.gz"), task("p-2", "p2/ct.nii.gz"), task("p-1", "p3/ct.nii.gz")]
OBJECTS = {
    "data/items/a.json": json.dumps(ITEMS, indent=2).encode(),  # RB201; p2's image is missing
    "data/b.json": json.dumps([task("q-1", "p1/ct.nii.gz")]).encode(),
    "data/p1/ct.nii.gz": b"image one",
    "data/p3/ct.nii.gz": b"image three",
    "data/big.json": b"[" + b" " * 4096 + b"]",
    "database/secret.json": json.dumps([task("secret-task", "x")]).encode(),  # next to the root
    "other.json": b"[]",
}


@pytest.fixture(scope="module")
def remote(s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    """The server with one remote root (and its TMPDIR, which must stay empty); credentials for
    moto in the environment, nothing from the developer's own AWS setup (as `s3_env`)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in CLEARED:
            patch.delenv(name, raising=False)
        for name, value in {**CREDENTIALS, "AWS_DEFAULT_REGION": REGION}.items():
            patch.setenv(name, value)
        base = tmp_path_factory.mktemp("remote")
        patch.setenv("AWS_CONFIG_FILE", str(base / "no-aws-config"))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(base / "no-aws-credentials"))
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        s3_server.reset()
        s3_server.bucket(BUCKET, OBJECTS)
        temp = base / "server-tmp"
        temp.mkdir()
        env = {"AWS_ENDPOINT_URL": s3_server.endpoint, "TMPDIR": str(temp)}
        with running_server("--remote-root", ROOT, "--max-body", "4000", env=env) as server:
            yield server, temp


def test_keys_and_urls_under_the_remote_root_give_the_findings_of_check(
    remote: tuple[Server, Path], s3_server: S3Server, tmp_path: Path
) -> None:
    server, temp = remote
    folder = tmp_path / "copy"
    (folder / "items").mkdir(parents=True)
    (folder / "items" / "a.json").write_bytes(OBJECTS["data/items/a.json"])
    (folder / "b.json").write_bytes(OBJECTS["data/b.json"])
    storage = f'[storage]\ndefault = "{ROOT}"\nendpoint-url = "{s3_server.endpoint}"\n'
    (folder / "rb-lint.toml").write_text(storage)
    expected = check_json(folder, "items/a.json", "b.json")
    assert {"RB201", "RB900"} <= {f["code"] for f in expected["findings"]}  # p2's image is missing
    with server.client() as http:
        for paths in (["items/a.json", "b.json"], [f"{ROOT}items/a.json", "s3://studies/data/b.json"]):
            answer = http.post("/v1/lint", json={"paths": paths})
            assert answer.status_code == 200, answer.text
            assert answer.json() == expected
    assert uploads_left(temp) == []


def test_a_job_lints_objects_under_the_remote_root(remote: tuple[Server, Path]) -> None:
    """`POST /v1/jobs` takes the same `paths`: its report is the synchronous one."""
    server, temp = remote
    body = {"paths": ["items/a.json", "b.json"]}
    with server.client() as http:
        expected = http.post("/v1/lint", json=body).json()
        answer = http.post("/v1/jobs", json=body)
        assert answer.status_code == 202, answer.text
        location = answer.headers["location"]
        status = wait_for(http, location, finished)[-1]
        assert status["state"] == "done", status
        assert http.get(f"{location}/report").json() == expected
    assert uploads_left(temp) == []


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("s3://studies/database/secret.json", 403),  # a prefix that is not a folder of the root
        ("s3://studies/other.json", 403),  # the bucket, outside the root
        ("s3://elsewhere/data/items/a.json", 403),  # another bucket
        ("gs://studies/data/items/a.json", 403),  # another scheme
        ("https://studies/data/items/a.json", 403),
        ("file:///etc/passwd", 403),
        ("../database/secret.json", 403),
        ("items/../../database/secret.json", 403),
        ("s3://studies/data/../database/secret.json", 403),
        ("/data/items/a.json", 403),
        ("items//a.json", 422),
        ("items/./a.json", 422),
        ("items/a.json?versionId=1", 422),
        ("items/\x01a.json", 422),
        ("items/", 422),  # a folder: objects only
        ("items/missing.json", 404),
        ("big.json", 413),  # over --max-body
    ],
)
def test_paths_outside_the_remote_root_are_refused(
    remote: tuple[Server, Path], path: str, status: int
) -> None:
    server, temp = remote
    with server.client() as http:
        problem = assert_problem(http.post("/v1/lint", json={"paths": [path]}), status)
    assert "secret-task" not in json.dumps(problem) and SECRET not in json.dumps(problem)
    assert uploads_left(temp) == []


def test_a_request_cannot_mix_roots_and_a_local_path_needs_a_local_root(remote: tuple[Server, Path]) -> None:
    server, _temp = remote
    with server.client() as http:
        mixed = {"paths": ["items/a.json"], "taxonomy": "s3://studies/other.json"}
        assert_problem(http.post("/v1/lint", json=mixed), 403)
        assert http.post("/v1/lint", json={"paths": ["b.json"], "kind": "items-list"}).status_code == 200
        assert_problem(http.post("/v1/lint", json={"paths": ["b.json"], "kind": "nonsense"}), 422)


def test_a_local_root_server_refuses_urls(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("[]")
    with running_server("--root", str(tmp_path)) as server, server.client() as http:
        assert http.post("/v1/lint", json={"paths": ["a.json"]}).status_code == 200
        assert_problem(http.post("/v1/lint", json={"paths": ["s3://studies/data/b.json"]}), 403)


def test_bad_remote_roots_are_refused() -> None:
    from click.testing import CliRunner

    from rb_lint.cli import main
    from rb_lint.service.remote import normalised_root

    for prefix in ("ftp://host/data", "studies/data", "s3://", "s3://b/data/../x", "https://h/p?sig=1"):
        with pytest.raises(ValueError):
            normalised_root(prefix)
    result = CliRunner().invoke(main, ["serve", "--remote-root", "ftp://host/data"])  # exits before listening
    assert result.exit_code == 2 and "--remote-root" in result.output and "Traceback" not in result.output


def test_remote_roots_are_normalised() -> None:
    from rb_lint.service.remote import normalised_root

    assert normalised_root("s3://b/data") == "s3://b/data/"
    assert normalised_root("gcs://b/data/") == "gs://b/data/"
    assert normalised_root("s3://b") == "s3://b/"
    assert normalised_root("https://Host.example/p") == "https://host.example/p/"


def test_the_remote_fixture_serves_the_objects(remote: tuple[Server, Path], s3_server: S3Server) -> None:
    """The objects the tests above name exist (a 404 above is the server's, not a setup slip)."""
    listed = s3_server.client().list_objects_v2(Bucket=BUCKET)["Contents"]
    assert {item["Key"] for item in listed} == set(OBJECTS)


def test_remote_roots_reach_every_worker_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`--workers N`: each process rebuilds the settings from the environment, remote roots included."""
    from rb_lint.service.app import SETTINGS_VARIABLE, app_from_environment, settings_to_environment
    from rb_lint.service.settings import ServeSettings

    settings = ServeSettings(workers=2, roots=(tmp_path,), remote_roots=(ROOT, "gs://other/x/"))
    monkeypatch.setenv(SETTINGS_VARIABLE, settings_to_environment(settings))
    monkeypatch.delenv("RB_LINT_TOKEN", raising=False)
    assert app_from_environment().state.settings == settings
