"""RB0xx: reading files — syntax errors, duplicate keys, NaN, BOM, UTF-8, empty and unknown files."""

from __future__ import annotations

import gc
import json
from pathlib import Path

from conftest import only, position, write

from rb_lint import lint, lint_documents
from rb_lint.io.loading import STREAMING_THRESHOLD, read_document

GOOD = '[\n  {"name": "patient-001", "series": [{"items": "ct.nii.gz"}]}\n]\n'


def test_valid_items_list_has_no_findings(lint_files):
    assert lint_files({"items.json": GOOD}).findings == []


def test_trailing_comma_is_reported_at_the_comma(lint_files):
    text = '[\n  {"name": "p1", "series": [{"items": "ct.nii.gz"}]},\n]\n'
    finding = only(lint_files({"items.json": text}), "RB001")
    assert (finding.line, finding.column) == position(text, ",\n]")
    assert "trailing comma" in finding.message


def test_trailing_comma_in_object(lint_files):
    text = '[{"name": "p1",\n  "series": [{"items": "ct.nii.gz",}]}]'
    finding = only(lint_files({"items.json": text}), "RB001")
    assert (finding.line, finding.column) == position(text, ",}")


def test_truncated_file_is_reported_at_its_end(lint_files):
    text = '[\n  {"name": "p1", "series": [{"items": "ct.nii'
    finding = only(lint_files({"items.json": text}), "RB001")
    assert finding.line == 2
    assert "never closed" in finding.message or "truncated" in finding.message


def test_truncated_after_a_value(lint_files):
    text = '[\n  {"name": "p1"'
    finding = only(lint_files({"items.json": text}), "RB001")
    assert (finding.line, finding.column) == (2, 16)
    assert "truncated" in finding.message


def test_missing_colon(lint_files):
    text = '[{"name" "p1"}]'
    finding = only(lint_files({"items.json": text}), "RB001")
    assert (finding.line, finding.column) == (1, 10)
    assert "':'" in finding.message


def test_extra_data_after_the_value(lint_files):
    text = "[]\n[]\n"
    finding = only(lint_files({"items.json": text}), "RB001")
    assert (finding.line, finding.column) == (2, 1)


def test_duplicate_segmentmap_key_is_reported_at_the_second_key(lint_files):
    text = (
        '[{"name": "p1", "series": [{"items": "ct.nii.gz", "segmentations": "seg.nii.gz",\n'
        '  "segmentMap": {"1": "Liver",\n                 "1": "Spleen"}}]}]'
    )
    report = lint_files({"items.json": text})
    finding = only(report, "RB002")
    assert (finding.line, finding.column) == (3, 18)
    assert finding.pointer == "/0/series/0/segmentMap/1"
    assert "duplicate key `1`" in finding.message


def test_duplicate_key_passing(lint_files):
    text = '[{"name": "p1", "series": [{"items": "a.nii.gz"}]}, {"name": "p2", "series": []}]'
    assert "RB002" not in [f.code for f in lint_files({"items.json": text}).findings]


def test_nan_literal(lint_files):
    text = '[{"name": "p1", "priority": NaN,\n  "series": [{"items": "ct.nii.gz"}]}]'
    finding = only(lint_files({"items.json": text}), "RB003")
    assert (finding.line, finding.column) == position(text, "NaN")
    assert finding.pointer == "/0/priority"


def test_byte_order_mark(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "items.json").write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    report = lint([tmp_path], config={})
    finding = only(report, "RB004")
    assert (finding.line, finding.column) == (1, 1)
    assert [f.code for f in report.findings] == ["RB004"]  # the rest is still linted: clean


def test_invalid_utf8_points_at_the_bad_byte(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "items.json").write_bytes(b'[{"name": "Patient M\xfcller",\n "series": []}]')
    finding = only(lint([tmp_path], config={}), "RB005")
    assert (finding.line, finding.column) == (1, 21)
    assert "0xfc" in finding.message


def test_empty_file(lint_files):
    finding = only(lint_files({"items.json": "  \n"}), "RB006")
    assert (finding.line, finding.column) == (1, 1)


def test_unknown_document(lint_files):
    text = '{"tasks": [{"name": "p1"}]}'
    finding = only(lint_files({"other.json": text}), "RB007")
    assert (finding.line, finding.column) == (1, 1)
    assert "`tasks`" in finding.message


def test_known_document_is_not_unknown(lint_files):
    assert lint_files({"items.json": GOOD}).findings == []


def test_unreadable_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.json").symlink_to(tmp_path / "nowhere.json")
    finding = only(lint([tmp_path], config={}), "RB008")
    assert (finding.line, finding.column) == (1, 1)


def test_large_files_stream_and_report_the_same_positions(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tasks = [
        {"name": f"patient-{i:06d}", "series": [{"items": "ct.nii.gz", "metaData": {"note": "x" * 300}}]}
        for i in range(STREAMING_THRESHOLD // 380 + 10)
    ]
    tasks.append({"name": "patient-000003", "series": [{"items": "ct.nii.gz", "priority": 2}]})
    text = json.dumps(tasks, indent=1)
    path = write(tmp_path / "big.json", text)
    doc = read_document(path, "big.json")
    assert doc.source is None and doc.parsed  # streamed: the text is not held
    report = lint([path], config={})
    duplicate = only(report, "RB201")
    assert (duplicate.line, duplicate.column) == position(text, '"patient-000003"', 2)
    unknown = only(report, "RB103")
    assert (unknown.line, unknown.column) == position(text, '"priority"')


def test_large_file_with_a_syntax_error_falls_back_to_an_exact_position(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    body = ",\n".join(
        json.dumps({"name": f"p{i}", "series": [{"items": "x" * 200}]})
        for i in range(STREAMING_THRESHOLD // 200 + 10)
    )
    text = "[\n" + body + ",\n]\n"
    write(tmp_path / "big.json", text)
    finding = only(lint([tmp_path], config={}), "RB001")
    assert (finding.line, finding.column) == position(text, ",\n]")


def test_a_run_leaves_nothing_frozen_out_of_the_garbage_collector(tmp_path: Path) -> None:
    """Parsing freezes what the collector tracks, garbage cycles included: a long-lived process
    (the service, the language server) linted tens of KB of uncollectable garbage per request
    until each run unfroze it at its end."""
    tasks = [{"name": f"t{n}", "series": [{"items": f"s3://b/t{n}.dcm"}]} for n in range(3)]
    for _ in range(3):
        lint_documents({"a.json": json.dumps(tasks, indent=2)}, root=tmp_path)
        assert gc.get_freeze_count() == 0
    write(tmp_path / "b.json", tasks)
    lint([tmp_path / "b.json"])
    assert gc.get_freeze_count() == 0


def _documents_alive() -> int:
    from rb_lint.io.document import Document

    return sum(1 for o in gc.get_objects() if isinstance(o, Document))


def test_a_linted_document_is_freed_without_the_cyclic_collector(tmp_path: Path) -> None:
    """The service's memory grew by about 6 KB per small lint: the facts kept for project rules
    (task names) refer to their document, whose memo holds them, a cycle only the rare full
    collector pass freed. A run now forgets them once the project rules have read them."""
    tasks = [{"name": f"t{n}", "series": [{"items": f"s3://b/t{n}.dcm"}]} for n in range(3)]
    text = json.dumps(tasks, indent=2)
    lint_documents({"a.json": text}, root=tmp_path)  # warm-up: imports, caches
    gc.collect()
    before = _documents_alive()
    gc.disable()
    try:
        for _ in range(20):
            lint_documents({"a.json": text}, root=tmp_path)
        assert _documents_alive() == before
    finally:
        gc.enable()


def test_small_documents_are_not_frozen_out_of_the_young_generations(tmp_path: Path) -> None:
    """`gc.freeze()` also takes young garbage cycles, which reach the oldest generation when
    thawed, unseen by the count that triggers full passes: only large parses freeze."""
    from rb_lint.io.jsonpos import collector_paused

    with collector_paused():
        small = [{"n": n} for n in range(100)]
    assert gc.get_freeze_count() == 0
    with collector_paused():
        large = [{"n": n} for n in range(200_000)]
    try:
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    del small, large
