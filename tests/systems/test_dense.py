"""Dense retrieval with the real all-MiniLM-L6-v2 weights (packaged copy when offline)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from harness.data import Corpus, Document
from harness.runtime import RunContext

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
    from harness.errors import ConfigError
    from harness.models import resolve_model

    try:
        resolve_model("sentence-transformers/all-MiniLM-L6-v2")
        return True
    except ConfigError:
        return False


@pytest.mark.skipif(
    not _model_available(), reason="all-MiniLM-L6-v2 not installed and the Hub is unreachable"
)
def test_semantic_search_and_cache(tmp_path: Path) -> None:
    from systems.dense import DenseRetriever

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
