"""Small JSON bodies are linted in memory (no bundle folder written): the findings, positions and
fingerprints are exactly those of the same documents written to a folder, and of `rb-lint check`
there; whatever could tell the two apart (folders, a taxonomy file, excludes, a document naming a
bundle file) sends the request to the folder instead; and the one empty folder the in-memory
lints use stays empty and is gone when the server stops."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from serve_server import running_server
from test_serve_api import ITEMS, check_json, uploads_left

from rb_lint.service.bundle import DocumentsBody, bundle_from_documents, in_memory_allowed
from rb_lint.service.linting import lint_bundle, render_report
from rb_lint.service.settings import ServeSettings

SETTINGS = ServeSettings()
LFS = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "0" * 64 + "\nsize 12\n"
TAXONOMY = {
    "name": "T",
    "isNew": True,
    "objectTypes": [{"category": "Liver", "classId": 0, "labelType": "SEGMENTATION"}],
}


def series_task(name: str, items: str, segmentations: str) -> dict[str, Any]:
    return {
        "name": name,
        "series": [{"items": items, "segmentations": segmentations, "segmentMap": {"1": "L"}}],
    }


# Documents whose findings depend on what is (not) on disk next to them, or on how they are read.
CASES: dict[str, dict[str, Any]] = {
    "items": {"a.json": ITEMS},
    "odd text": {"a.json": json.dumps(ITEMS, indent=3).replace('"name":', '"name" :')},
    "references out and to the folder itself": {
        "a.json": [
            series_task("p-1", ".", "./"),
            series_task("p-2", "..", "../x.nii.gz"),
            series_task("p-3", "/etc/passwd", "/etc/hostname"),
            series_task("p-3", "s3://bucket/k/ct.nii.gz", "https://host/seg.nii.gz"),
        ]
    },
    "load problems": {
        "bom.json": "\ufeff[]",
        "empty.json": "",
        "comma.json": '[{"name": "a",}]',
        "lfs.json": LFS,
        "surrogate.json": '[{"name": "\ud800"}]',
    },
    "a taxonomy among the documents": {
        "tax.json": TAXONOMY,
        "a.json": [series_task("p", "c.nii.gz", "s.nii.gz")],
    },
    "two lists with the same task": {"a.json": ITEMS[:1], "b.json": ITEMS[:1]},
}


def lint_both(documents: dict[str, Any]) -> tuple[str, str]:
    """The JSON reports of the documents linted in memory and written to a folder."""
    body = DocumentsBody.model_validate({"documents": documents})
    reports = []
    for in_memory in (True, False):
        bundle = bundle_from_documents(body, SETTINGS, in_memory=in_memory)
        assert (bundle.documents is not None) is in_memory
        try:
            reports.append(render_report(lint_bundle(bundle, SETTINGS), bundle, "json")[0])
        finally:
            bundle.cleanup()
    return reports[0], reports[1]


@pytest.mark.parametrize("case", CASES)
def test_in_memory_findings_are_those_of_a_bundle_folder(case: str) -> None:
    in_memory, on_disk = lint_both(CASES[case])
    assert json.loads(in_memory) == json.loads(on_disk)
    assert json.loads(in_memory)["findings"] or case == "load problems"


def test_in_memory_findings_are_those_of_check(tmp_path: Path) -> None:
    """`rb-lint check` is not confined: references that stay in the folder only."""
    inside = [series_task("p-1", ".", "./"), series_task("p-1", "c.nii.gz", "s.nii.gz"), {"name": 3}]
    documents = {"a.json": inside, "b.json": inside[1:], **CASES["load problems"]}
    for name, content in documents.items():
        text = content if isinstance(content, str) else json.dumps(content, indent=2)
        (tmp_path / name).write_bytes(text.encode("utf-8", "surrogatepass"))
    in_memory, _ = lint_both(documents)
    expected = check_json(tmp_path, *documents)
    assert json.loads(in_memory) == expected
    assert {"RB201", "RB004", "RB006", "RB001", "RB009"} <= {f["code"] for f in expected["findings"]}


def allowed(documents: dict[str, Any], **body: Any) -> bool:
    model = DocumentsBody.model_validate({"documents": documents, **body})
    texts = {
        name: json.dumps(value).encode() if not isinstance(value, str) else value.encode()
        for name, value in documents.items()
    }
    return in_memory_allowed(model, texts)


def test_what_could_tell_memory_from_a_folder_goes_to_a_folder() -> None:
    plain = [series_task("p", "c.nii.gz", "s.nii.gz")]
    assert allowed({"a.json": plain})
    assert not allowed({"items/a.json": plain})  # a folder a reference could find
    assert not allowed({"a.json": plain}, taxonomy=TAXONOMY)  # a taxonomy file
    assert not allowed({"a.json": plain}, config={"taxonomy": "a.json"})
    assert not allowed({"a.json": plain}, config={"extend-exclude": ["a.json"]})
    assert not allowed({"node_modules": plain, "a.json": plain})  # excluded by default
    assert not allowed({".hidden.json": plain})
    assert not allowed({"a.json": [series_task("p", "b.json", "s.nii.gz")], "b.json": plain})  # names a file
    assert not allowed({"a.json": '[{"items": "a\\u002ejson"}]'})  # could spell a name with escapes
    assert not allowed({"a.json": " " * (1024 * 1024 + 1)})
    assert not allowed({f"{index}.json": plain for index in range(17)})


def test_in_memory_lints_leave_nothing_and_their_folder_goes_with_the_server(tmp_path: Path) -> None:
    with running_server(env={"TMPDIR": str(tmp_path)}) as server, server.client() as http:
        for _ in range(3):
            answer = http.post("/v1/lint", json={"documents": {"a.json": ITEMS}})
            assert answer.status_code == 200, answer.text
            assert {f["code"] for f in answer.json()["findings"]} >= {"RB201"}
        assert uploads_left(tmp_path) == []
        assert [path.name[:19] for path in tmp_path.iterdir()] == ["rb-lint-empty-root-"]
    assert list(tmp_path.iterdir()) == []


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def test_the_servers_memory_stays_flat_over_many_small_lints(tmp_path: Path) -> None:
    """The server grew by about 6.5 KB per small lint (9.5 MiB over these 1,500): the facts kept
    for project rules and the collector's frozen young garbage were cycles that only its rare
    full passes freed. Bounded in requests; memory, not time, is measured."""
    tasks = [{"name": f"p{n}", "series": [{"items": f"s3://b/{n}/ct.nii.gz"}]} for n in range(5)]
    tasks.append({"name": "p0", "series": [{"items": "s3://b/dup/ct.nii.gz"}]})  # a finding
    body = json.dumps({"documents": {"items.json": json.dumps(tasks, indent=2)}})
    headers = {"Content-Type": "application/json"}
    with running_server("--workers", "1", env={"TMPDIR": str(tmp_path)}) as server, server.client() as http:

        def lint(count: int) -> None:
            for _ in range(count):
                assert http.post("/v1/lint", content=body, headers=headers).status_code == 200

        lint(300)  # warm-up: imports, validators, caches
        before = _rss_kib(server.process.pid)
        lint(1500)
        grown = _rss_kib(server.process.pid) - before
    assert grown < 3 * 1024, f"the server grew by {grown} KiB over 1,500 small lints"
