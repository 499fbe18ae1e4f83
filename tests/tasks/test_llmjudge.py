"""LLMJudge meta-evaluation: label-file parsing, agreement statistics, ranking agreement, and the
published numbers of the 2024 challenge reproduced from the team files."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pytest

from ir_harness.data.model import Corpus, Document
from ir_harness.errors import DataFormatError
from ir_harness.protocols import SystemMeta
from ir_harness.tasks.llmjudge import (
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


# Rahmani et al. 2025, "Judging the Judges" (arXiv 2502.13908), Table 3 (kappa, alpha) and
# Table 4 (binarised kappa), as published in llm4eval/LLMJudge-benchmark
# (static/images/result-1.png, result-2.png): 4-point kappa, ordinal alpha, 0|123, 01|23, 012|3.
# tau/rho (Table 3) need the TREC DL 2023 participant runs, which are not available offline.
PUBLISHED = {
    "NISTRetrieval-instruct0": ("0.1877", "0.3819", "0.3116", "0.3021", "0.0000"),
    "NISTRetrieval-instruct1": ("0.1874", "0.3812", "0.3106", "0.3021", "0.0000"),
    "NISTRetrieval-instruct2": ("0.1880", "0.3821", "0.3126", "0.3013", "0.0000"),
    "NISTRetrieval-reason0": ("0.1844", "0.3874", "0.2911", "0.3390", "0.0097"),
    "NISTRetrieval-reason1": ("0.1845", "0.3872", "0.2906", "0.3394", "0.0097"),
    "NISTRetrieval-reason2": ("0.1838", "0.3874", "0.2902", "0.3397", "0.0097"),
    "Olz-exp": ("0.2519", "0.4701", "0.3997", "0.3577", "0.2936"),
    "Olz-gpt4o": ("0.2625", "0.5020", "0.4228", "0.3657", "0.3066"),
    "Olz-halfbin": ("0.2064", "0.4536", "0.4008", "0.2587", "0.2449"),
    "Olz-multiprompt": ("0.2445", "0.4551", "0.3764", "0.3934", "0.2150"),
    "Olz-somebin": ("0.2109", "0.4471", "0.3854", "0.3883", "0.1137"),
    "RMITIR-GPT4o": ("0.2388", "0.4108", "0.3499", "0.3961", "0.2580"),
    "RMITIR-llama38b": ("0.2006", "0.3873", "0.3280", "0.3194", "0.1344"),
    "RMITIR-llama70B": ("0.2654", "0.4873", "0.4166", "0.3916", "0.2843"),
    "TREMA-4prompts": ("0.1829", "0.2888", "0.3022", "0.2697", "0.1664"),
    "TREMA-CoT": ("0.1961", "0.3852", "0.3181", "0.3208", "0.1836"),
    "TREMA-all": ("0.1471", "0.3855", "0.3244", "0.2978", "0.0717"),
    "TREMA-direct": ("0.1742", "0.3729", "0.3205", "0.3462", "0.1763"),
    "TREMA-naiveBdecompose": ("0.1741", "0.3579", "0.3085", "0.2916", "0.0153"),
    "TREMA-nuggets": ("0.0604", "0.1691", "0.1505", "0.0992", "-0.0077"),
    "TREMA-other": ("0.1408", "0.2712", "0.2740", "0.2015", "0.1411"),
    "TREMA-questions": ("0.1137", "0.3148", "0.2636", "0.2876", "0.0441"),
    "TREMA-rubric0": ("0.0779", "0.1036", "0.1714", "0.0308", "0.0369"),
    "TREMA-sumdecompose": ("0.2088", "0.3926", "0.3228", "0.3512", "0.2047"),
    "h2oloo-fewself": ("0.2774", "0.4958", "0.4172", "0.4280", "0.3048"),
    "h2oloo-zeroshot1": ("0.2817", "0.4812", "0.4094", "0.3901", "0.3084"),
    "h2oloo-zeroshot2": ("0.2589", "0.3898", "0.3691", "0.3278", "0.2789"),
    "prophet-setting1": ("0.1823", "0.4069", "0.3502", "0.2903", "0.1677"),
    "prophet-setting2": ("0.1757", "0.3144", "0.3102", "0.2382", "0.0284"),
    "prophet-setting4": ("0.1471", "0.1623", "0.2375", "0.1409", "0.0371"),
    "willia-umbrela1": ("0.2863", "0.4918", "0.4161", "0.3985", "0.3145"),
    "willia-umbrela2": ("0.2688", "0.4556", "0.4109", "0.3421", "0.3194"),
    "willia-umbrela3": ("0.2741", "0.4535", "0.4114", "0.3447", "0.3215"),
}
PUBLISHED_COLUMNS = (
    "cohen_kappa",
    "krippendorff_alpha",
    "kappa_0|123",
    "kappa_01|23",
    "kappa_012|3",
)


def test_published_numbers_from_the_33_team_files(shared_data: Path) -> None:
    """Every published agreement value of every team file, exact to the four digits printed."""
    rows = score_submissions(shared_data / "llmjudge" / "submissions" / "scores", shared_data)
    by = {r["run"]: r for r in rows}
    assert set(by) == set(PUBLISHED)
    mismatches = [
        (run, col, f"{by[run][col]:.4f}", want)
        for run, values in PUBLISHED.items()
        for col, want in zip(PUBLISHED_COLUMNS, values, strict=True)
        if f"{by[run][col]:.4f}" != want
    ]
    assert mismatches == []
    assert rows[0]["run"] == "willia-umbrela1"  # best kappa overall


def test_out_of_range_labels_are_counted_and_warned_not_hidden(shared_data: Path) -> None:
    """RMITIR-llama70B holds two 5s: the published 0.2654 is kappa after clipping; the result
    says so, with the count and kappa on the labels as submitted (0.26546)."""
    f = shared_data / "llmjudge" / "submissions" / "scores" / "RMITIR-llama70B.txt"
    res = LLMJudgeTask().evaluate_file("", f, shared_data, settings={"ranking": "0"})
    assert f"{res.metrics['cohen_kappa']:.4f}" == "0.2654"
    assert res.extra["clipped_labels"] == 2
    assert res.extra["out_of_range_grades"] == {5: 2}
    assert f"{res.extra['cohen_kappa_as_submitted']:.5f}" == "0.26546"
    assert any("2 label(s) outside 0-3" in w for w in res.extra["warnings"])


def test_half_missing_file_warns_with_counts_and_empty_file_is_an_error(tmp_path: Path) -> None:
    from ir_harness.tasks.llmjudge import Labels, score_labels

    human = {("q1", "p1"): 3, ("q1", "p2"): 0, ("q2", "p3"): 1, ("q2", "p4"): 2}
    labels = Labels({("q1", "p1"): 3, ("q2", "p3"): 1})
    _, extra = score_labels(labels, human, None, "", ranking=False)
    assert extra["missing_pairs"] == 2
    assert extra["warnings"] == [
        "2 of 4 pairs have no label (grade 0 for kappa, missing for alpha)"
    ]
    empty = _write(tmp_path, "")
    with pytest.raises(DataFormatError, match="labels none of the 4 evaluation pairs") as e:
        score_labels(read_labels(empty), human, None, "", ranking=False, source=str(empty))
    assert str(empty) in str(e.value)


def test_evaluate_file_reports_policy_and_run_set(shared_data: Path) -> None:
    f = shared_data / "llmjudge" / "submissions" / "scores" / "willia-umbrela1.txt"
    res = LLMJudgeTask().evaluate_file("", f, shared_data, settings={"ranking": "0"})
    assert round(res.metrics["cohen_kappa"], 4) == 0.2863
    assert res.n_items == 4423
    assert res.extra["missing_pairs"] == 0 and res.extra["alpha_level"] == "ordinal"
    assert "skipped" in res.extra["run_set"]


def test_run_set_folder_is_read_explicitly_and_fingerprinted(tmp_path: Path) -> None:
    from ir_harness.errors import ConfigError
    from ir_harness.tasks.llmjudge import read_run_set, run_fingerprints

    folder = tmp_path / "runs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.trec").write_text("q1 Q0 p1 1 2.0 a\nq1 Q0 p2 2 1.0 a\n")
    (folder / "sub" / "run.trec").write_text("q1 Q0 p2 1 5.0 b\n")
    (folder / "notes.md").write_text("not a run")
    runs = read_run_set(folder)
    assert sorted(runs) == ["runs/a.trec", "runs/sub/run.trec"]
    prints = run_fingerprints(runs)
    assert [p["name"] for p in prints] == ["runs/a.trec", "runs/sub/run.trec"]
    assert all(len(p["sha256"]) == 64 for p in prints)
    # same ranking, different run tag or file layout: same fingerprint (it hashes the ranking)
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "a.trec").write_text("q1 Q0 p2 2 1.0 other\nq1 Q0 p1 1 2.0 other\n")
    assert run_fingerprints(read_run_set(tmp_path / "copy"))[0]["sha256"] == prints[0]["sha256"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no run files"):
        read_run_set(tmp_path / "empty")


@pytest.mark.slow
def test_system_ranking_run_set_is_explicit_not_the_results_folder(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tau/rho used to change with whatever llmjudge-pool results sat under HARNESS_RESULTS_DIR."""
    from pathlib import Path

    stored = Path(__file__).resolve().parents[2] / "results"
    monkeypatch.setenv("HARNESS_RESULTS_DIR", str(stored))  # holds llmjudge-pool runs: ignored
    f = shared_data / "llmjudge" / "submissions" / "scores" / "willia-umbrela1.txt"
    res = LLMJudgeTask().evaluate_file("", f, shared_data)
    assert -1 <= res.metrics["kendall_tau"] <= 1
    assert "10 built-in lexical runs" in res.extra["run_set"]
    assert len(res.extra["per_run"]) == len(res.extra["run_set_files"]) == 10
    pool = stored / "llmjudge-pool"
    if pool.is_dir():
        given = LLMJudgeTask().evaluate_file("", f, shared_data, run_set=pool)
        n = len(list(pool.rglob("*.trec")))
        assert len(given.extra["run_set_files"]) == 10 + n
        assert f"+ {n} runs from {pool}" in given.extra["run_set"]
    # human labels as the judge: identical orderings
    human = shared_data / "llmjudge" / "llmjudge_test_qrel_idx.txt"
    same = LLMJudgeTask().evaluate_file("", human, shared_data)
    assert same.metrics["kendall_tau"] == pytest.approx(1.0)


def test_online_loader_fetches_the_challenge_files(tmp_path: Path) -> None:
    """The online path (the challenge's GitHub files) parsed from file:// URLs, no network."""
    from ir_harness.tasks.llmjudge import ONLINE_FILES, fetch_online, load_pool

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


class _CountingJudge:
    """Grades every pair 2 and remembers which pairs it was asked about."""

    asked: ClassVar[list[tuple[str, str]]] = []

    def meta(self) -> SystemMeta:
        return SystemMeta(name="counting-judge")

    def judge(self, queries: object, corpus: object, pairs: list, ctx: object) -> dict:
        type(self).asked = list(pairs)
        return dict.fromkeys(pairs, 2)

    def rerank(self, queries: object, corpus: object, candidates: dict, ctx: object) -> dict:
        return candidates  # a pipeline stage must be a retriever or reranker


def test_limit_queries_judges_only_the_first_queries_pairs(
    shared_data: Path, tmp_path: Path
) -> None:
    """--limit-queries 2 used to judge all 4,423 pairs while recording limit_queries: 2."""
    import ir_harness
    from ir_harness.registry import SYSTEMS

    SYSTEMS.register("counting-judge", _CountingJudge)
    out = ir_harness.evaluate(
        "counting-judge",
        "llmjudge",
        data_dir=shared_data,
        results=tmp_path / "results",
        cache_dir=tmp_path / "cache",
        progress=False,
        limit_queries=2,
    )
    qids = sorted({q for q, _ in _CountingJudge.asked})
    assert len(qids) == 2 and 0 < len(_CountingJudge.asked) < 4423
    assert out.metadata.config["limit_queries"] == 2
    assert out.n_queries == len(_CountingJudge.asked)
    assert out.record.extra["scope"]["queries"] == qids
    assert "skipped" in out.record.extra["run_set"]
    # the metadata identifies the human labels actually scored against, and the local files
    from ir_harness.data.identity import qrels_sha256
    from ir_harness.tasks.llmjudge import human_labels, labels_to_qrels

    human, _ = human_labels(shared_data, "")
    scored = {p: g for p, g in human.items() if p[0] in qids}
    assert out.metadata.data["qrels_sha256"] == qrels_sha256(labels_to_qrels(scored))
    assert out.metadata.data["sources"][0]["root"] == str(shared_data / "llmjudge")


def test_custom_task_without_limit_support_refuses_the_option(tmp_path: Path) -> None:
    import ir_harness
    from ir_harness.errors import ConfigError
    from ir_harness.registry import SYSTEMS, TASKS
    from ir_harness.self_running import SelfRunningTask

    class WholeSetTask(SelfRunningTask):  # a self-running kind without a limit in its run
        family = "whole-set"
        description = "scores its whole set"

        def spec(self, subset):  # type: ignore[no-untyped-def]
            return LLMJudgeTask().spec(subset).model_copy(update={"name": "whole-set"})

        def custom_run(self, subset, pipeline, data_dir, ctx):  # type: ignore[no-untyped-def]
            raise AssertionError("must not run")

    TASKS.register("whole-set", WholeSetTask)
    SYSTEMS.register("counting-judge", _CountingJudge)
    common = {"results": tmp_path / "results", "cache_dir": tmp_path / "cache", "progress": False}
    with pytest.raises(ConfigError, match="does not support --limit-queries"):
        ir_harness.evaluate("counting-judge", "whole-set", limit_queries=2, **common)
    with pytest.raises(ConfigError, match="--qrels-from does not apply"):
        ir_harness.evaluate(
            "counting-judge", "whole-set", qrels_from=tmp_path / "judge.txt", **common
        )


def test_the_judge_settings_come_from_the_command_line_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ir_harness.cli.env import task_settings
    from ir_harness.errors import ConfigError
    from ir_harness.tasks.llmjudge.scoring import JudgeSettings

    monkeypatch.setenv("HARNESS_LLMJUDGE_RANKING", "0")
    monkeypatch.setenv("HARNESS_LLMJUDGE_RUN_SET", str(tmp_path))
    monkeypatch.setenv("HARNESS_LLMJUDGE_STRICT", "1")
    text = task_settings(["llmjudge"])["llmjudge"]
    assert JudgeSettings.parse(text) == JudgeSettings(False, tmp_path, True)
    assert JudgeSettings.parse({}) == JudgeSettings(True, None, False)  # the API's defaults
    with pytest.raises(ConfigError, match="unknown setting"):
        JudgeSettings.parse({"rank": "0"})
