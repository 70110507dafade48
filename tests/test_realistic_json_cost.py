"""Issue 17 (realistic JSON): what a large items list with segmentations does NOT cost.

Remote paths are never resolved on disk, a local path string is resolved once per document
however many facts ask, the locator finds the same offsets in one loop, and the facts frozen out
of the cyclic collector are still freed when the document is released.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import weakref
from pathlib import Path
from typing import Any

import pytest
from conftest import codes, write

from rb_lint import lint
from rb_lint.core.memo import Memo
from rb_lint.facts import masks, remote
from rb_lint.formats import locations, maskpaths
from rb_lint.io.jsonpos import Locator
from rb_lint.io.loading import read_document


def _items(remote: int, local: int) -> list[dict[str, Any]]:
    tasks = []
    for index in range(remote + local):
        where = f"s3://lab/seg/{index}.nii.gz" if index < remote else f"masks/{index}.nii.gz"
        tasks.append(
            {
                "name": f"p{index}",
                "series": [
                    {
                        "items": f"s3://lab/img/{index}.nii.gz",
                        "segmentations": where,
                        "segmentMap": {"1": "A"},
                    }
                ],
            }
        )
    return tasks


def test_remote_masks_ask_nothing_of_the_file_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "items.json", _items(remote=30, local=0))
    asked: list[str] = []
    real_islink, real_stat = os.path.islink, os.stat

    def islink(path: Any) -> bool:
        asked.append(str(path))
        return real_islink(path)

    def stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        asked.append(str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os.path, "islink", islink)
    monkeypatch.setattr(os, "stat", stat)
    report = lint([tmp_path / "items.json"], config={})
    assert not report.errors
    assert codes(report).count("RB303") == 1
    assert not [p for p in asked if "lab/" in p or "s3:" in p]  # only the JSON file itself is asked of


def test_a_local_path_string_is_resolved_once_per_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = _items(remote=0, local=3)
    items.append(json.loads(json.dumps(items[0])))  # the same mask named twice
    items[-1]["name"] = "again"
    write(tmp_path / "items.json", items)
    resolved: list[str] = []
    original = maskpaths._located

    def counting(doc: Any, written: str, root: Path) -> Any:
        resolved.append(written)
        return original(doc, written, root)

    monkeypatch.setattr(maskpaths, "_located", counting)
    report = lint([tmp_path / "items.json"], config={})
    assert not report.errors
    # The masks are not here and nothing else of the list is (its items are URLs): their location
    # is unknown, so one RB303 notes them (issue 13) rather than an RB301 each.
    assert codes(report).count("RB303") == 1
    assert sorted(resolved) == sorted(set(resolved)) and len(resolved) == 3


def test_resolution_matches_pathlib_for_odd_spellings(tmp_path: Path) -> None:
    (tmp_path / "masks").mkdir()
    (tmp_path / "masks" / "a.nii.gz").write_bytes(b"x")
    doc = read_document(write(tmp_path / "items.json", []), "items.json")
    for written in (
        "masks/a.nii.gz",
        "./masks//a.nii.gz",
        "masks/../masks/a.nii.gz",
        "file://masks/a.nii.gz",
    ):
        where, path, escapes, real = maskpaths.locate(doc, written, tmp_path)
        assert (where, path, escapes) == ("local", tmp_path / "masks" / "a.nii.gz", False), written
        assert real == Path(os.path.realpath(tmp_path / "masks" / "a.nii.gz"))
    assert maskpaths.locate(doc, "../outside.nii.gz", tmp_path)[2] is True


def test_locator_finds_keys_values_and_first_keys_in_one_pass() -> None:
    text = '[{"a": 1, "b": {"c": [10, 20]}, "a": 2}, {"x": "y"}]'
    found = Locator(text).offsets(
        [("/0/a", "value"), ("/0/a", "key"), ("/0/a", "first-key"), ("/0/b/c/1", "value"), ("/1/x", "value")]
    )
    assert found == {
        ("/0/a", "value"): text.index("2}"),  # a later duplicate wins, as in json.loads
        ("/0/a", "key"): text.rindex('"a"'),
        ("/0/a", "first-key"): text.index('"a"'),
        ("/0/b/c/1", "value"): text.index("20"),
        ("/1/x", "value"): text.index('"y"'),
    }


def test_frozen_mask_facts_are_freed_when_the_document_is_released(tmp_path: Path) -> None:
    doc = read_document(write(tmp_path / "items.json", _items(remote=5, local=5)), "items.json")

    class _Ctx:
        root = tmp_path
        memo = Memo()

    found = masks.document_masks(doc, _Ctx())  # type: ignore[arg-type]
    watched = weakref.ref(found.series[0])
    del found
    doc.release()
    gc.collect()
    assert watched() is None


def _series_with(segmentation: str, index: int) -> dict[str, Any]:
    return {
        "name": f"p{index}",
        "series": [
            {"items": f"s3://lab/img/{index}.nii.gz", "segmentations": segmentation, "segmentMap": {"1": "A"}}
        ],
    }


def test_full_urls_are_neither_parsed_nor_located_without_network_access(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "masks").mkdir()
    (tmp_path / "masks" / "seg.nii.gz").write_bytes(b"not a mask")
    items = [_series_with("s3://lab/seg/0.nii.gz", 0), _series_with("masks/seg.nii.gz", 1)]
    write(tmp_path / "items.json", items)
    parsed: list[str] = []
    located: list[remote.DocumentLocations] = []
    original_parse, original_locations = locations.parse_url, remote._document_locations

    def parse_url(text: str) -> Any:
        parsed.append(text)
        return original_parse(text)

    def document_locations(doc: Any, ctx: Any) -> remote.DocumentLocations:
        located.append(original_locations(doc, ctx))
        return located[-1]

    monkeypatch.setattr(locations, "parse_url", parse_url)
    monkeypatch.setattr(remote, "_document_locations", document_locations)
    report = lint([tmp_path / "items.json"], config={})
    assert not report.errors
    assert not parsed  # a URL nothing fetches is never parsed
    assert [found.ref.written for found in located[0].segmentations] == ["masks/seg.nii.gz"]
    assert not located[0].items  # the items are URLs too
    assert "RB303" in codes(report)  # and still counted as not checked


def test_unchecked_masks_are_counted_in_document_order_whatever_their_kind(tmp_path: Path) -> None:
    # Nothing of the list is here and no storage is mapped: `masks/…` paths are of unknown location,
    # the URLs are not fetched; RB303 names the first in document order and counts the others.
    cases = {
        "url-first": (
            ["s3://lab/seg/0.nii.gz", "masks/1.nii.gz", "s3://lab/seg/2.nii.gz"],
            "`s3://lab/seg/0.nii.gz` is remote (and 2 more segmentation files not checked in this file)",
        ),
        "unknown-first": (
            ["masks/0.nii.gz", "s3://lab/seg/1.nii.gz"],
            "`masks/0.nii.gz` is not here and no storage is mapped (and 1 more segmentation file not "
            "checked in this file)",
        ),
        "urls-only": (
            ["s3://lab/seg/0.nii.gz", "s3://lab/seg/1.nii.gz", "s3://lab/seg/2.nii.gz"],
            "`s3://lab/seg/0.nii.gz` is remote (and 2 more remote segmentation files in this file)",
        ),
    }
    for name, (segmentations, expected) in cases.items():
        path = write(
            tmp_path / name / "items.json", [_series_with(s, i) for i, s in enumerate(segmentations)]
        )
        report = lint([path], config={})
        notes = [f for f in report.findings if f.code == "RB303"]
        assert len(notes) == 1 and notes[0].message.startswith(expected), (name, notes)
        assert notes[0].pointer == "/0/series/0/segmentations"


def test_series_and_path_facts_keep_no_per_object_dict(tmp_path: Path) -> None:
    doc = read_document(write(tmp_path / "items.json", _items(remote=2, local=2)), "items.json")

    class _Ctx:
        root = tmp_path
        memo = Memo()

    found = masks.document_masks(doc, _Ctx())  # type: ignore[arg-type]
    assert [s.instances for s in found.series] == [{1: "1"}] * 4
    for series in found.series:
        assert not hasattr(series, "__dict__")  # slots: a list of 500,000 tasks has a million series
        (ref,) = series.refs
        assert ref.pointer == f"{series.pointer}/segmentations" and ref.own_pointer is None


def test_a_mask_named_by_many_tasks_is_looked_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A clean list names each mask from many tasks: whether it is there (and a Git LFS pointer)
    # is asked once per file, not once per path string naming it; findings are those of one.
    from test_nifti_support import cube, write_nifti

    from rb_lint.facts import mask_scans

    lfs_pointer = importlib.import_module("rb_lint.rules.parsing.lfs_pointer")  # the module, not the rule
    write_nifti(tmp_path / "masks" / "a.nii.gz", cube({(1, 1, 1): 1}))
    tasks = [
        _series_with(where, index) for index, where in enumerate(["masks/a.nii.gz"] * 5 + ["masks/b.nii.gz"])
    ]
    write(tmp_path / "items.json", tasks)
    asked: list[Path] = []
    original_exists, original_pointer = mask_scans.file_exists, lfs_pointer.lfs_pointer_file

    def file_exists(ctx: Any, path: Path) -> bool:
        asked.append(path)
        return original_exists(ctx, path)

    def lfs_pointer_file(ctx: Any, path: Path) -> bool:
        asked.append(path)
        return original_pointer(ctx, path)

    monkeypatch.setattr(mask_scans, "file_exists", file_exists)
    monkeypatch.setattr(lfs_pointer, "lfs_pointer_file", lfs_pointer_file)
    report = lint([tmp_path / "items.json"], config={})
    assert not report.errors
    assert sorted(p.name for p in asked) == [
        "a.nii.gz",
        "a.nii.gz",
        "b.nii.gz",
        "b.nii.gz",
    ]  # once each, per fact
    assert codes(report).count("RB301") == 1  # b.nii.gz does not exist
    assert not {"RB304", "RB305"} & set(codes(report))  # a.nii.gz holds exactly id 1


def test_where_a_path_string_leads_is_decided_once_per_string(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "masks").mkdir()
    (tmp_path / "masks" / "seg.nii.gz").write_bytes(b"x")
    items = [_series_with("masks/seg.nii.gz", index) for index in range(4)]
    for item in items:
        item["series"][0]["items"] = "images/ct.nii.gz"  # one local item, named by each task too
    write(tmp_path / "items.json", items)
    decided: list[tuple[str, str]] = []
    original = remote._local_path

    def local_path(doc: Any, ctx: Any, base: str, ref: Any, table: Any) -> Any:
        decided.append((ref.role, ref.written))
        return original(doc, ctx, base, ref, table)

    monkeypatch.setattr(remote, "_local_path", local_path)
    report = lint([tmp_path / "items.json"], config={})
    assert not report.errors
    assert sorted(decided) == [("item", "images/ct.nii.gz"), ("segmentation", "masks/seg.nii.gz")]
    missing = [f for f in report.findings if f.code == "RB301"]
    assert not missing  # the mask is there (not a NIfTI: another rule's business)
