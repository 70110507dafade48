"""Documents are linted one at a time: memory is bounded by the largest document, not their sum.

The engine reads a document, runs its document rules, computes the per-document facts the project
rules declared (`@rule(..., needs=...)`), then releases it before reading the next one. Also: how the
Python API resolves the paths of its `config=` argument (README, `lint`/`lint_documents` docstrings).
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import codes, only, task, write

from rb_lint import lint, lint_documents
from rb_lint.core.config import LoadedConfig, parse_config
from rb_lint.core.context import Context
from rb_lint.core.engine import build_filter, run
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import Rule, rule
from rb_lint.formats import walk
from rb_lint.io.document import Document, DocumentReleased
from rb_lint.io.loading import pending_document
from rb_lint.models.kinds import TASK_KINDS
from rb_lint.nifti import batch
from rb_lint.rules import ALL_RULES

TAXONOMY = {
    "name": "t",
    "isNew": True,
    "objectTypes": [{"category": "Glioma", "classId": 0, "labelType": "SEGMENTATION"}],
}
V1_TAXONOMY = {"name": "old", "isNew": False, "categories": [{"name": "object", "children": []}]}


def big_task_list(prefix: str, tasks: int) -> list[dict[str, Any]]:
    """A task list whose parsed objects are much larger than the names project rules keep."""
    meta = {f"key{k}": f"value {k} of a rather long metadata string" for k in range(12)}
    return [
        {
            "name": f"{prefix}-{i}",
            "series": [{"items": f"s3://bucket/{prefix}/{i}/{s}.nii.gz", "metaData": meta} for s in range(3)],
        }
        for i in range(tasks)
    ]


@pytest.fixture
def parsed_counter(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """[now, most]: how many documents are loaded (parsed data held, taxonomies aside) at once."""
    counts = [0, 0]
    load, release = Document.load, Document.release

    def counting_load(doc: Document) -> None:
        was_pending = doc.stage == "pending"
        load(doc)
        if was_pending and not doc.pinned:
            counts[0] += 1
            counts[1] = max(counts)

    def counting_release(doc: Document) -> None:
        if doc.stage == "loaded" and not doc.pinned:
            counts[0] -= 1
        release(doc)

    monkeypatch.setattr(Document, "load", counting_load)
    monkeypatch.setattr(Document, "release", counting_release)
    yield counts


def test_at_most_one_document_is_parsed_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed_counter: list[int]
) -> None:
    monkeypatch.chdir(tmp_path)
    for n in range(5):
        tasks = big_task_list(f"file{n}", 200)
        tasks.append(task("shared-name"))  # RB201 across files: the project rules still see every file
        write(tmp_path / f"items{n}.json", tasks)
    write(tmp_path / "taxonomy.json", TAXONOMY)
    report = lint([tmp_path], config={})
    assert parsed_counter == [0, 1]
    assert not report.errors
    duplicates = [f for f in report.findings if f.code == "RB201"]
    assert sorted(f.path for f in duplicates) == [f"items{n}.json" for n in range(1, 5)]
    assert all("items0.json:" in f.message for f in duplicates)


def _peak_of_lint(paths: list[Path]) -> int:
    tracemalloc.start()
    try:
        report = lint(paths, config={}, select=["RB2"])
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not report.errors
    assert codes(report).count("RB201") == len(paths) - 1  # the project rules ran on every file
    return peak


def test_peak_memory_is_bounded_by_the_largest_document_not_the_sum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    files = []
    for n in range(4):
        tasks = big_task_list(f"file{n}", 300)
        tasks.append(task("shared-name"))
        files.append(write(tmp_path / f"items{n}.json", tasks))
    lint(files[:1], config={}, select=["RB2"])  # imports and warms caches outside the measurement
    one_doc = _peak_of_lint(files[:1])
    every = _peak_of_lint(files)
    size = files[0].stat().st_size
    assert size > 700_000
    # Holding the four documents would peak near 4x; the names kept of each are small.
    assert every < one_doc * 1.5, (every, one_doc, size)


@rule("RB990", "reads-released-data", Severity.ERROR, "test", kinds=TASK_KINDS, scope="project")
def reads_released_data(docs: list[Document], ctx: Context) -> Iterator[Hit]:
    """What: test. Why: test. Failing: x Fixed: y"""
    for doc in docs:
        for pointer, _task in walk.tasks(doc):
            yield Hit("a task", pointer, doc=doc)


def _first_task_pointer(doc: Document) -> str | None:
    return doc.memo(_first_pointer, doc)


def _first_pointer(doc: Document) -> str | None:
    found = walk.tasks(doc)
    return found[0][0] if found else None


@rule(
    "RB991",
    "declares-its-needs",
    Severity.ERROR,
    "test",
    kinds=TASK_KINDS,
    scope="project",
    needs=(_first_task_pointer,),
)
def declares_its_needs(docs: list[Document], ctx: Context) -> Iterator[Hit]:
    """What: test. Why: test. Failing: x Fixed: y"""
    for doc in docs:
        pointer = _first_task_pointer(doc)
        if pointer is not None:
            yield Hit("first task", pointer, doc=doc)


def _run_rule(tmp_path: Path, probe: Rule) -> Any:
    paths = [write(tmp_path / f"{n}.json", [task(f"p{n}"), task(f"q{n}")]) for n in range(2)]
    docs = [pending_document(p, p.name) for p in paths]
    ctx = Context(LoadedConfig(parse_config({}), tmp_path), docs)
    return run(docs, ctx, build_filter(ctx, [*ALL_RULES, probe], [probe.code]))


def test_a_project_rule_reading_a_released_document_fails_loudly(tmp_path: Path) -> None:
    report = _run_rule(tmp_path, reads_released_data)
    assert not report.findings
    [error] = report.errors
    assert "RB990" in error and "DocumentReleased" in error and "needs=" in error


def test_a_project_rule_reads_the_facts_it_declared(tmp_path: Path) -> None:
    report = _run_rule(tmp_path, declares_its_needs)
    assert not report.errors
    assert [(f.path, f.pointer, f.line) for f in report.findings] == [
        ("0.json", "/0", 2),
        ("1.json", "/0", 2),
    ]


def test_a_released_document_keeps_only_the_declared_facts(tmp_path: Path) -> None:
    path = write(tmp_path / "items.json", [task("a")])
    doc = pending_document(path, "items.json")
    with pytest.raises(DocumentReleased):
        _ = doc.data  # not read yet
    doc.load()
    assert doc.parsed and doc.data is not None and doc.source is not None
    with doc.memo.keeping():
        _first_task_pointer(doc)  # kept; walk.tasks, which it used, is not
    doc.release()
    assert len(doc.memo) == 1 and _first_task_pointer(doc) == "/0"
    assert doc.source is None  # read again for positions
    with pytest.raises(DocumentReleased):
        _ = doc.data
    assert doc.line_columns([("/0/name", "value")]) == {("/0/name", "value"): (3, 13)}
    assert doc.source is None


def test_in_memory_documents_keep_their_text(tmp_path: Path) -> None:
    report = lint_documents(
        {"a.json": [task("same")], "b.json": [task("same")]}, root=tmp_path, config={}, select=["RB201"]
    )
    finding = only(report, "RB201")
    assert (finding.path, finding.line) == ("b.json", 3)
    assert "a.json:3:13" in finding.message


@pytest.mark.parametrize("taxonomy_name", ["0-taxonomy.json", "z-taxonomy.json"])
def test_a_linted_taxonomy_is_used_wherever_it_comes_in_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, taxonomy_name: str
) -> None:
    """Document rules ask for the run's taxonomy from the first task file on: a taxonomy that is
    read later must already be known (it is read first, and kept)."""
    monkeypatch.chdir(tmp_path)
    labelled = {"name": "p", "series": [{"items": "ct.nii.gz", "segmentMap": {"1": "Gliomma"}}]}
    write(tmp_path / "m-items.json", [labelled])
    write(tmp_path / taxonomy_name, TAXONOMY)
    report = lint([tmp_path], config={}, select=["RB400", "RB402"])
    assert not report.errors
    assert codes(report) == ["RB402"]


def test_a_linted_v1_taxonomy_is_found_by_a_project_rule_after_its_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "a-taxonomy.json", V1_TAXONOMY)
    write(tmp_path / "b-items.json", [task("p")])
    report = lint([tmp_path], config={}, select=["RB401"])
    assert not report.errors
    assert only(report, "RB401").path == "a-taxonomy.json"


def test_an_explicit_taxonomy_that_is_linted_but_no_taxonomy_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rb_lint import ConfigError

    monkeypatch.chdir(tmp_path)
    write(tmp_path / "a.json", [task("p", segmentMap={"1": "Glioma"})])
    write(tmp_path / "b.json", [task("q", segmentMap={"1": "Glioma"})])
    with pytest.raises(ConfigError, match="is not a taxonomy"):
        lint([tmp_path], config={"taxonomy": "a.json"}, select=["RB402"])


def test_a_mask_named_by_several_documents_is_scanned_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shared.nii.gz").write_bytes(b"not a nifti file at all")
    (tmp_path / "own.nii.gz").write_bytes(b"not a nifti file either")
    scanned: list[list[Path]] = []
    real = batch.scan_masks

    def counting(paths: Any, settings: Any) -> Any:
        paths = list(paths)
        scanned.append(paths)
        return real(paths, settings)

    monkeypatch.setattr(batch, "scan_masks", counting)  # the fact module looks it up there when it scans
    write(tmp_path / "a.json", [task("a", segmentations=["shared.nii.gz"])])
    write(tmp_path / "b.json", [task("b", segmentations=["shared.nii.gz", "own.nii.gz"])])
    report = lint([tmp_path], config={}, select=["RB3"])
    flat = [p.name for paths in scanned for p in paths]
    assert sorted(flat) == ["own.nii.gz", "shared.nii.gz"]
    not_nifti = [(f.path, f.pointer) for f in report.findings if f.code == "RB312"]
    assert not_nifti == [
        ("a.json", "/0/series/0/segmentations/0"),
        ("b.json", "/0/series/0/segmentations/0"),
        ("b.json", "/0/series/0/segmentations/1"),
    ]


def test_documents_referencing_a_removed_mask_are_linted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "items.json", [task("a", segmentations=["gone.nii.gz"])])
    write(tmp_path / "other.json", [task("b")])
    report = lint([], config={}, removed=[tmp_path / "gone.nii.gz"], select=["RB301"])
    assert report.files == ["items.json"]
    assert only(report, "RB301").path == "items.json"


# -- config= paths (README "Python API", `lint` and `lint_documents` docstrings) ------------------


def _labelled(tmp_path: Path) -> Path:
    return write(tmp_path / "data" / "items.json", [task("p", segmentMap={"1": "Gliomma"})])


def _uses_taxonomy(report: Any) -> bool:
    return not report.errors and "RB402" in codes(report) and "RB400" not in codes(report)


def test_api_resolves_a_mapping_config_against_the_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mapping is read as a config file at the project root: the git work tree holding the first
    path (never the first path's own folder), else the working directory."""
    items = _labelled(tmp_path)
    (tmp_path / ".git").mkdir()
    write(tmp_path / "taxonomy.json", TAXONOMY)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not the working directory
    select = ["RB400", "RB402"]
    assert _uses_taxonomy(lint([items], config={"taxonomy": "taxonomy.json"}, select=select))
    assert _uses_taxonomy(lint([items.parent], config={"taxonomy": "taxonomy.json"}, select=select))


@pytest.mark.parametrize("as_type", [str, Path])
def test_api_resolves_a_config_file_path_against_that_files_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, as_type: Any
) -> None:
    items = _labelled(tmp_path)
    write(tmp_path / "conf" / "taxonomies" / "t.json", TAXONOMY)
    write(tmp_path / "conf" / "rb-lint.toml", 'taxonomy = "taxonomies/t.json"\n')
    monkeypatch.chdir(tmp_path)
    config = as_type("conf/rb-lint.toml")  # a relative config path: relative to the working directory
    assert _uses_taxonomy(lint([items], config=config, select=["RB400", "RB402"]))
    text = json.dumps([task("p", segmentMap={"1": "Gliomma"})])
    report = lint_documents(
        {"items.json": text}, config=config, root=tmp_path / "data", select=["RB400", "RB402"]
    )
    assert _uses_taxonomy(report)


def test_api_resolves_a_mapping_config_of_in_memory_documents_against_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "root" / "taxonomy.json", TAXONOMY)
    monkeypatch.chdir(tmp_path)
    labelled = [task("p", segmentMap={"1": "Gliomma"})]
    report = lint_documents(
        {"items.json": labelled}, config={"taxonomy": "taxonomy.json"}, root=tmp_path / "root", select=["RB4"]
    )
    assert _uses_taxonomy(report)
    with pytest.raises(Exception, match="taxonomy"):  # not looked for in the working directory
        lint_documents(
            {"items.json": labelled}, config={"taxonomy": "taxonomy.json"}, root=tmp_path, select=["RB4"]
        )
