"""BM25 through Pyserini's Lucene: real JVM, tiny corpus."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ir_harness.data.model import Corpus, Document
from ir_harness.run.context import RunContext

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.slow
pytest.importorskip("pyserini")

CORPUS = Corpus(
    [
        Document("d1", "the quick brown fox jumps"),
        Document("d2", "a lazy dog sleeps", "Dogs"),
        Document("d3", "quick quick dog"),
        Document("d4", "nothing relevant here"),
    ]
)


def test_search_ranks_lexical_matches_and_caches_the_index(tmp_path: Path) -> None:
    from ir_harness.systems.bm25 import BM25

    ctx = RunContext(cache_dir=tmp_path, progress=False)
    bm = BM25()
    bm.index(CORPUS, ctx)
    assert ctx.stats["indexed_documents"] == 4
    run = bm.search({"q": "quick dog"}, 10, ctx)
    assert next(iter(sorted(run["q"].items(), key=lambda kv: -kv[1])))[0] == "d3"
    assert "d4" not in run["q"]
    ctx2 = RunContext(cache_dir=tmp_path, progress=False)
    BM25().index(CORPUS, ctx2)
    assert ctx2.stats["indexed_documents"] == 0  # reused by corpus content hash
    meta = bm.meta()
    assert meta.parameters["k1"] == 0.9 and meta.parameters["b"] == 0.4 and meta.kind == "lexical"


def test_rerank_scores_exactly_the_candidates(tmp_path: Path) -> None:
    from ir_harness.systems.bm25 import BM25

    ctx = RunContext(cache_dir=tmp_path, progress=False)
    out = BM25().rerank({"q": "lazy dog"}, CORPUS, {"q": {"d1": 9.0, "d2": 1.0, "d4": 5.0}}, ctx)
    assert set(out["q"]) == {"d1", "d2", "d4"}
    assert max(out["q"], key=out["q"].get) == "d2"
    assert out["q"]["d4"] == 0.0


# tiny corpus for hand-computed scores: lengths 3, 2, 4, 1 (avgdl 2.5); no stop words, and the
# Porter stemmer leaves these words alone
HAND = Corpus(
    [
        Document("d1", "fox fox dog"),
        Document("d2", "cat dog"),
        Document("d3", "cat cat cat bird"),
        Document("d4", "bird"),
    ]
)


def _hand_scores(query_side: bool) -> dict[str, float]:
    """Query "fox fox cat" scored by hand: Lucene's BM25 per document term, times the query
    term's boost (plain: its count; qs: its BM25 weight in the query, |q| = 3)."""
    import math

    k1, b, n, avgdl = 0.9, 0.4, 4, 2.5
    df = {"fox": 1, "cat": 2}
    idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
    qtf = {"fox": 2, "cat": 1}

    def sat(tf: int, length: int) -> float:
        return tf / (tf + k1 * (1 - b + b * length / avgdl))

    boost = {t: idf[t] * sat(qtf[t], 3) if query_side else qtf[t] for t in qtf}
    docs = {"d1": ({"fox": 2}, 3), "d2": ({"cat": 1}, 2), "d3": ({"cat": 3}, 4)}
    return {
        d: sum(boost[t] * idf[t] * sat(tf, length) for t, tf in tfs.items())
        for d, (tfs, length) in docs.items()
    }


@pytest.mark.parametrize("variant", ["plain", "qs"])
def test_variant_scores_match_hand_computation(tmp_path: Path, variant: str) -> None:
    from ir_harness.systems.bm25 import BM25

    ctx = RunContext(cache_dir=tmp_path, progress=False)
    bm = BM25(variant=variant)
    bm.index(HAND, ctx)
    got = bm.search({"q": "fox fox cat"}, 10, ctx)["q"]
    want = _hand_scores(query_side=variant == "qs")
    assert set(got) == set(want)  # d4 shares no term
    for d, v in want.items():  # Anserini hands back scores rounded to 4 decimals (float32)
        assert got[d] == pytest.approx(v, abs=5.1e-5), d
    assert bm.meta().parameters["variant"] == variant


def test_query_side_weighting_saturates_repeated_query_terms(tmp_path: Path) -> None:
    """ "cat cat cat fox": plain BM25 boosts cat x3 (d3 first); query-side BM25 saturates the
    repeated term and weights the rarer fox by its idf (d1 first)."""
    from ir_harness.systems.bm25 import BM25

    top = {}
    for variant in ("plain", "qs"):
        ctx = RunContext(cache_dir=tmp_path, progress=False)
        bm = BM25(variant=variant)
        bm.index(HAND, ctx)
        run = bm.search({"q": "cat cat cat fox"}, 10, ctx)["q"]
        top[variant] = max(run, key=run.get)
    assert top == {"plain": "d3", "qs": "d1"}


def test_unknown_variant_is_a_config_error() -> None:
    from ir_harness.errors import ConfigError
    from ir_harness.systems.bm25 import BM25

    with pytest.raises(ConfigError, match="variant='bm25qs'"):
        BM25(variant="bm25qs")


def test_bright_tasks_default_to_query_side_bm25_and_the_user_can_override() -> None:
    from ir_harness.run.family import with_task_defaults
    from ir_harness.run.job import RunJob

    def opts(system: str, task: str, **o: str) -> dict:
        return with_task_defaults(RunJob.of(system=system, task=task, options=o)).options

    assert opts("bm25", "bright/biology") == {"variant": "qs"}
    assert opts("bm25", "bright") == {"variant": "qs"}  # the family, all 12 subsets
    assert opts("bm25>rankgpt", "bright/pony") == {"bm25.variant": "qs"}
    assert opts("bm25", "bright/biology", variant="plain") == {"variant": "plain"}
    assert opts("bm25", "trec-dl/2019") == {}
    assert opts("dense", "bright/biology") == {}


def test_stored_corpus_indexes_like_the_in_memory_one(tmp_path: Path) -> None:
    """Indexing streams from the on-disk store; the rankings equal the in-memory corpus's."""
    from ir_harness.corpus.store import StoredCorpus, write_store
    from ir_harness.systems.bm25 import BM25
    from ir_harness.tasks.synthetic import passages

    docs = list(passages(3000))
    stored = StoredCorpus(write_store(tmp_path / "store", iter(docs)))
    queries = {f"q{i}": " ".join(docs[i * 7].text.split()[:4]) for i in range(20)}
    runs = []
    for corpus, cache in ((stored, "a"), (Corpus(docs), "b")):
        ctx = RunContext(cache_dir=tmp_path / cache, progress=False)
        bm = BM25(threads=2)
        bm.index(corpus, ctx)
        assert ctx.stats["indexed_documents"] == 3000
        runs.append(bm.search(queries, 50, ctx))
    assert runs[0] == runs[1]
