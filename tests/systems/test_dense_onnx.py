"""The ONNX Runtime backend of the dense encoder against the torch one, on real text."""

from __future__ import annotations

import gzip
import json
from typing import TYPE_CHECKING

import numpy as np
import pytest

from ir_harness.data.model import Corpus, Document
from ir_harness.errors import ConfigError
from ir_harness.models import model_available
from ir_harness.run.context import RunContext

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.slow
pytest.importorskip("sentence_transformers")
pytest.importorskip("onnxruntime")

MINILM = "sentence-transformers/all-MiniLM-L6-v2"


needs_model = pytest.mark.skipif(
    not model_available(MINILM), reason="all-MiniLM-L6-v2 not installed and the Hub is unreachable"
)


def _passages(shared_data: Path, n: int) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    with gzip.open(shared_data / "trec-dl" / "dl19_judged_passages.jsonl.gz", "rt") as f:
        for line in f:
            rec = json.loads(line)
            seen.setdefault(str(rec["docid"]), rec["doc"])
            if len(seen) >= n:
                break
    return list(seen.items())


@needs_model
def test_onnx_vectors_and_rankings_match_torch(shared_data: Path, tmp_path: Path) -> None:
    from ir_harness.systems.dense import DenseRetriever

    docs = _passages(shared_data, 96)
    texts = [t for _, t in docs] + ["", "a"]  # empty and one-token texts pad the most
    ctx = RunContext(cache_dir=tmp_path, progress=False, batch_size=16)
    torch_d, onnx_d = DenseRetriever(), DenseRetriever(backend="onnx")
    want = torch_d.encode_uncached(texts, "document", ctx)
    got = onnx_d.encode_uncached(texts, "document", ctx)
    assert got.dtype == np.float32 and got.shape == want.shape
    assert np.abs(got - want).max() < 1e-4
    corpus = Corpus(Document(i, t) for i, t in docs)
    queries = {str(k): " ".join(t.split()[:8]) for k, (_, t) in enumerate(docs[:8])}
    for d in (torch_d, onnx_d):
        d.index(corpus, ctx)
    a, b = torch_d.search(queries, 10, ctx), onnx_d.search(queries, 10, ctx)

    def ranked(run: dict[str, dict[str, float]]) -> list[list[str]]:
        return [sorted(run[q], key=lambda d: -run[q][d]) for q in queries]

    assert ranked(a) == ranked(b)
    assert list((tmp_path / "models" / "onnx").glob("*.onnx"))  # exported into the cache


@needs_model
def test_backend_is_its_own_cache_key_result_name_and_parameter(tmp_path: Path) -> None:
    from ir_harness.run.pipeline import build_pipeline
    from ir_harness.systems.dense import DenseRetriever

    ctx = RunContext(cache_dir=tmp_path, progress=False)
    keys = {b: DenseRetriever(backend=b).embedding_fingerprint(ctx) for b in ("torch", "onnx")}
    keys["onnx-int8"] = DenseRetriever(backend="onnx-int8").embedding_fingerprint(ctx)
    assert len(set(keys.values())) == 3
    labels = {b: build_pipeline("dense", {"dense.backend": b}).label for b in ("onnx", "onnx-int8")}
    assert "backend=onnx" in labels["onnx"] and "backend=onnx-int8" in labels["onnx-int8"]
    assert build_pipeline("dense").label not in labels.values()
    meta = DenseRetriever(backend="onnx").meta()
    assert meta.parameters["backend"] == "onnx" and meta.backend == "onnxruntime"
    # the torch key is the one it always was (caches written before the backend option stay valid)
    from ir_harness.systems.dense import model_fingerprint

    t = DenseRetriever()
    t._load(ctx)
    assert keys["torch"] == model_fingerprint(t.model_id, t._resolved, t._options())
    assert "backend" not in t._options()


def test_unsupported_modules_are_refused_with_a_clear_error() -> None:
    from ir_harness.systems.dense_onnx import sentence_modules

    class Transformer:
        pass

    class Pooling:
        pooling_mode = "mean"

    class Dense:
        pass

    with pytest.raises(ConfigError, match=r"modules \['Transformer', 'Pooling', 'Dense'\]"):
        sentence_modules([Transformer(), Pooling(), Dense()], "my/model")
    Pooling.pooling_mode = "max"
    with pytest.raises(ConfigError, match="pools with mode 'max'"):
        sentence_modules([Transformer(), Pooling()], "my/model")
    Pooling.pooling_mode = "cls"
    assert sentence_modules([Transformer(), Pooling()], "m")[1:] == ("cls", False)


def test_bad_backend_options_are_config_errors() -> None:
    from ir_harness.systems.dense import DenseRetriever

    with pytest.raises(ConfigError, match="backend 'tensorrt'"):
        DenseRetriever(backend="tensorrt")
    with pytest.raises(ConfigError, match="fp32 only"):
        DenseRetriever(backend="onnx", precision="bf16")
    with pytest.raises(ConfigError, match="in-memory model"):
        DenseRetriever(object(), backend="onnx")
