"""`rb-lint check --fix / --diff`: each fix byte-exact, only its span changed, idempotent, atomic, and
never applied to a file that changed meanwhile nor to a mask."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import rb_lint
from test_nifti_support import save

from rb_lint import lint, lint_documents
from rb_lint.cli.fixing import fix_in_memory
from rb_lint.core.findings import Finding, Severity
from rb_lint.core.fixes import Edit, Fix, OverlappingEdits, apply_edits, compatible
from rb_lint.io.edits import removal_span, scan_object
from rb_lint.io.fixing import NotFixable, apply_pass, snapshot, write_fixed

BOM = b"\xef\xbb\xbf"
TAXONOMY = {
    "name": "Brain",
    "objectTypes": [
        {"category": "Glioma", "classId": 1, "labelType": "SEGMENTATION"},
        {"category": "Edema", "classId": 2, "labelType": "SEGMENTATION"},
    ],
}


def fix(
    folder: Path, before: bytes, *args: str, name: str = "items.json"
) -> tuple[subprocess.CompletedProcess[str], bytes]:
    """Write `before`, run `rb-lint check --fix ARGS` on it for real, return the run and the bytes."""
    (folder / "rb-lint.toml").write_text("", encoding="utf-8")
    path = folder / name
    path.write_bytes(before)
    run = rb_lint("check", "--fix", *args, name, cwd=folder)
    return run, path.read_bytes()


# Each fix: the rules selected, the file before, and after (byte-exact).
CASES: dict[str, tuple[list[str], bytes, bytes]] = {
    "byte-order mark": (
        ["--select", "RB004"],
        BOM + b'[{"name": "p1", "series": [{"items": "ct.nii.gz"}]}]\n',
        b'[{"name": "p1", "series": [{"items": "ct.nii.gz"}]}]\n',
    ),
    "trailing commas, not the one in a string": (
        ["--select", "RB001"],
        b'[\n  {"name": "p1,]", "series": [{"items": "ct.nii.gz"} ,  ]},\n]\n',
        b'[\n  {"name": "p1,]", "series": [{"items": "ct.nii.gz"}   ]}\n]\n',
    ),
    "unknown key to its did-you-mean": (
        ["--select", "RB103"],
        b'[\n  {\n    "name": "p1",\n    "series": [\n      {\n        "items": "ct.nii.gz",\n'
        b'        "segmentmap": {}\n      }\n    ]\n  }\n]\n',
        b'[\n  {\n    "name": "p1",\n    "series": [\n      {\n        "items": "ct.nii.gz",\n'
        b'        "segmentMap": {}\n      }\n    ]\n  }\n]\n',
    ),
    "mask flag out of segmentMap, onto the series": (
        ["--select", "RB108"],
        b'[\n  {\n    "name": "p1",\n    "series": [\n      {\n        "items": "ct.nii.gz",\n'
        b'        "segmentMap": {\n          "1": "Liver",\n          "binaryMask": true\n        },\n'
        b'        "name": "ct"\n      }\n    ]\n  }\n]\n',
        b'[\n  {\n    "name": "p1",\n    "series": [\n      {\n        "items": "ct.nii.gz",\n'
        b'        "segmentMap": {\n          "1": "Liver"\n        },\n        "binaryMask": true,\n'
        b'        "name": "ct"\n      }\n    ]\n  }\n]\n',
    ),
    "mask flag, the only entry, CRLF kept": (
        ["--select", "RB108"],
        b'[\r\n  {\r\n    "name": "p1",\r\n    "series": [\r\n      {\r\n        "items": "ct.nii.gz",\r\n'
        b'        "segmentMap": {"pngMask": true}\r\n      }\r\n    ]\r\n  }\r\n]\r\n',
        b'[\r\n  {\r\n    "name": "p1",\r\n    "series": [\r\n      {\r\n        "items": "ct.nii.gz",\r\n'
        b'        "segmentMap": {},\r\n        "pngMask": true\r\n      }\r\n    ]\r\n  }\r\n]\r\n',
    ),
    "task-level segmentMap onto the only series, tabs kept (unsafe)": (
        ["--select", "RB107", "--unsafe-fixes"],
        b'[\n\t{\n\t\t"name": "p1",\n\t\t"segmentMap": {\n\t\t\t"1": "Liver"\n\t\t},\n\t\t"series": [\n'
        b'\t\t\t{\n\t\t\t\t"items": "ct.nii.gz"\n\t\t\t}\n\t\t]\n\t}\n]\n',
        b'[\n\t{\n\t\t"name": "p1",\n\t\t"series": [\n\t\t\t{\n\t\t\t\t"items": "ct.nii.gz",\n'
        b'\t\t\t\t"segmentMap": {\n\t\t\t\t\t"1": "Liver"\n\t\t\t\t}\n\t\t\t}\n\t\t]\n\t}\n]\n',
    ),
    "category to its did-you-mean (unsafe)": (
        ["--select", "RB402", "--unsafe-fixes", "--taxonomy", "taxonomy.json"],
        b'[{"name": "p1", "series": [{"items": "ct.nii.gz", "segmentations": "seg.nii.gz",\n'
        b'  "segmentMap": {"1": "Gliomma", "2": {"category": "Edemma"}}}]}]\n',
        b'[{"name": "p1", "series": [{"items": "ct.nii.gz", "segmentations": "seg.nii.gz",\n'
        b'  "segmentMap": {"1": "Glioma", "2": {"category": "Edema"}}}]}]\n',
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_fix_changes_exactly_its_span_and_a_second_fix_changes_nothing(
    tmp_path: Path, case: str
) -> None:
    args, before, after = CASES[case]
    (tmp_path / "taxonomy.json").write_text(json.dumps(TAXONOMY), encoding="utf-8")
    run, fixed = fix(tmp_path, before, *args)
    assert fixed == after, run.stderr
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 remaining" in run.stderr and "0 fixed" not in run.stderr
    again, unchanged = fix(tmp_path, fixed, *args)
    assert unchanged == after
    assert again.returncode == 0 and "rb-lint: 0 fixed, 0 remaining" in again.stderr


def test_unsafe_fixes_wait_for_the_flag(tmp_path: Path) -> None:
    args, before, _after = CASES["category to its did-you-mean (unsafe)"]
    (tmp_path / "taxonomy.json").write_text(json.dumps(TAXONOMY), encoding="utf-8")
    run, fixed = fix(tmp_path, before, *[a for a in args if a != "--unsafe-fixes"])
    assert fixed == before
    assert run.returncode == 1
    assert "0 fixed, 2 remaining (2 more with --fix --unsafe-fixes)" in run.stderr


def test_segmentmap_ids_no_mask_holds_are_dropped_and_the_mask_is_never_touched(tmp_path: Path) -> None:
    mask = save(tmp_path / "seg.nii.gz", np.pad(np.ones((2, 2, 2), np.uint8), 2))
    mask_bytes, mask_mtime = mask.read_bytes(), mask.stat().st_mtime_ns
    before = (
        b'[{"name": "p1", "series": [{"items": "ct.nii.gz", "segmentations": "seg.nii.gz",\n'
        b'  "segmentMap": {"1": "Liver", "2": "Spleen", "3": "Kidney"}}]}]\n'
    )
    run, fixed = fix(tmp_path, before, "--select", "RB304", "--unsafe-fixes", "--show-fixes")
    assert fixed == (
        b'[{"name": "p1", "series": [{"items": "ct.nii.gz", "segmentations": "seg.nii.gz",\n'
        b'  "segmentMap": {"1": "Liver"}}]}]\n'
    ), run.stderr
    assert run.returncode == 0 and "2 fixed, 0 remaining" in run.stderr
    assert "RB304 Remove `2` [unsafe]" in run.stderr and "RB304 Remove `3` [unsafe]" in run.stderr
    assert mask.read_bytes() == mask_bytes and mask.stat().st_mtime_ns == mask_mtime
    with pytest.raises(NotFixable, match="never a mask"):
        snapshot(mask)


def test_a_fix_that_appears_only_after_another_is_applied_in_the_same_run(tmp_path: Path) -> None:
    # The trailing comma stops the parse, so the misspelled key is found only once it is gone.
    before = BOM + b'[{"name": "p1", "series": [{"items": "ct.nii.gz", "segmentmap": {}},]}]'
    run, fixed = fix(tmp_path, before, "--select", "RB001,RB004,RB103")
    assert fixed == b'[{"name": "p1", "series": [{"items": "ct.nii.gz", "segmentMap": {}}]}]'
    assert "3 fixed, 0 remaining" in run.stderr and run.returncode == 0


def test_the_rest_of_the_file_is_byte_identical(tmp_path: Path) -> None:
    odd = (
        '[ {"name":"p1" ,\t"metaData": {"note": "caf\\u00e9 \u00e9\u2028 \\"segmentmap\\" ,]"},\n\n'
        '     "series":[{ "items" :"ct.nii.gz",   "segmentmap"  :  { }  }]}\r\n]  \n'
    ).encode("utf-8")
    run, fixed = fix(tmp_path, odd, "--select", "RB103")
    assert fixed == odd.replace(b'"segmentmap"  :', b'"segmentMap"  :'), run.stderr


def test_an_existing_key_is_never_duplicated(tmp_path: Path) -> None:
    before = b'[{"name": "p1", "series": [{"items": "a.nii", "segmentMap": {}, "segmentmap": {}}]}]'
    run, fixed = fix(tmp_path, before, "--select", "RB103")
    assert fixed == before and run.returncode == 0  # a warning remains
    assert "0 fixed, 1 remaining" in run.stderr


def test_diff_prints_the_change_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "rb-lint.toml").write_text("", encoding="utf-8")
    path = tmp_path / "items.json"
    path.write_bytes(b'[\n  {"name": "p1",\n   "series": [{"items": "ct.nii.gz", "segmentmap": {}}]}\n]\n')
    stamp = path.stat().st_mtime_ns
    run = rb_lint("check", "--diff", "--select", "RB103", "items.json", cwd=tmp_path)
    assert run.returncode == 1
    assert run.stdout == (
        "--- a/items.json\n"
        "+++ b/items.json\n"
        "@@ -1,4 +1,4 @@\n"
        " [\n"
        '   {"name": "p1",\n'
        '-   "series": [{"items": "ct.nii.gz", "segmentmap": {}}]}\n'
        '+   "series": [{"items": "ct.nii.gz", "segmentMap": {}}]}\n'
        " ]\n"
    )
    assert "would fix 1 finding in 1 file" in run.stderr
    assert path.read_bytes().count(b"segmentmap") == 1 and path.stat().st_mtime_ns == stamp
    assert sorted(p.name for p in tmp_path.iterdir()) == ["items.json", "rb-lint.toml"]
    clean = rb_lint("check", "--diff", "--select", "RB201", "items.json", cwd=tmp_path)
    assert (clean.returncode, clean.stdout) == (0, "")


def test_exit_code_reflects_what_remains(tmp_path: Path) -> None:
    before = (
        b'[{"name": "p1", "series": [{"items": "ct.nii.gz", "segmentmap": {}}]},\n'
        b' {"name": "p1", "series": [{"items": "b.nii"}]}]'
    )
    run, fixed = fix(tmp_path, before, "--select", "RB103,RB201", "--format", "json")
    assert b"segmentMap" in fixed
    assert run.returncode == 1
    findings = json.loads(run.stdout)["findings"] if run.stdout.startswith("{") else json.loads(run.stdout)
    assert [f["code"] for f in findings] == ["RB201"]
    assert all("fix" not in f for f in findings)  # reports do not change
    assert "1 fixed, 1 remaining" in run.stderr


def test_show_fixes_without_fix_lists_what_is_available(tmp_path: Path) -> None:
    (tmp_path / "rb-lint.toml").write_text("", encoding="utf-8")
    (tmp_path / "items.json").write_bytes(
        BOM + b'[{"name": "p1", "series": [{"items": "a.nii", "segmentmap": {}}]}]'
    )
    run = rb_lint("check", "--show-fixes", "--select", "RB004,RB103", "items.json", cwd=tmp_path)
    assert run.returncode == 1
    assert "rb-lint: fixable: items.json:1:1: RB004 Remove the byte-order mark [safe]" in run.stderr
    assert "RB103 Rename `segmentmap` to `segmentMap` [safe]" in run.stderr
    assert "rb-lint: 2 fixable with --fix" in run.stderr


def test_fix_refuses_standard_input(tmp_path: Path) -> None:
    run = rb_lint("check", "--fix", "-", cwd=tmp_path, stdin="[]")
    assert run.returncode == 2 and "do not read standard input" in run.stderr


def test_a_file_changed_since_it_was_linted_is_left_alone(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "items.json"
    path.write_bytes(b'[{"name": "p1", "series": [{"items": "a.nii", "segmentmap": {}}]}]')
    report = lint([path], config={}, select=["RB103"])
    assert report.findings[0].fix is not None
    path.write_bytes(b'[{"name": "p2", "series": [{"items": "b.nii", "segmentmap": {}}]}]')  # an editor saved

    def relint(contents: dict[str, bytes]) -> Any:
        raise AssertionError("nothing is fixed, so nothing is linted again")

    fixing = fix_in_memory(report, relint, unsafe=False)
    assert fixing.files == {}
    assert fixing.problems == ["items.json: it changed on disk since it was read; left alone"]


def test_a_file_changed_while_being_fixed_is_not_clobbered(tmp_path: Path) -> None:
    path = tmp_path / "items.json"
    path.write_bytes(b"[]")
    path.chmod(0o640)
    shot = snapshot(path)
    path.write_bytes(b'[{"name": "theirs"}]')
    with pytest.raises(NotFixable, match="changed on disk"):
        write_fixed(shot, "[ ]")
    assert path.read_bytes() == b'[{"name": "theirs"}]'
    assert [p.name for p in tmp_path.iterdir()] == ["items.json"]  # no temporary file left
    shot = snapshot(path)
    write_fixed(shot, "[ ]")
    assert path.read_bytes() == b"[ ]" and path.stat().st_mode & 0o777 == 0o640


def test_a_symlinked_document_is_fixed_through_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_bytes(b"[]")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_fixed(snapshot(link), "[ ]")
    assert link.is_symlink() and real.read_bytes() == b"[ ]"


def test_fix_offsets_index_the_text_with_its_byte_order_mark() -> None:
    """The contract for editors: offsets into `raw.decode("utf-8")`, a BOM being U+FEFF at 0."""
    raw = BOM + b'[{"name": "p1", "series": [{"items": "a.nii", "segmentmap": {}}]}]'
    report = lint_documents({"items.json": raw}, select=["RB004", "RB103"])
    text = raw.decode("utf-8")
    fixed = {f.code: apply_edits(text, f.fix.edits) for f in report.findings if f.fix is not None}
    assert fixed == {"RB004": text[1:], "RB103": text.replace('"segmentmap"', '"segmentMap"')}
    assert {f.code: f.fix.safe for f in report.findings if f.fix is not None} == {
        "RB004": True,
        "RB103": True,
    }


def test_apply_edits_and_overlaps() -> None:
    assert apply_edits("abcdef", [Edit(4, 5, "E"), Edit(0, 1, ""), Edit(2, 2, "+")]) == "b+cdEf"
    with pytest.raises(OverlappingEdits):
        apply_edits("abcdef", [Edit(0, 3, ""), Edit(2, 4, "")])
    first = Fix("a", (Edit(0, 2, ""),), True)
    touching = Fix("b", (Edit(2, 3, ""),), True)
    overlapping = Fix("c", (Edit(1, 2, "x"),), True)
    inserting = Fix("d", (Edit(5, 5, "x"),), True)
    same_point = Fix("e", (Edit(5, 5, "y"),), True)
    taken, waiting = compatible([first, touching, overlapping, inserting, same_point])
    assert taken == [first, touching, inserting] and waiting == [overlapping, same_point]


def test_safe_fixes_go_first_and_fixes_that_clash_are_not_applied_together(tmp_path: Path) -> None:
    # Renaming `segmentmap` and moving the task's `segmentMap` onto the series would both add a
    # `segmentMap` to the series: the safe rename wins, the move is then no longer offered.
    before = (
        b'[{"name": "p1", "segmentMap": {"1": "Liver"},\n'
        b'  "series": [{"items": "ct.nii.gz", "segmentmap": {"1": "x"}}]}]\n'
    )
    run, fixed = fix(tmp_path, before, "--select", "RB103,RB107", "--unsafe-fixes")
    assert fixed == before.replace(b'"segmentmap"', b'"segmentMap"'), run.stderr
    assert "1 fixed, 1 remaining" in run.stderr


def test_fixes_that_together_would_duplicate_a_key_are_applied_one_at_a_time() -> None:
    text = '{"a": {}}'
    adds = [Fix(f"add b {n}", (Edit(7, 7, f'"b": {n}'),), True) for n in (1, 2)]
    findings = [
        Finding("RB103", "unknown-key", Severity.WARNING, "m", "x.json", 1, 1, "", fix=f) for f in adds
    ]
    done = apply_pass(text, findings)
    assert done.text == '{"a": {"b": 1}}' and done.applied == findings[:1]
    broken = Finding(
        "RB001",
        "invalid-json",
        Severity.ERROR,
        "m",
        "x.json",
        1,
        1,
        "",
        fix=Fix("x", (Edit(0, 1, ""),), True),
    )
    assert apply_pass(text, [broken]).refused == [broken]


@pytest.mark.parametrize(
    ("keys", "after"),
    [
        ({"a"}, '{\n  "b": 2,\n  "c": 3\n}'),
        ({"b"}, '{\n  "a": 1,\n  "c": 3\n}'),
        ({"c"}, '{\n  "a": 1,\n  "b": 2\n}'),
        ({"a", "b"}, '{\n  "c": 3\n}'),
        ({"a", "c"}, '{\n  "b": 2\n}'),
        ({"a", "b", "c"}, "{}"),
    ],
)
def test_removing_members_takes_their_commas_and_nothing_else(keys: set[str], after: str) -> None:
    text = '{\n  "a": 1,\n  "b": 2,\n  "c": 3\n}'
    obj = scan_object(text, 0)
    assert obj is not None
    assert apply_edits(text, [Edit(start, end, "") for start, end in removal_span(obj, keys)]) == after
