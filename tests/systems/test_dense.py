"""Dense retrieval with the real all-MiniLM-L6-v2 weights (packaged copy when offline)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from ir_harness.data.model import Corpus, Document
from ir_harness.run.context import RunContext

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.slow
pytest.importorskip("sentence_transformers")

CORPUS = Corpus(
    [
        Document("cat", "Cats are small domesticated felines that purr."),
        Document("car", "A car is a wheeled motor vehicle."),
        Document("sea", "The ocean covers most of the planet."),
    ]
)


def _model_available() -> bool:
    from ir_harness.errors import ConfigError
    from ir_harness.models import resolve_model

    try:
        resolve_model("sentence-transformers/all-MiniLM-L6-v2")
        return True
    except ConfigError:
        return False


@pytest.mark.skipif(
    not _model_available(), reason="all-MiniLM-L6-v2 not installed and the Hub is unreachable"
)
def test_semantic_search_and_cache(tmp_path: Path) -> None:
    from ir_harness.systems.dense import DenseRetriever

    ctx = RunContext(cache_dir=tmp_path, progress=False)
    d = DenseRetriever()
    d.index(CORPUS, ctx)
    run = d.search({"q1": "kitten", "q2": "automobile"}, 2, ctx)
    assert max(run["q1"], key=run["q1"].get) == "cat"
    assert max(run["q2"], key=run["q2"].get) == "car"
    assert len(run["q1"]) == 2
    assert ctx.stats["encoded_documents"] == 3
    # a second system instance reuses every embedding
    ctx2 = RunContext(cache_dir=tmp_path, progress=False)
    d2 = DenseRetriever()
    d2.index(CORPUS, ctx2)
    d2.search({"q1": "kitten"}, 2, ctx2)
    assert ctx2.stats["encoded_documents"] == 0 and ctx2.stats["encoded_queries"] == 0
    assert ctx2.stats["cache_hits_documents"] == 3
    # rerank scores agree with search scores (same vectors, same cosine)
    rr = d2.rerank({"q1": "kitten"}, CORPUS, {"q1": {"cat": 0.0, "sea": 0.0}}, ctx2)
    assert rr["q1"]["cat"] == pytest.approx(run["q1"]["cat"], abs=1e-5)
    vecs = d2.encode(["kitten"], "query", ctx2)
    assert np.linalg.norm(vecs[0]) == pytest.approx(1.0, abs=1e-4)
    meta = d2.meta()
    assert meta.backbone == "sentence-transformers/all-MiniLM-L6-v2" and meta.resolved_backbone


@pytest.mark.skipif(
    not _model_available(), reason="all-MiniLM-L6-v2 not installed and the Hub is unreachable"
)
def test_stored_corpus_goes_through_the_embedding_store(tmp_path: Path) -> None:
    from ir_harness.corpus.store import StoredCorpus, write_store
    from ir_harness.systems.dense import DenseRetriever

    stored = StoredCorpus(write_store(tmp_path / "store", CORPUS.documents()))
    ctx = RunContext(cache_dir=tmp_path, progress=False, batch_size=2)
    d = DenseRetriever()
    d.shard_rows = 2  # two shards
    d.index(stored, ctx)
    assert ctx.stats["embedding_shards_encoded"] == 2 and ctx.stats["encoded_documents"] == 3
    got = d.search({"q1": "kitten", "q2": "automobile"}, 3, ctx)
    mem = DenseRetriever()
    mem.index(CORPUS, RunContext(cache_dir=tmp_path / "m", progress=False, batch_size=2))
    want = mem.search({"q1": "kitten", "q2": "automobile"}, 3, ctx)
    for q in want:
        assert list(got[q]) == list(want[q])
        assert np.allclose(list(got[q].values()), list(want[q].values()), atol=1e-6)
    again = RunContext(cache_dir=tmp_path, progress=False)
    d2 = DenseRetriever()
    d2.shard_rows = 2
    d2.index(stored, again)
    assert again.stats["encoded_documents"] == 0 and again.stats["embedding_shards_reused"] == 2
