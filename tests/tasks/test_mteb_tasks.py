"""MTEB tasks: STS file formats, the MTEB STS metric, the mteb wrapper, and STSBenchmark end to end."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from ir_harness.data.sts import (
    STSPair,
    cosine_pairs,
    read_headed_pairs,
    read_pair_csv,
    read_scored_tsv,
    read_sts_file,
    spearman,
)
from ir_harness.errors import DataFormatError
from ir_harness.protocols import SystemMeta
from ir_harness.run.context import RunContext
from ir_harness.run.pipeline import Pipeline
from ir_harness.tasks.mteb_tasks import (
    LOCAL_STS,
    MTEB_TEST_SIZE,
    MtebTask,
    load_local_sts,
    sts_result,
)

if TYPE_CHECKING:
    from pathlib import Path


def test_stsb_csv_with_quoted_commas(tmp_path: Path) -> None:
    p = tmp_path / "stsb-en-test.csv"
    p.write_text(
        'A girl is styling her hair.,A girl is brushing her hair.,2.5\r\n"Yes, no",Maybe,0\r\n'
    )
    pairs = read_pair_csv(p)
    assert [(x.sentence1, x.sentence2, x.score) for x in pairs] == [
        ("A girl is styling her hair.", "A girl is brushing her hair.", 2.5),
        ("Yes, no", "Maybe", 0.0),
    ]
    p.write_text("a,b,1\na,b\n")
    with pytest.raises(DataFormatError, match="2 CSV fields") as e:
        read_pair_csv(p)
    assert e.value.line == 2


def test_the_format_is_read_from_the_file_not_from_a_dataset_name(tmp_path: Path) -> None:
    headed = tmp_path / "my-pairs.txt"
    headed.write_text("pair_ID\tsentence_A\tsentence_B\trelatedness_score\n7\tA\tB\t4.5\n")
    scored = tmp_path / "other.tsv"
    scored.write_text("2.0\tA\tB\n\tC\tD\n")
    csv_file = tmp_path / "train.csv"
    csv_file.write_text("A,B,1.5\n")
    assert [p.score for p in read_sts_file(headed)[0]] == [4.5]
    assert ([p.score for p in read_sts_file(scored)[0]], read_sts_file(scored)[1]) == ([2.0], 1)
    assert [p.score for p in read_sts_file(csv_file)[0]] == [1.5]


def test_sick_reads_by_header(tmp_path: Path) -> None:
    p = tmp_path / "SICK_test.txt"
    p.write_text(
        "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgment\n"
        "6\tA boy\tA kid\t3.3\tNEUTRAL\n"
    )
    [pair] = read_headed_pairs(p)
    assert (pair.pair_id, pair.sentence1, pair.sentence2, pair.score) == (
        "sick:6",
        "A boy",
        "A kid",
        3.3,
    )
    p.write_text("id\ta\tb\n1\tx\ty\n")
    with pytest.raises(DataFormatError, match="header lacks") as e:
        read_headed_pairs(p)
    assert e.value.line == 1


def test_semeval_skips_unscored_rows_and_checks_scores(tmp_path: Path) -> None:
    p = tmp_path / "headlines.test.tsv"
    p.write_text("4.4\ta\tb\n\tunrated\tpair\n0\tc\td\n")
    pairs, skipped = read_scored_tsv(p)
    assert [x.score for x in pairs] == [4.4, 0.0] and skipped == 1
    p.write_text("4.4\ta\tb\nhigh\tc\td\n")
    with pytest.raises(DataFormatError, match="not a number") as e:
        read_scored_tsv(p)
    assert e.value.line == 2
    p.write_text("4.4\ta b\n")
    with pytest.raises(DataFormatError, match="2 tab-separated fields"):
        read_scored_tsv(p)


def test_spearman_hand_checked() -> None:
    # ranks differ by (0, 0, 1, -1): rho = 1 - 6*2 / (4*15) = 0.8
    assert spearman([1, 2, 3, 4], [10, 20, 40, 30]) == pytest.approx(0.8)
    # ties get average ranks: gold ranks (1, 2.5, 2.5, 4) vs (1, 3, 2, 4) -> 4.5 / sqrt(4.5 * 5)
    assert spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(4.5 / np.sqrt(22.5))


def test_cosine_pairs_handles_zero_vectors() -> None:
    a = np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    b = np.array([[2.0, 0.0], [1.0, 0.0], [-1.0, -1.0]])
    assert cosine_pairs(a, b).tolist() == pytest.approx([1.0, 0.0, -1.0])


def test_specs() -> None:
    task = MtebTask()
    assert "STSBenchmark" in task.subsets() and "LIMITSmallRetrieval" in task.subsets()
    assert task.spec("STS15").main_metric == "cosine_spearman"
    limit = task.spec("LIMITSmallRetrieval")
    assert (limit.name, limit.main_metric) == ("mteb/LIMITSmallRetrieval", "recall@2")


class HashEmbedder:
    """A deterministic bag-of-words embedder: each word is a fixed random vector (no ties)."""

    def meta(self) -> SystemMeta:
        return SystemMeta(name="hash")

    def encode(self, texts: list[str], role: str, ctx: RunContext) -> np.ndarray:
        def vec(w: str) -> np.ndarray:
            seed = int(hashlib.md5(w.encode()).hexdigest()[:8], 16)
            return np.random.default_rng(seed).normal(size=32)

        return np.stack([sum(vec(w) for w in t.lower().split()) for t in texts]).astype(np.float32)


def test_mteb_evaluator_agrees_with_our_spearman(tmp_path: Path) -> None:
    pytest.importorskip("mteb")
    words = "the cat dog sat ran on a mat red blue big small house tree".split()
    rng = np.random.default_rng(1)
    pairs = []
    for i in range(40):
        s1 = " ".join(rng.choice(words, 6))
        keep = rng.integers(0, 7)
        s2 = " ".join(list(s1.split()[:keep]) + list(rng.choice(words, 6 - keep)))
        pairs.append(STSPair(f"p{i}", s1, s2, float(keep) * 5 / 6, "inline"))
    pipe: Any = Pipeline(names=["hash"], stages=[HashEmbedder()], options={})
    ctx = RunContext(cache_dir=tmp_path, progress=False)
    res = sts_result("STSBenchmark", pairs, 0, pipe, ctx, "inline")
    assert res.extra["scored_by"].startswith("mteb.evaluate")
    assert res.extra["mteb_version"] and res.extra["mteb_task_revision"]
    assert res.metrics["cosine_spearman"] == pytest.approx(
        res.extra["harness_cosine_spearman"], abs=1e-6
    )
    assert res.metrics["cosine_spearman"] > 0.5
    assert res.artifact.count("\n") == len(pairs) + 1
    assert "not comparable" in res.extra["note"]  # 40 pairs, not MTEB's 1379


def test_local_sts_sizes_match_mteb(shared_data: Path) -> None:
    for name in LOCAL_STS:
        pairs, skipped = load_local_sts(shared_data, name)
        if name == "STS12":  # the shared copy lacks MSRvid (750 pairs)
            assert len(pairs) == MTEB_TEST_SIZE[name] - 750
        else:
            assert len(pairs) == MTEB_TEST_SIZE[name], name
        assert (skipped > 0) == (name in ("STS15", "STS16")), name  # unrated rows in 2015/16


@pytest.mark.slow
def test_stsbenchmark_end_to_end_matches_mteb_leaderboard(
    shared_data: Path, tmp_path: Path
) -> None:
    import ir_harness

    out = ir_harness.evaluate(
        "dense", "mteb/STSBenchmark", data_dir=shared_data, results=tmp_path, progress=False
    )
    assert out.main_metric == "cosine_spearman"
    assert abs(out.main_score * 100 - 82.03) <= 0.3  # MTEB: all-MiniLM-L6-v2 82.03
    assert out.record.extra["n_pairs"] == 1379
    assert (out.path / "sts_scores.tsv").exists()


def test_mteb_sts_subsets_offer_their_sentence_pairs(tmp_path: Path) -> None:
    from ir_harness.self_running import SentenceSimilarityTask
    from ir_harness.tasks.mteb_tasks import MtebTask

    task = MtebTask()
    assert isinstance(task, SentenceSimilarityTask)
    assert task.sentence_pairs("STSBenchmark", None) is None  # no local copy
    d = tmp_path / "stsb"
    d.mkdir()
    (d / "stsb-en-test.csv").write_text('"a cat","a dog",1.5\n"x","x",5\n', encoding="utf-8")
    pairs, skipped, src = task.sentence_pairs("STSBenchmark", tmp_path)
    assert [p.score for p in pairs] == [1.5, 5.0]
    assert (skipped, src) == (0, str(d / "stsb-en-test.csv"))
