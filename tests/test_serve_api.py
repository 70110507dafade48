"""`rb-lint serve`, spoken to over HTTP: the same findings as `rb-lint check` on the same files
(fingerprints included), every report format, the rules and schemas, health, the token, and every
error answered as problem details. One server per token setting, shared by the module's tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import nibabel as nib
import numpy as np
import pytest
from serve_server import Server, running_server


class CheckResult(NamedTuple):
    returncode: int
    stdout: str


PROBLEM = "application/problem+json"
SECRET = "patient-secret-7f3a"  # in a task name and a file name: must never reach the server log
TAXONOMY = {
    "name": "Service taxonomy",
    "isNew": True,
    "objectTypes": [{"category": "Liver", "classId": 0, "labelType": "SEGMENTATION"}],
}
SERVER_MASK_LIMIT = 300  # bytes of voxel data the server lets a mask header promise


def mask(
    path: Path, values: dict[tuple[int, int, int], int], shape: tuple[int, int, int] = (4, 4, 4)
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    volume = np.zeros(shape, np.uint8)
    for where, value in values.items():
        volume[where] = value
    nib.save(nib.Nifti1Image(volume, np.eye(4)), path)


def task(name: str, segmentations: Any, segment_map: dict[str, Any] | None = None) -> dict[str, Any]:
    series: dict[str, Any] = {"items": f"images/{name}.nii.gz", "segmentations": segmentations}
    series["segmentMap"] = segment_map if segment_map is not None else {"1": "Liver"}
    return {"name": name, "series": [series]}


ITEMS = [
    task("patient-001", "../masks/good.nii.gz"),
    task("patient-002", "../masks/unmapped.nii.gz"),  # value 3 is not in the segmentMap
    task("patient-003", "../masks/missing.nii.gz"),
    task("patient-001", "../masks/good.nii.gz", {"1": "Livr"}),  # a duplicate name, a misspelt category
    task(SECRET, "../masks/big.nii.gz"),  # 512 bytes of voxels: over the server's limit
]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundle on disk: an items list (text with odd spacing), a taxonomy and real NIfTI masks."""
    root = tmp_path_factory.mktemp("bundle")
    (root / "items").mkdir()
    text = json.dumps(ITEMS, indent=3).replace('"name": "patient-002"', '"name" :  "patient-002"')
    (root / "items" / "a.json").write_text(text)
    (root / "items" / "b.json").write_text(json.dumps([task("patient-001", "../masks/good.nii.gz")]))
    (root / "taxonomy.json").write_text(json.dumps(TAXONOMY, indent=2))
    mask(root / "masks" / "good.nii.gz", {(1, 1, 1): 1})
    mask(root / "masks" / "unmapped.nii.gz", {(1, 1, 1): 1, (2, 2, 2): 3})
    mask(root / "masks" / "big.nii.gz", {(1, 1, 1): 1}, shape=(8, 8, 8))
    return root


@pytest.fixture(scope="module")
def temp_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server's TMPDIR: its private bundle folders are made here, and must be gone after."""
    return tmp_path_factory.mktemp("server-tmp")


@pytest.fixture(scope="module")
def server(temp_root: Path) -> Iterator[Server]:
    limit = str(SERVER_MASK_LIMIT)
    args = ("--max-uncompressed-bytes", limit, "--access-log")
    with running_server(*args, env={"TMPDIR": str(temp_root)}) as running:
        yield running


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def check(folder: Path, *args: str) -> CheckResult:
    """`rb-lint check --no-cache ARGS` run in `folder`, as a user would (the command itself, in
    this process: a subprocess per format would cost a Python start each)."""
    from click.testing import CliRunner

    from rb_lint.cli import main

    here = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(main, ["check", "--no-cache", *args], catch_exceptions=False)
    finally:
        os.chdir(here)
    return CheckResult(result.exit_code, result.stdout)


def check_output(*args: str) -> str:
    """What `rb-lint ARGS` prints."""
    from click.testing import CliRunner

    from rb_lint.cli import main

    return CliRunner().invoke(main, list(args), catch_exceptions=False).stdout


def check_json(folder: Path, *args: str) -> dict[str, Any]:
    result = check(folder, "--format", "json", *args)
    assert result.returncode in (0, 1), result.stdout
    report: dict[str, Any] = json.loads(relative_messages(result.stdout, folder))
    return report


def relative_messages(output: str, folder: Path) -> str:
    """`rb-lint check`'s output with the folder's absolute path left out of the messages, as the
    service writes them (its folder is a private temporary one, of no use to a client)."""
    real = os.path.realpath(folder)
    return output.replace(json.dumps(real + "/")[1:-1], "").replace(real + "/", "")


def multipart(folder: Path, names: list[str]) -> list[tuple[str, tuple[str, bytes]]]:
    return [("files", (name, (folder / name).read_bytes())) for name in names]


def uploads_left(temp: Path) -> list[Path]:
    """What the server left in its TMPDIR: anything but its one empty folder for in-memory
    bundles (`rb-lint-empty-root-*`, removed when it stops), which must stay empty, and its jobs
    folder (`rb-lint-jobs-*`: each job's state and reports until it expires, never an upload)."""
    left = []
    for path in temp.iterdir():
        if path.is_symlink() or not path.is_dir():
            left.append(path)
        elif path.name.startswith("rb-lint-empty-root-"):
            left += list(path.iterdir())
        elif path.name.startswith("rb-lint-jobs-"):
            left += [file for file in path.rglob("*") if not _job_record(file)]
        else:
            left.append(path)
    return left


def _job_record(path: Path) -> bool:
    """A file or folder the jobs folder keeps: its lock, owner and worker processes' names, a
    job's folder, its state, report, cancel marker."""
    if path.name in {".lock", ".owner"} or path.name.startswith(".process-"):
        return path.parent.name.startswith("rb-lint-jobs-")
    if path.is_dir():
        return path.parent.name.startswith("rb-lint-jobs-")
    return path.name in {"state.json", "cancel"} or path.name.startswith("report.")


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["type"] == "about:blank"
    assert "Traceback" not in response.text
    return body


# --- the same findings as `rb-lint check` -----------------------------------------------------


def test_documents_as_text_give_the_findings_of_check_fingerprints_included(
    http: httpx.Client, tmp_path: Path, bundle: Path
) -> None:
    for name in ("items/a.json", "items/b.json", "taxonomy.json"):  # the JSON files only: masks missing
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes((bundle / name).read_bytes())
    documents = {name: (bundle / name).read_text() for name in ("items/a.json", "items/b.json")}
    body = {"documents": documents, "taxonomy": (bundle / "taxonomy.json").read_text()}
    response = http.post("/v1/lint", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    expected = check_json(tmp_path, "items/a.json", "items/b.json", "--taxonomy", "taxonomy.json")
    assert response.json() == expected
    codes = {finding["code"] for finding in expected["findings"]}
    assert {"RB201", "RB301", "RB402"} <= codes  # duplicate name, missing masks, misspelt category


def test_a_document_given_as_a_json_value_is_linted_as_its_two_space_serialisation(
    http: httpx.Client, tmp_path: Path
) -> None:
    (tmp_path / "items").mkdir()
    (tmp_path / "items" / "a.json").write_text(json.dumps(ITEMS, indent=2))
    response = http.post("/v1/lint", json={"documents": {"items/a.json": ITEMS}})
    assert response.status_code == 200, response.text
    assert response.json() == check_json(tmp_path, "items/a.json")
    lines = {(f["code"], f["line"]) for f in response.json()["findings"]}
    assert (
        "RB201",
        json.dumps(ITEMS, indent=2).splitlines().index('    "name": "patient-001",', 20) + 1,
    ) in lines


def test_multipart_bundle_with_nifti_masks_gives_the_findings_of_check(
    http: httpx.Client, bundle: Path
) -> None:
    names = [
        "items/a.json",
        "items/b.json",
        "taxonomy.json",
        *(f"masks/{m}.nii.gz" for m in ("good", "unmapped")),
    ]
    names.append("masks/big.nii.gz")
    response = http.post("/v1/lint", files=multipart(bundle, names), data={"taxonomy": "taxonomy.json"})
    assert response.status_code == 200, response.text
    expected = check_json(
        bundle, "items/a.json", "items/b.json", "taxonomy.json", "--taxonomy", "taxonomy.json"
    )
    found = response.json()
    # The CLI has no server limit: the big mask is only too large for the service (RB323).
    assert [f for f in found["findings"] if f["code"] != "RB323"] == expected["findings"]
    codes = {f["code"] for f in found["findings"]}
    assert {"RB201", "RB301", "RB305", "RB323"} <= codes


def test_client_cannot_raise_the_server_mask_size_limit(http: httpx.Client, bundle: Path) -> None:
    files = multipart(bundle, ["items/a.json", "masks/big.nii.gz", "masks/good.nii.gz"])
    config = json.dumps({"masks": {"max-uncompressed-bytes": 10**9}})
    response = http.post("/v1/lint", files=files, data={"config": config, "select": "RB323"})
    assert response.status_code == 200, response.text
    assert [f["code"] for f in response.json()["findings"]] == ["RB323"]


# --- formats ----------------------------------------------------------------------------------

FORMATS = ["json", "json-lines", "sarif", "junit", "text", "github", "grouped"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_the_check_output_of_that_format(
    http: httpx.Client, tmp_path: Path, fmt: str
) -> None:
    (tmp_path / "items").mkdir()
    (tmp_path / "items" / "a.json").write_text(json.dumps(ITEMS))
    body = {"documents": {"items/a.json": json.dumps(ITEMS)}}
    response = http.post("/v1/lint", params={"format": fmt}, json=body)
    assert response.status_code == 200, response.text
    result = check(tmp_path, "--format", fmt, "--color", "never", "items/a.json")
    expected = relative_messages(result.stdout, tmp_path)
    if fmt == "sarif":  # where it ran (the folder, the command line) differs; the results may not
        served, checked = response.json()["runs"][0], json.loads(expected)["runs"][0]
        for run in (served, checked):
            del run["invocations"], run["originalUriBaseIds"]
        assert served == checked
    else:
        assert response.text == expected


@pytest.mark.parametrize(
    ("accept", "media", "first"),
    [
        ("application/json", "application/json", "{"),
        ("application/sarif+json", "application/sarif+json", "{"),
        ("application/xml", "application/xml", "<"),
        ("text/plain", "text/plain; charset=utf-8", "items.json"),
        ("application/x-ndjson", "application/x-ndjson", "{"),
        ("text/html;q=0.9, application/sarif+json;q=0.5, */*;q=0.1", "application/sarif+json", "{"),
        ("*/*", "application/json", "{"),
    ],
)
def test_accept_header_picks_the_format(http: httpx.Client, accept: str, media: str, first: str) -> None:
    body = {"documents": {"items.json": json.dumps(ITEMS)}}
    response = http.post("/v1/lint", json=body, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media
    assert response.text.startswith(first)
    if media == "application/sarif+json":
        assert response.json()["version"] == "2.1.0"


def test_format_parameter_wins_over_accept(http: httpx.Client) -> None:
    body = {"documents": {"items.json": "[]"}}
    response = http.post("/v1/lint?format=junit", json=body, headers={"Accept": "application/json"})
    assert response.headers["content-type"] == "application/xml"


def test_unknown_formats_are_406_problems(http: httpx.Client) -> None:
    body = {"documents": {"items.json": "[]"}}
    assert_problem(http.post("/v1/lint", json=body, headers={"Accept": "image/png"}), 406)
    assert_problem(http.post("/v1/lint?format=pdf", json=body), 406)


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"documents": {"a.json": "[]"}, "config": {"storage": {"default": "s3://bucket"}}}, "storage"),
        ({"documents": {"a.json": "[]"}, "config": {"masks": {"cache-dir": "/tmp/x"}}}, "cache-dir"),
        ({"documents": {"a.json": "[]"}, "config": {"masks": {"jobs": 64}}}, "jobs"),
        ({"documents": {"a.json": "[]"}, "config": {"taxonomy": "/etc/passwd"}}, "taxonomy"),
        ({"documents": {"a.json": "[]"}, "config": {"taxonomy": "other.json"}}, "taxonomy"),
        ({"documents": {"a.json": "[]"}, "config": {"selectt": ["RB2"]}}, "select"),
        ({"documents": {"a.json": "[]"}, "select": ["RB999"]}, "RB999"),
        ({"documents": {"a.json": "[]"}, "kind": "spreadsheet"}, "kind"),
        ({"documents": {"a.json": "[]"}, "unexpected": 1}, "unexpected"),
        ({"documents": "a.json"}, "documents"),
        ([1, 2], "body"),
    ],
)
def test_bad_requests_are_422_problems(http: httpx.Client, body: Any, says: str) -> None:
    detail = assert_problem(http.post("/v1/lint", json=body), 422)["detail"]
    assert says in detail


def test_a_body_that_is_not_json_is_a_422_problem(http: httpx.Client) -> None:
    response = http.post("/v1/lint", content=b"{not json", headers={"Content-Type": "application/json"})
    assert_problem(response, 422)


def test_another_media_type_is_a_415_problem(http: httpx.Client) -> None:
    response = http.post("/v1/lint", content=b"[]", headers={"Content-Type": "text/csv"})
    assert_problem(response, 415)


def test_unknown_routes_and_methods_are_problems(http: httpx.Client) -> None:
    assert_problem(http.get("/v1/nothing"), 404)
    assert_problem(http.get("/v1/lint"), 405)


def test_problem_details_never_echo_the_document(http: httpx.Client) -> None:
    body = {"documents": {f"{SECRET}/../a.json": SECRET}}
    response = http.post("/v1/lint", json=body)
    assert_problem(response, 422)
    assert SECRET not in response.text


# --- rules, schemas, health, docs ---------------------------------------------------------------


def test_rules_are_listed_with_their_family(http: httpx.Client) -> None:
    listed = http.get("/v1/rules").json()
    by_code = {rule["code"]: rule for rule in listed}
    assert by_code["RB201"] == {
        "code": "RB201",
        "name": "duplicate-task-name",
        "severity": "error",
        "summary": by_code["RB201"]["summary"],
        "family": "names",
    }
    assert [rule["code"] for rule in listed] == sorted(by_code)


def test_a_rule_documentation_is_what_rb_lint_rule_prints(http: httpx.Client, tmp_path: Path) -> None:
    found = http.get("/v1/rules/RB201").json()
    printed = check_output("rule", "RB201")
    assert found["text"] == printed
    assert list(found["sections"]) == ["What", "Why", "Failing", "Fixed"]
    assert http.get("/v1/rules/duplicate-task-name").json()["code"] == "RB201"
    assert_problem(http.get("/v1/rules/RB999"), 404)


def test_schemas_are_what_rb_lint_schema_prints(http: httpx.Client) -> None:
    names = http.get("/v1/schemas").json()
    assert "items-list" in names
    for name in ("items-list", "taxonomy"):
        printed = check_output("schema", name)
        response = http.get(f"/v1/schemas/{name}")
        assert response.status_code == 200 and response.text == printed
        assert response.headers["content-type"].startswith("application/schema+json")
    assert_problem(http.get("/v1/schemas/spreadsheet"), 404)


def test_health_readiness_and_documentation(http: httpx.Client) -> None:
    assert http.get("/healthz").json() == {"status": "ok"}
    assert http.get("/readyz").status_code == 200
    docs = http.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    openapi = http.get("/openapi.json").json()
    assert {"/v1/lint", "/v1/rules", "/v1/rules/{code}", "/v1/schemas/{name}", "/healthz"} <= set(
        openapi["paths"]
    )
    assert "json.dumps(value, indent=2)" in json.dumps(openapi)
    content = openapi["paths"]["/v1/lint"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(content)


def test_the_page_and_its_files_are_served(http: httpx.Client) -> None:
    page = http.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert_problem(http.get("/static/no-such-file.js"), 404)
    assert_problem(http.get("/static/../app.py"), 404)


def test_the_page_is_served_with_a_strict_content_security_policy(http: httpx.Client) -> None:
    for path in ("/", "/static/app.js"):
        headers = http.get(path).headers
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
    assert http.get("/healthz").headers["x-content-type-options"] == "nosniff"


# --- what the server keeps ---------------------------------------------------------------------


def test_nothing_the_client_sent_is_logged_and_no_upload_is_left(
    server: Server, http: httpx.Client, bundle: Path, temp_root: Path
) -> None:
    files = multipart(bundle, ["items/a.json", "masks/good.nii.gz"])
    files.append(("files", (f"{SECRET}.json", b"[]")))
    assert http.post("/v1/lint", files=files).status_code == 200
    assert http.post("/v1/lint", json={"documents": {f"{SECRET}.json": ITEMS}}).status_code == 200
    clash = [("files", (f"{SECRET}/a.json", b"[]")), ("files", (SECRET, b"[]"))]
    assert_problem(http.post("/v1/lint", files=clash), 422)  # fails half-way through writing
    assert SECRET not in server.log()
    assert "Traceback" not in server.log()
    assert "rb-lint: POST /v1/lint 200 " in server.log()  # --access-log: the route template, not more
    assert uploads_left(temp_root) == []


# --- the token -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def guarded() -> Iterator[Server]:
    with running_server(token="s3cret-token") as running:
        yield running


def test_token_is_required_on_the_api_and_nowhere_else(guarded: Server) -> None:
    with guarded.client(authorized=False) as anonymous:
        for path in ("/v1/rules", "/v1/rules/RB201", "/v1/schemas/items-list", "/metrics"):
            response = anonymous.get(path)
            assert_problem(response, 401)
            assert response.headers["www-authenticate"].startswith("Bearer")
        response = anonymous.post("/v1/lint", json={"documents": {"a.json": "[]"}})
        assert_problem(response, 401)
        for path in ("/healthz", "/readyz", "/docs", "/openapi.json", "/"):
            assert anonymous.get(path).status_code == 200, path
    with guarded.client(token="wrong-token") as wrong:
        assert_problem(wrong.get("/v1/rules"), 401)
    with guarded.client(token="s3cret-token", authorized=True) as allowed:
        assert allowed.get("/v1/rules").status_code == 200
        response = allowed.post("/v1/lint", json={"documents": {"a.json": "[]"}})
        assert response.status_code == 200
    assert "s3cret-token" not in guarded.log()


def test_serve_without_the_extra_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from click.testing import CliRunner

    from rb_lint.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "fastapi" else real(name, *a)
    )
    result = CliRunner().invoke(main, ["serve", "--port", "0"])
    assert result.exit_code == 2
    assert "pip install 'rb-lint[serve]'" in result.output


def test_paths_need_a_configured_root(http: httpx.Client) -> None:
    assert_problem(http.post("/v1/lint", json={"paths": ["items/a.json"]}), 403)


def test_a_port_in_use_is_a_one_line_error(server: Server) -> None:
    port = server.url.rsplit(":", 1)[1]
    result = subprocess.run(
        [sys.executable, "-m", "rb_lint", "serve", "--port", port],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"rb-lint: error: cannot listen on 127.0.0.1:{port}")
    assert len(result.stderr.splitlines()) == 1


def test_a_rule_that_fails_is_a_500_problem_with_one_line_errors_and_no_data(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import rb_lint.api
    from rb_lint.core.engine import Report
    from rb_lint.service.bundle import Bundle
    from rb_lint.service.linting import lint_bundle
    from rb_lint.service.problems import ProblemError, problem_response
    from rb_lint.service.settings import ServeSettings

    failed = f"items/a.json: rule RB201 (duplicate-task-name) failed: KeyError: '{SECRET}'\nTraceback ..."
    broken = Report(findings=[], files=["items/a.json"], rules=[], root=tmp_path, errors=[failed])
    monkeypatch.setattr(rb_lint.api, "lint", lambda *args, **kwargs: broken)
    bundle = Bundle(root=tmp_path, paths=[tmp_path / "items" / "a.json"], config={})
    with pytest.raises(ProblemError) as raised:
        lint_bundle(bundle, ServeSettings())
    response = problem_response(raised.value)
    body = json.loads(bytes(response.body))
    assert response.status_code == 500 and response.media_type == PROBLEM
    assert body["errors"] == ["items/a.json: rule RB201 (duplicate-task-name) failed: KeyError"]
    assert SECRET not in bytes(response.body).decode()


def test_several_workers_serve_with_the_same_settings(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "a.json").write_text(json.dumps(ITEMS))
    with running_server("--workers", "2", "--root", str(root), token="worker-token") as running:
        with running.client(authorized=False) as anonymous:
            assert_problem(anonymous.get("/v1/rules"), 401)  # the token reached the workers
        with running.client() as client:
            for _ in range(4):
                response = client.post("/v1/lint", json={"paths": ["a.json"], "select": ["RB201"]})
                assert [f["code"] for f in response.json()["findings"]] == ["RB201"]
            job = client.post("/v1/jobs", json={"paths": ["a.json"]})  # any process answers for it
            assert job.status_code == 202, job.text
