"""BM25 through Pyserini's Lucene: real JVM, tiny corpus."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from harness.data import Corpus, Document
from harness.runtime import RunContext

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
    from systems.bm25 import BM25

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
    from systems.bm25 import BM25

    ctx = RunContext(cache_dir=tmp_path, progress=False)
    out = BM25().rerank({"q": "lazy dog"}, CORPUS, {"q": {"d1": 9.0, "d2": 1.0, "d4": 5.0}}, ctx)
    assert set(out["q"]) == {"d1", "d2", "d4"}
    assert max(out["q"], key=out["q"].get) == "d2"
    assert out["q"]["d4"] == 0.0


def test_stored_corpus_indexes_like_the_in_memory_one(tmp_path: Path) -> None:
    """Indexing streams from the on-disk store; the rankings equal the in-memory corpus's."""
    from harness.corpus_store import StoredCorpus, write_store
    from systems.bm25 import BM25
    from tasks.synthetic import passages

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
