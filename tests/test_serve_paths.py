"""`rb-lint serve` never reads outside a bundle or its `--root` folders, whatever a client names:
`../../etc/passwd` as a bundle file name, absolute names, documents referencing files outside,
`paths` with `..`, absolute `paths`, and symlinks inside a root that point out. Files outside are
FIFOs where that proves the point: opening one would block, so a request that returns did not.

Also: `{"paths": [...]}` gives the findings `rb-lint check` gives in the root, with the root's own
configuration (and none from above the root)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import nibabel as nib
import numpy as np
import pytest
from serve_server import Server, running_server
from test_serve_api import check, uploads_left

REQUEST_TIMEOUT = 30.0  # a request that opened a FIFO would wait here, and fail
PROBLEM = "application/problem+json"
SECRET = "outside-secret-9c1e"
TAXONOMY = {
    "name": "T",
    "isNew": True,
    "objectTypes": [{"category": "Liver", "classId": 0, "labelType": "SEGMENTATION"}],
}


def task(name: str, segmentations: str) -> dict[str, Any]:
    return {
        "name": name,
        "series": [{"items": "ct.nii.gz", "segmentations": segmentations, "segmentMap": {"1": "Liver"}}],
    }


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """base/data (the root), base/outside (never to be read), base/other (a second root, under
    a pyproject.toml whose rb-lint table must not apply), base/tmp (the server's TMPDIR)."""
    base = tmp_path_factory.mktemp("paths")
    data, outside, other = base / "data", base / "outside", base / "up" / "other"
    for folder in (data / "items", data / "masks", outside, other, base / "tmp"):
        folder.mkdir(parents=True)
    volume = np.zeros((4, 4, 4), np.uint8)
    volume[1, 1, 1] = 1
    nib.save(nib.Nifti1Image(volume, np.eye(4)), data / "masks" / "good.nii.gz")
    items = [task("p-1", "../masks/good.nii.gz"), task("p-1", "../masks/missing.nii.gz")]
    (data / "items" / "a.json").write_text(json.dumps(items, indent=2))
    (data / "taxonomy.json").write_text(json.dumps(TAXONOMY))
    (data / "rb-lint.toml").write_text('[severity]\nRB201 = "warning"\n')
    (outside / "secret.json").write_text(json.dumps([task(SECRET, "x.nii.gz")]))
    os.mkfifo(outside / "pipe.json")
    os.mkfifo(outside / "pipe.nii.gz")
    escaping = [
        task("e-1", "../../outside/pipe.nii.gz"),
        task("e-2", str(outside / "pipe.nii.gz")),
        task("e-3", "../../../../../../../../../etc/passwd"),
    ]
    (data / "items" / "escape.json").write_text(json.dumps(escaping, indent=2))
    (data / "link.json").symlink_to(outside / "secret.json")
    (data / "pipe.json").symlink_to(outside / "pipe.json")
    (data / "linkdir").symlink_to(outside)
    (base / "up" / "pyproject.toml").write_text('[tool.rb-lint]\nignore = ["RB2"]\n')
    (other / "items.json").write_text(json.dumps([task("q-1", "m.nii.gz"), task("q-1", "m.nii.gz")]))
    return base


@pytest.fixture(scope="module")
def server(layout: Path) -> Iterator[Server]:
    with running_server("--root", str(layout / "data"), env={"TMPDIR": str(layout / "tmp")}) as running:
        yield running


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    with server.client(timeout=REQUEST_TIMEOUT) as client:
        yield client


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert SECRET not in response.text and "Traceback" not in response.text


def codes(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.text
    return [(f["code"], f["pointer"]) for f in response.json()["findings"]]


# --- paths under a root ------------------------------------------------------------------------


def test_paths_give_the_findings_of_check_in_the_root_with_its_config(
    http: httpx.Client, layout: Path
) -> None:
    response = http.post("/v1/lint", json={"paths": ["items/a.json"], "taxonomy": "taxonomy.json"})
    assert response.status_code == 200, response.text
    result = check(layout / "data", "--format", "json", "items/a.json", "--taxonomy", "taxonomy.json")
    real = os.path.realpath(layout / "data") + "/"
    assert response.json() == json.loads(result.stdout.replace(real, ""))
    found = {f["code"]: f["severity"] for f in response.json()["findings"]}
    assert found == {"RB201": "warning", "RB301": "error"}  # rb-lint.toml of the root made RB201 a warning


@pytest.mark.parametrize(
    "path",
    [
        "../outside/secret.json",
        "items/../../outside/secret.json",
        "/etc/passwd",
        "link.json",  # a symlink inside the root, to a file outside
        "linkdir/secret.json",  # through a symlinked folder
        "pipe.json",  # to a FIFO outside: opening it would block
    ],
)
def test_paths_leaving_the_root_are_403(http: httpx.Client, path: str) -> None:
    assert_problem(http.post("/v1/lint", json={"paths": [path]}), 403)
    assert_problem(http.post("/v1/lint", json={"paths": ["items/a.json"], "taxonomy": path}), 403)


def test_missing_and_malformed_paths(http: httpx.Client) -> None:
    assert_problem(http.post("/v1/lint", json={"paths": ["items/none.json"]}), 404)
    assert_problem(http.post("/v1/lint", json={"paths": [""]}), 422)
    assert_problem(http.post("/v1/lint", json={"paths": []}), 422)
    assert_problem(http.post("/v1/lint", json={"paths": ["items/a.json"], "config": {}}), 422)


def test_a_whole_root_is_linted_without_following_links_out(http: httpx.Client) -> None:
    response = http.post("/v1/lint", json={"paths": ["."]})
    assert response.status_code == 200, response.text
    assert SECRET not in response.text
    paths = {f["path"] for f in response.json()["findings"]}
    assert "items/a.json" in paths
    assert not any("outside" in path or "secret" in path for path in paths)


def test_documents_referencing_files_outside_the_root_get_rb302_and_nothing_is_opened(
    http: httpx.Client,
) -> None:
    found = codes(http.post("/v1/lint", json={"paths": ["items/escape.json"], "select": ["RB3"]}))
    assert found == [(c, f"/{i}/series/0/segmentations") for i, c in enumerate(["RB302"] * 3)]


# --- uploaded bundles -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "../escaped.json",
        "/etc/passwd",
        "items/../../escaped.json",
        "./a.json",
        "items//a.json",
        "items\\..\\..\\escaped.json",
        "x" * 256 + ".json",
    ],
)
def test_bad_bundle_file_names_are_422_and_nothing_is_written_outside(
    http: httpx.Client, layout: Path, name: str
) -> None:
    before = sorted(os.listdir(layout)), sorted(os.listdir(layout / "tmp"))
    assert_problem(http.post("/v1/lint", files=[("files", (name, b"[]"))]), 422)
    assert_problem(http.post("/v1/lint", json={"documents": {name: "[]"}}), 422)
    assert (sorted(os.listdir(layout)), sorted(os.listdir(layout / "tmp"))) == before
    assert not Path("/escaped.json").exists() and not (layout / "escaped.json").exists()


def test_control_characters_in_names_are_422(http: httpx.Client) -> None:
    assert_problem(http.post("/v1/lint", json={"documents": {"a\x01.json": "[]"}}), 422)
    assert_problem(http.post("/v1/lint", json={"documents": {"a\x00.json": "[]"}}), 422)


def test_duplicate_bundle_names_are_422(http: httpx.Client) -> None:
    files = [("files", ("a.json", b"[]")), ("files", ("a.json", b"[]"))]
    assert_problem(http.post("/v1/lint", files=files), 422)


def test_uploaded_documents_referencing_files_outside_get_rb302_and_nothing_is_opened(
    http: httpx.Client, layout: Path
) -> None:
    outside = layout / "outside"
    items = [
        task("u-1", "../../../../../../../../../../etc/passwd"),
        task("u-2", str(outside / "pipe.nii.gz")),  # absolute, to a FIFO
        task("u-3", "/etc/passwd"),
        task("u-4", "../" * 12 + str(outside / "pipe.nii.gz").lstrip("/")),
    ]
    expected = [(c, f"/{i}/series/0/segmentations") for i, c in enumerate(["RB302"] * 4)]
    body = json.dumps(items, indent=2).encode()
    multipart = http.post("/v1/lint", files=[("files", ("items/a.json", body))], data={"select": "RB3"})
    assert codes(multipart) == expected
    documents = http.post("/v1/lint", json={"documents": {"items/a.json": items}, "select": ["RB3"]})
    assert codes(documents) == expected
    assert "root:x:0:0" not in multipart.text + documents.text


def test_a_client_config_cannot_point_outside_the_bundle(http: httpx.Client, layout: Path) -> None:
    for taxonomy in ("../outside/secret.json", str(layout / "outside" / "secret.json"), "/etc/passwd"):
        body = {"documents": {"a.json": "[]"}, "config": {"taxonomy": taxonomy}}
        assert_problem(http.post("/v1/lint", json=body), 422)
    remote: dict[str, Any] = {"documents": {"a.json": "[]"}, "config": {"storage": {"remote": True}}}
    assert_problem(http.post("/v1/lint", json=remote), 422)


def test_no_upload_is_left_behind(http: httpx.Client, layout: Path) -> None:
    assert http.post("/v1/lint", files=[("files", ("a.json", b"[]"))]).status_code == 200
    assert uploads_left(layout / "tmp") == []


# --- several roots ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_roots(layout: Path) -> Iterator[Server]:
    with running_server("--root", str(layout / "data"), "--root", str(layout / "up" / "other")) as running:
        yield running


def test_with_several_roots_a_path_names_its_root(two_roots: Server) -> None:
    with two_roots.client(timeout=REQUEST_TIMEOUT) as http:
        assert ("RB201", "/1/name") in codes(http.post("/v1/lint", json={"paths": ["data:items/a.json"]}))
        # other/ has no config of its own: the pyproject.toml above it (ignore RB2) is not used
        assert ("RB201", "/1/name") in codes(http.post("/v1/lint", json={"paths": ["other:items.json"]}))
        assert_problem(http.post("/v1/lint", json={"paths": ["items/a.json"]}), 422)
        assert_problem(http.post("/v1/lint", json={"paths": ["nowhere:items/a.json"]}), 422)
        assert_problem(http.post("/v1/lint", json={"paths": ["data:items/a.json", "other:items.json"]}), 422)
        assert_problem(http.post("/v1/lint", json={"paths": ["data:../outside/secret.json"]}), 403)
