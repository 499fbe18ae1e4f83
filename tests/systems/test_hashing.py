"""The hashing embedder and the stored-corpus path: same run file as the in-memory path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pytest

from ir_harness import evaluate
from ir_harness.data.model import Corpus, TaskData
from ir_harness.registry import TASKS
from ir_harness.store.results import RUN_FILE
from ir_harness.systems.hashing import HashingEmbedder
from ir_harness.tasks.synthetic import SyntheticTask, load_synthetic
from ir_harness.testing import check_system_plugin

if TYPE_CHECKING:
    from pathlib import Path


class InMemorySynthetic(SyntheticTask):
    """synthetic/<N> with its corpus copied into the in-memory Corpus (the old path)."""

    family: ClassVar[str] = "synthetic-mem"

    def load(self, subset: str, data_dir: Any) -> TaskData:
        data = super().load(subset, data_dir)
        data.corpus = Corpus(data.corpus.documents())
        return data


def test_plugin_and_determinism() -> None:
    check_system_plugin(HashingEmbedder)
    e = HashingEmbedder()
    v = e.encode(["The cat sat", "the CAT sat", "dog"], "document")
    assert v.shape == (3, 384) and v.dtype == np.float32
    np.testing.assert_array_equal(v[0], v[1])
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0)
    np.testing.assert_array_equal(HashingEmbedder().encode(["dog"], "query")[0], v[2])
    assert e.encode([""], "query").tolist() == [[0.0] * 384]


@pytest.mark.parametrize("shard_rows", [700, 65536])
def test_stored_path_writes_the_in_memory_run_file(tmp_path: Path, shard_rows: int) -> None:
    TASKS.register("synthetic-mem", InMemorySynthetic)
    common: dict[str, Any] = {"system": "hashing", "progress": False, "cache_dir": tmp_path / "c"}
    opts = {"shard_rows": shard_rows}
    stored = evaluate(tasks="synthetic/2500", results=tmp_path / "s", options=opts, **common)
    mem = evaluate(tasks="synthetic-mem/2500", results=tmp_path / "m", options=opts, **common)
    assert stored.metadata.stats["embedding_shards_encoded"] == -(-2500 // shard_rows)
    assert "embedding_shards_encoded" not in mem.metadata.stats
    assert (stored.path / RUN_FILE).read_bytes() == (mem.path / RUN_FILE).read_bytes()
    assert stored.metrics == mem.metrics
    assert stored.metrics["recall@100"] > 0.8  # the rare words find their passage
    again = evaluate(tasks="synthetic/2500", results=tmp_path / "s2", options=opts, **common)
    assert again.metadata.stats["embedding_shards_encoded"] == 0
    assert (again.path / RUN_FILE).read_bytes() == (stored.path / RUN_FILE).read_bytes()


def test_synthetic_cached_corpus_is_reused(tmp_path: Path) -> None:
    a = load_synthetic(500, root=tmp_path)
    b = load_synthetic(500, root=tmp_path)
    assert a.corpus.folder == b.corpus.folder  # type: ignore[attr-defined]
