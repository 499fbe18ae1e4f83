"""Dense retrieval with the real all-MiniLM-L6-v2 weights (packaged copy when offline)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from ir_harness.data.model import Corpus, Document
from ir_harness.models import model_available
from ir_harness.run.context import RunContext

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.slow
pytest.importorskip("sentence_transformers")

MINILM = "sentence-transformers/all-MiniLM-L6-v2"

CORPUS = Corpus(
    [
        Document("cat", "Cats are small domesticated felines that purr."),
        Document("car", "A car is a wheeled motor vehicle."),
        Document("sea", "The ocean covers most of the planet."),
    ]
)


@pytest.mark.skipif(
    not model_available(MINILM), reason="all-MiniLM-L6-v2 not installed and the Hub is unreachable"
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
    not model_available(MINILM), reason="all-MiniLM-L6-v2 not installed and the Hub is unreachable"
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


@pytest.mark.skipif(
    not model_available(MINILM), reason="all-MiniLM-L6-v2 not installed and the Hub is unreachable"
)
def test_sorted_encoding_matches_sentence_transformers_in_input_order(tmp_path: Path) -> None:
    """Length-sorted batches with prefetched tokenisation give ST's own vectors, row for row."""
    from ir_harness.systems.dense import DenseRetriever

    texts = ["a", "a much longer text about cats, dogs and the sea " * 3, "", "mid length text"] * 3
    ctx = RunContext(cache_dir=tmp_path, progress=False, batch_size=2)
    d = DenseRetriever()
    ours = d.encode_uncached(texts, "document", ctx)
    want = d._model.encode(texts, batch_size=2, normalize_embeddings=True, convert_to_numpy=True)
    assert ours.dtype == np.float32 and ours.shape == want.shape
    assert np.abs(ours - want).max() < 1e-5
    assert d.encode_uncached([], "document", ctx).shape == (0, want.shape[1])


@pytest.mark.skipif(
    not model_available(MINILM), reason="all-MiniLM-L6-v2 not installed and the Hub is unreachable"
)
def test_bf16_is_its_own_cache_key_result_name_and_parameter(tmp_path: Path) -> None:
    from ir_harness.run.pipeline import build_pipeline
    from ir_harness.systems.dense import DenseRetriever

    ctx = RunContext(cache_dir=tmp_path, progress=False)
    fp32, bf16 = DenseRetriever(), DenseRetriever(precision="bf16")
    assert fp32.embedding_fingerprint(ctx) != bf16.embedding_fingerprint(ctx)
    bf16.index(CORPUS, ctx)
    assert ctx.stats["encoded_documents"] == 3
    fp32.index(CORPUS, ctx)  # bf16 vectors in the cache are never served as fp32 ones
    assert ctx.stats["encoded_documents"] == 6
    close = (fp32._doc_vecs * bf16._doc_vecs).sum(1)
    assert close.min() > 0.99 and not np.array_equal(fp32._doc_vecs, bf16._doc_vecs)
    assert bf16.meta().parameters["precision"] == "bf16"
    assert fp32.meta().parameters["precision"] == "fp32"
    pipe = build_pipeline("dense", {"dense.precision": "bf16"})
    assert pipe.label != build_pipeline("dense").label and "precision=bf16" in pipe.label


def test_low_precision_on_a_cpu_without_its_units_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """bf16 autocast without bf16 units is emulated (about 6x slower than fp32 on AVX2)."""
    import ir_harness.systems.dense as dense

    monkeypatch.setattr(dense, "cpu_has_units", lambda precision, cpuinfo=None: False)
    ctx = RunContext(cache_dir=tmp_path, progress=False)
    with caplog.at_level("WARNING", logger="ir_harness"):
        dense.DenseRetriever(precision="bf16")._load(ctx)
    assert "precision bf16 on a CPU without bf16 units is emulated" in caplog.text
    caplog.clear()
    monkeypatch.setattr(dense, "cpu_has_units", lambda precision, cpuinfo=None: True)
    with caplog.at_level("WARNING", logger="ir_harness"):
        dense.DenseRetriever(precision="bf16")._load(ctx)
    assert "emulated" not in caplog.text


def test_unknown_precision_is_a_config_error() -> None:
    from ir_harness.errors import ConfigError
    from ir_harness.run.pipeline import build_pipeline

    with pytest.raises(ConfigError, match="precision 'int8'"):
        build_pipeline("dense", {"dense.precision": "int8"})


def test_length_order_sorts_by_tokens_then_characters() -> None:
    from ir_harness.systems.dense import length_order

    class Tok:
        def __call__(self, texts: list[str], **kw: object) -> dict:
            assert kw["truncation"] and kw["max_length"] == 3
            return {"input_ids": [t.split()[:3] for t in texts]}  # one token per word

    class Model:
        tokenizer = Tok()
        max_seq_length = 3

    texts = ["aaaaaaaaaaaaaaaa", "b b", "c c c c c", "dd dd", "e"]
    # tokens 1, 2, 3 (5 truncated to 3), 2, 1; characters break ties, longer first
    assert length_order(Model(), texts) == [2, 3, 1, 0, 4]

    class Broken(Model):
        def tokenizer(self, *a: object, **k: object) -> dict:  # type: ignore[override]
            raise RuntimeError("no fast tokenizer")

    assert length_order(Broken(), texts) == [0, 2, 3, 1, 4]  # characters only
    assert length_order(object(), texts) == [0, 2, 3, 1, 4]
