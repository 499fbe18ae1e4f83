"""LLMJudge meta-evaluation: label-file parsing, agreement statistics, ranking agreement, and the
published numbers of the 2024 challenge reproduced from the team files."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from harness.data import Corpus, Document
from harness.errors import DataFormatError
from tasks.llmjudge import (
    LLMJudgeTask,
    agreement,
    builtin_run_set,
    cohen_kappa,
    krippendorff_alpha_ordinal,
    load_judge_qrels,
    ranking_agreement,
    read_labels,
    score_submissions,
)

if TYPE_CHECKING:
    from pathlib import Path

PAIRS = {("q1", "p1"), ("q1", "p2"), ("q2", "p3")}


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "labels.txt"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("q1 0 p1 2\nq1 0 p2\n", 2, "3 fields"),
        ("q1 0 p1 2\nq1 0 p2 two\n", 2, "not an integer"),
        ("q1 0 p1 2.5\n", 1, "not an integer"),
        ("q1 0 p1 2\nq9 0 p1 1\n", 2, "not in the evaluation set"),
        ("q1 0 p1 2\nq2 0 p3 1\nq1 0 p1 3\n", 3, "labelled twice"),
    ],
)
def test_malformed_label_files_name_the_line(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    with pytest.raises(DataFormatError) as e:
        read_labels(_write(tmp_path, text), PAIRS)
    assert e.value.line == line
    assert words in str(e.value)
    assert str(tmp_path) in str(e.value)


def test_out_of_range_grades_clip_like_the_organisers_or_fail_when_strict(tmp_path: Path) -> None:
    path = _write(tmp_path, "q1 0 p1 5\nq1 0 p2 -1\nq2 0 p3 3\n")
    labels = read_labels(path, PAIRS)
    assert labels.grades == {("q1", "p1"): 3, ("q1", "p2"): 0, ("q2", "p3"): 3}
    assert labels.clipped_lines == [1, 2]
    with pytest.raises(DataFormatError, match="outside 0-3") as e:
        read_labels(path, PAIRS, strict=True)
    assert e.value.line == 1


def test_cohen_kappa_hand_checked() -> None:
    # po = 3/4; marginals a (2,2), b (1,3): pe = (2*1 + 2*3)/16 = 1/2; kappa = 0.5
    assert cohen_kappa(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 2) == pytest.approx(0.5)
    assert cohen_kappa(np.array([0, 1, 2, 3]), np.array([0, 1, 2, 3])) == pytest.approx(1.0)


def test_ordinal_alpha_matches_the_krippendorff_package() -> None:
    krippendorff = pytest.importorskip("krippendorff")
    rng = np.random.default_rng(0)
    a = rng.integers(0, 4, 300)
    b = np.clip(a + rng.integers(-1, 2, 300), 0, 3)
    b[::17] = -1  # missing judge labels
    ref = krippendorff.alpha(
        reliability_data=[a.astype(float), np.where(b < 0, np.nan, b)],
        value_domain=[0, 1, 2, 3],
        level_of_measurement="ordinal",
    )
    assert krippendorff_alpha_ordinal(a, b) == pytest.approx(ref, abs=1e-12)


def test_missing_pairs_count_as_zero_for_kappa() -> None:
    human = {("q", "a"): 0, ("q", "b"): 3, ("q", "c"): 3, ("q", "d"): 0}
    full = agreement(human, {("q", "a"): 0, ("q", "b"): 3, ("q", "c"): 0, ("q", "d"): 0})
    partial = agreement(human, {("q", "a"): 0, ("q", "b"): 3})
    assert partial["cohen_kappa"] == pytest.approx(full["cohen_kappa"])
    assert partial["krippendorff_alpha"] == pytest.approx(1.0)  # only the 2 labelled pairs count


def test_ranking_agreement_perfect_and_reversed() -> None:
    human = {"q": {"a": 3, "b": 2, "c": 1, "d": 0}}
    runs = {
        "best": {"q": {"a": 4.0, "b": 3.0, "c": 2.0, "d": 1.0}},
        "mid": {"q": {"b": 4.0, "a": 3.0, "d": 2.0, "c": 1.0}},
        "worst": {"q": {"d": 4.0, "c": 3.0, "b": 2.0, "a": 1.0}},
    }
    same = ranking_agreement(runs, human, human)
    assert same["kendall_tau"] == pytest.approx(1.0)
    assert same["spearman_rho"] == pytest.approx(1.0)
    flipped = ranking_agreement(runs, human, {"q": {"a": 0, "b": 1, "c": 2, "d": 3}})
    assert flipped["kendall_tau"] == pytest.approx(-1.0)
    assert flipped["per_run"]["best"]["human"] == pytest.approx(1.0)


def test_builtin_runs_rank_the_matching_passage_first() -> None:
    corpus = Corpus(
        [
            Document("p1", "dogs age can be told by their teeth"),
            Document("p2", "cleaning smoke off painted walls with vinegar"),
            Document("p3", "bounty hunters earn a share of the bail"),
        ]
    )
    runs = builtin_run_set(corpus, {"q1": "how to clean smoke off walls"}, depth=3)
    assert len(runs) == 10
    for name, run in runs.items():
        if name != "lex-bm25-query2terms":  # "clean smoke" still matches p2
            assert max(run["q1"], key=run["q1"].get) == "p2", name


def test_load_judge_qrels_restricts_to_the_human_pool(tmp_path: Path) -> None:
    path = _write(tmp_path, "q1 0 p1 3\nq1 0 p9 2\n")
    human = {"q1": {"p1": 0, "p2": 1}}
    assert load_judge_qrels(path, human) == {"q1": {"p1": 3, "p2": 0}}
    assert load_judge_qrels(path) == {"q1": {"p1": 3, "p9": 2}}


# ---------------------------------------------------------------- the real challenge data


def test_published_numbers_from_the_33_team_files(shared_data: Path) -> None:
    rows = score_submissions(shared_data / "llmjudge" / "submissions" / "scores", shared_data)
    by = {r["run"]: r for r in rows}
    assert len(rows) == 33
    assert round(by["willia-umbrela1"]["cohen_kappa"], 4) == 0.2863
    assert round(by["h2oloo-fewself"]["cohen_kappa"], 4) == 0.2774
    assert round(by["prophet-setting2"]["cohen_kappa"], 4) == 0.1757
    assert round(by["willia-umbrela1"]["krippendorff_alpha"], 4) == 0.4918
    assert round(by["h2oloo-fewself"]["krippendorff_alpha"], 4) == 0.4958
    # best binarised kappa per threshold, and who holds it
    for metric, run, value in [
        ("kappa_0|123", "Olz-gpt4o", 0.4228),
        ("kappa_01|23", "h2oloo-fewself", 0.4280),
        ("kappa_012|3", "willia-umbrela3", 0.3215),
    ]:
        best = max(rows, key=lambda r, m=metric: r[m])
        assert (best["run"], round(best[metric], 4)) == (run, value)
    assert rows[0]["run"] == "willia-umbrela1"  # best kappa overall
    assert by["h2oloo-zeroshot2"]["clipped_labels"] > 0  # grades of 10 in that file


def test_evaluate_file_reports_policy_and_run_set(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARNESS_LLMJUDGE_RANKING", "0")
    f = shared_data / "llmjudge" / "submissions" / "scores" / "willia-umbrela1.txt"
    res = LLMJudgeTask().evaluate_file("", f, shared_data)
    assert round(res.metrics["cohen_kappa"], 4) == 0.2863
    assert res.n_items == 4423
    assert res.extra["missing_pairs"] == 0 and res.extra["alpha_level"] == "ordinal"
    assert "skipped" in res.extra["run_set"]


@pytest.mark.slow
def test_system_ranking_with_the_offline_run_set(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HARNESS_RESULTS_DIR", str(tmp_path))  # no stored runs
    f = shared_data / "llmjudge" / "submissions" / "scores" / "willia-umbrela1.txt"
    res = LLMJudgeTask().evaluate_file("", f, shared_data)
    assert -1 <= res.metrics["kendall_tau"] <= 1
    assert "10 built-in lexical runs" in res.extra["run_set"]
    assert len(res.extra["per_run"]) == 10
    # human labels as the judge: identical orderings
    human = shared_data / "llmjudge" / "llmjudge_test_qrel_idx.txt"
    same = LLMJudgeTask().evaluate_file("", human, shared_data)
    assert same.metrics["kendall_tau"] == pytest.approx(1.0)


def test_online_loader_fetches_the_challenge_files(tmp_path: Path) -> None:
    """The online path (the challenge's GitHub files) parsed from file:// URLs, no network."""
    from tasks.llmjudge import ONLINE_FILES, fetch_online, load_pool

    src = tmp_path / "upstream"
    src.mkdir()
    upstream = {
        "llm4eval_query_2024.txt": "q0\twhat is a flea\n",
        "llm4eval_document_2024.jsonl": '{"docid": "p0", "doc": "fleas are insects"}\n{"docid": "p1", "doc": "cats"}\n',
        "llmjudge_test_qrel_idx.txt": "q0 0 p0 3\nq0 0 p1 0\n",
        "llm4eval_dev_qrel_2024.txt": "q0 0 p1 1\n",
    }
    assert set(upstream) == set(ONLINE_FILES)
    for name, text in upstream.items():
        (src / name).write_text(text)
    root = fetch_online(src.as_uri(), tmp_path / "cache")
    data = load_pool(root)
    assert data.qrels == {"q0": {"p0": 3, "p1": 0}}
    assert data.corpus["p0"].full_text == "fleas are insects"
