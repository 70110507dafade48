"""RB500–RB512: consensus tasks.json — annotators, pairwise scores, scale."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import codes, only, position
from consensus_builders import A, B, C, complete, consensus, entry

from rb_lint import Report, lint
from rb_lint.core.config import ConfigError

Run = Callable[..., tuple[Report, str]]


@pytest.fixture
def run(lint_files: Callable[..., Report], tmp_path: Path) -> Run:
    def lint_tasks(tasks: list[Any], **config: Any) -> tuple[Report, str]:
        report = lint_files({"tasks.json": tasks}, config={"consensus": config} if config else {})
        assert report.errors == []
        return report, (tmp_path / "tasks.json").read_text(encoding="utf-8")

    return lint_tasks


def value_of(text: str, key: str, occurrence: int = 1) -> tuple[int, int]:
    """Line and column of the value of the n-th `"key": `."""
    line, column = position(text, f'"{key}": ', occurrence)
    return line, column + len(key) + 4


CONSENSUS = [f"RB5{n:02d}" for n in range(13)]


def consensus_codes(report: Report) -> list[str]:
    return [c for c in codes(report) if c in CONSENSUS]


def test_complete_consensus_task_is_clean(run: Run) -> None:
    report, _ = run([complete(), complete(name="Task_002")])
    assert consensus_codes(report) == []


def test_empty_consensus_tasks(run: Run) -> None:
    report, text = run([consensus([], overall=None)])
    finding = only(report, "RB500")
    assert (finding.line, finding.column) == value_of(text, "consensusTasks")
    assert "`consensusTasks` is empty" in finding.message


def test_score_count_three_annotators_one_score(run: Run) -> None:
    """Acceptance: three annotators, one entry with a single score: error naming 2 expected."""
    task = consensus(
        [
            entry(A, [(B, 84.0), (C, 80.5)]),
            entry(B, [(A, 84.0), (C, 87.5)]),
            entry(C, [(A, 80.5)]),
        ]
    )
    report, text = run([task])
    finding = only(report, "RB501")
    assert finding.severity.name == "ERROR"
    assert (finding.line, finding.column) == value_of(text, "scores", 3)
    assert "`scores` has 1 entry, 2 expected" in finding.message
    assert "no score for `b@x.org`" in finding.message


def test_score_count_not_checked_before_consensus_is_computed(run: Run) -> None:
    report, _ = run([consensus([entry(A), entry(B), entry(C)], overall=None)])
    assert consensus_codes(report) == []


def test_surplus_explained_by_a_repeat_is_reported_once(run: Run) -> None:
    task = consensus([entry(A, [(B, 84.0), (B, 84.0)]), entry(B, [(A, 84.0)])])
    report, _ = run([task])
    assert consensus_codes(report) == ["RB504"]


def test_self_score(run: Run) -> None:
    """Acceptance: a score whose secondary user is the entry's own `updatedBy`: error there."""
    task = consensus([entry(A, [(A, 100.0)]), entry(B, [(A, 84.0)])])
    report, text = run([task])
    finding = only(report, "RB502")
    assert (finding.line, finding.column) == position(text, f'"{A}"', 2)
    assert f"`{A}` is scored against itself" in finding.message
    assert f"did you mean `{B}`" in finding.message
    assert "RB501" not in codes(report)


def test_unknown_secondary_user(run: Run) -> None:
    task = consensus([entry(A, [("b@x.com", 84.0)]), entry(B, [(A, 84.0)])])
    report, text = run([task])
    finding = only(report, "RB503")
    assert (finding.line, finding.column) == position(text, '"b@x.com"')
    assert "`b@x.com` is not an annotator of this task" in finding.message
    assert f"did you mean `{B}`" in finding.message


def test_score_naming_nobody(run: Run) -> None:
    task = consensus([entry(A, [(B, 84.0)]), entry(B, [(A, 84.0)])])
    del task["consensusTasks"][1]["scores"][0]["secondaryUser"]
    report, text = run([task])
    finding = only(report, "RB503")
    score_line = value_of(text, "scores", 2)[0] + 1  # the score object opens the next line
    assert (finding.line, finding.column) == (score_line, text.splitlines()[score_line - 1].index("{") + 1)
    assert "names no `secondaryUser`" in finding.message


def test_documented_secondary_user_email_is_accepted(run: Run) -> None:
    task = consensus(
        [entry(A, [(B, 84.0)], key="secondaryUserEmail"), entry(B, [(A, 84.0)], key="secondaryUserEmail")]
    )
    report, _ = run([task])
    assert consensus_codes(report) == []


def test_duplicate_secondary_user(run: Run) -> None:
    task = consensus(
        [
            entry(A, [(B, 84.0), (B, 84.0)]),
            entry(B, [(A, 84.0), (C, 87.5)]),
            entry(C, [(A, 80.5), (B, 87.5)]),
        ]
    )
    report, text = run([task])
    finding = only(report, "RB504")
    assert (finding.line, finding.column) == position(text, f'"{B}"', 2)
    assert f"`{B}` is already scored at `scores/0`" in finding.message
    assert f"did you mean `{C}`" in finding.message


def test_duplicate_annotator(run: Run) -> None:
    task = consensus([entry(A, [(B, 84.0)]), entry(B, [(A, 84.0)]), entry(A, [(B, 84.0)])])
    report, text = run([task])
    finding = only(report, "RB511")
    assert (finding.line, finding.column) == value_of(text, "updatedBy", 3)
    assert f"annotator `{A}` already has entry 0" in finding.message
    assert consensus_codes(report) == ["RB511"]  # scores are not attributed until fixed


def test_whole_file_on_zero_to_one(run: Run) -> None:
    task = consensus([entry(A, [(B, 0.84)]), entry(B, [(A, 0.84)])], overall=0.84)
    report, text = run([task])
    finding = only(report, "RB505")
    assert (finding.line, finding.column) == value_of(text, "consensusScore")
    assert "between 0 and 1 (e.g. 0.84)" in finding.message
    assert "0–100 scale" in finding.message and "`scale = 1`" in finding.message
    assert consensus_codes(report) == ["RB505"]


def test_zero_to_one_file_with_scale_one_is_clean(run: Run) -> None:
    task = consensus([entry(A, [(B, 0.84)]), entry(B, [(A, 0.84)])], overall=0.84)
    report, _ = run([task], scale=1)
    assert consensus_codes(report) == []


def test_zero_to_hundred_file_with_scale_one(run: Run) -> None:
    report, text = run([complete()], scale=1)
    finding = only(report, "RB505")
    assert (finding.line, finding.column) == value_of(text, "consensusScore")
    assert "on a 0–100 scale (e.g. 84.0) but `scale = 1`" in finding.message


def test_task_mixing_scales(run: Run) -> None:
    """Acceptance: a consensus task mixing 0.87 and 91.0: error naming the scale."""
    task = consensus([entry(A, [(B, 91.0)]), entry(B, [(A, 91.0)])], overall=0.87)
    report, text = run([task])
    finding = only(report, "RB506")
    assert (finding.line, finding.column) == value_of(text, "consensusScore")
    assert "0.87 is a 0–1 value in a file on the 0–100 scale (e.g. 91.0)" in finding.message
    assert "multiply it by 100" in finding.message
    assert consensus_codes(report) == ["RB506"]


def test_mixed_scales_one_finding_per_task(run: Run) -> None:
    converted = consensus([entry(A, [(B, 0.9)]), entry(B, [(A, 0.9)])], overall=0.9, name="Task_002")
    report, text = run([complete(), converted])
    finding = only(report, "RB506")
    assert (finding.line, finding.column) == value_of(text, "consensusScore", 2)
    assert "(and 2 more in this task)" in finding.message
    assert "multiply them by 100" in finding.message


def test_score_out_of_range(run: Run) -> None:
    task = consensus([entry(A, [(B, 8400)]), entry(B, [(A, -3)])], overall=84.0)
    report, text = run([task])
    found = [f for f in report.findings if f.code == "RB507"]
    assert [(f.line, f.column) for f in found] == [value_of(text, "score", 1), value_of(text, "score", 2)]
    assert found[0].message.startswith("8400 is outside the 0–100 scale")
    assert "RB508" not in codes(report)  # already wrong: not compared


def test_asymmetric_pairwise_score(run: Run) -> None:
    task = consensus([entry(A, [(B, 82.0)]), entry(B, [(A, 64.5)])])
    report, text = run([task])
    finding = only(report, "RB508")
    assert finding.severity.name == "WARNING"
    assert (finding.line, finding.column) == value_of(text, "score", 2)
    assert f"`{B}` scored `{A}` 64.5 but `{A}` scored `{B}` 82.0" in finding.message
    assert "tolerance 1" in finding.message


def test_pairwise_scores_within_tolerance(run: Run) -> None:
    task = consensus([entry(A, [(B, 82.0)]), entry(B, [(A, 82.6)])])
    assert "RB508" not in codes(run([task])[0])
    wide = consensus([entry(A, [(B, 82.0)]), entry(B, [(A, 64.5)])])
    assert "RB508" not in codes(run([wide], **{"pairwise-tolerance": 20})[0])


def test_consensus_score_with_single_annotator(run: Run) -> None:
    report, text = run([consensus([entry(A, [])], overall=100.0)])
    finding = only(report, "RB509")
    assert (finding.line, finding.column) == position(text, '"consensusScore"')
    assert f"single annotator (`{A}`)" in finding.message


def test_single_annotator_without_consensus_score_is_clean(run: Run) -> None:
    report, _ = run([consensus([entry(A, [])], overall=None)])
    assert consensus_codes(report) == []


def test_missing_consensus_score(run: Run) -> None:
    report, text = run([complete(overall=None)])
    finding = only(report, "RB510")
    assert (finding.line, finding.column) == position(text, '"consensusTasks"')
    assert "3 annotators with `scores` but no `consensusScore`" in finding.message


def test_series_count_mismatch(run: Run) -> None:
    two = [{"name": "T1", "items": "t1.nii.gz"}, {"name": "T2", "items": "t2.nii.gz"}]
    task = consensus([entry(A, [(B, 84.0)], series=two), entry(B, [(A, 84.0)], series=two[:1])], series=two)
    report, text = run([task])
    finding = only(report, "RB512")
    assert (finding.line, finding.column) == value_of(text, "series", 2)  # task series come last
    assert f"annotator `{B}` has 1 series but the task has 2" in finding.message


def test_super_truth_series_renamed(run: Run) -> None:
    truth = {"updatedBy": "reviewer@x.org", "series": [{"name": "T1c", "items": "ct.nii.gz"}]}
    task = consensus([entry(A, [(B, 84.0)]), entry(B, [(A, 84.0)])], superTruth=truth)
    report, text = run([task])
    finding = only(report, "RB512")
    assert (finding.line, finding.column) == position(text, '"T1c"')
    assert f"series `T1c` of `superTruth` is `T1` at the same position in annotator `{A}`" in finding.message


def test_matching_super_truth_is_clean(run: Run) -> None:
    truth = {"updatedBy": "reviewer@x.org", "series": [{"name": "T1", "items": "ct.nii.gz"}]}
    task = consensus([entry(A, [(B, 84.0)]), entry(B, [(A, 84.0)])], superTruth=truth)
    assert consensus_codes(run([task])[0]) == []


def test_malformed_consensus_data_never_crashes(run: Run) -> None:
    tasks: list[Any] = [
        {"name": "x", "consensus": True, "consensusTasks": [7, None, {"updatedBy": 3, "scores": 5}]},
        {
            "name": "y",
            "consensus": True,
            "consensusScore": True,
            "consensusTasks": [
                {"updatedBy": A, "scores": [3, {"secondaryUser": 4, "score": "80"}, {"score": None}]},
                {"updatedBy": B, "series": "T1", "scores": [{"secondaryUser": A, "score": 1e400}]},
            ],
        },
        {"name": "z", "consensus": True, "consensusTasks": {"a": 1}, "superTruth": []},
        "not a task",
    ]
    report, _ = run(tasks)  # `run` asserts there is no internal error
    assert "RB101" in codes(report)


def test_scale_must_be_one_or_hundred(lint_files: Callable[..., Report]) -> None:
    with pytest.raises(ConfigError, match="scale"):
        lint_files({"tasks.json": [complete()]}, config={"consensus": {"scale": 10}})


def test_consensus_example_has_exactly_its_deliberate_mistakes() -> None:
    example = Path(__file__).parent.parent / "examples" / "consensus-export"
    report = lint([example], config={})
    assert report.errors == []
    found = [(f.code, f.pointer) for f in report.findings if f.code in CONSENSUS]
    assert found == [
        ("RB501", "/1/consensusTasks/2/scores"),
        ("RB506", "/2/consensusScore"),
        ("RB502", "/2/consensusTasks/1/scores/0/secondaryUser"),
    ]


def test_each_rule_selected_alone_reports_what_it_reports_among_all(
    lint_files: Callable[..., Report],
) -> None:
    """Every rule judges for itself from the shared facts: selecting one (the scale rules and RB508,
    which skips values on the wrong scale, included) changes none of its findings."""
    tasks = [
        consensus(
            [
                entry(A, [(B, 8400), (A, 90.0)]),
                entry(B, [(A, 64.5), (C, 70.0)]),
                entry(C, [(B, 70.0), (B, 71.0)]),
            ],
            overall=0.87,
            name="Task_001",
        ),
        consensus([entry(A, [(B, 82.0)]), entry(B, [(A, 64.5)])], name="Task_002"),
        consensus([entry(A, [(B, 50.0), ("z@x.org", 40.0)]), entry(B, [])], overall=None, name="Task_003"),
        consensus([entry(A)], overall=100.0, name="Task_004", series=[{"name": "T2", "items": "x"}]),
        consensus([], name="Task_005"),
        consensus([entry(A, [(B, 50.0)]), entry(B, [(A, 50.0)]), entry(A, [])], name="Task_006"),
    ]
    every = lint_files({"tasks.json": tasks})
    found = {f.code for f in every.findings if f.code in CONSENSUS}
    assert len(found) == 12, found  # all but RB505, which RB506 excludes
    for code in sorted(found):
        alone = lint_files({"tasks.json": tasks}, select=[code])
        assert alone.errors == []
        assert alone.findings == [f for f in every.findings if f.code == code], code
