"""The Ray executor on a local 2-CPU cluster: byte-identical run files, shard-level resume."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from ir_harness.executors.ray_executor import RayExecutor
from ir_harness.run.job import RunJob
from ir_harness.run.runner import run
from ir_harness.store.results import RUN_FILE

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module", autouse=True)
def _cluster() -> Iterator[None]:
    from ir_harness.executors.ray_executor import ensure_ray

    ensure_ray(None, workers=3)  # three CPUs declared (on however many cores): 3 actors fit
    yield
    ray.shutdown()


def _opts(tmp_path: Path, name: str, **kw: Any) -> RunJob:
    base: dict[str, Any] = {
        "system": "hashing",
        "task": "synthetic/2500",
        "progress": False,
        "results": tmp_path / name,
        "cache_dir": tmp_path / f"cache-{name}",
        "options": {"shard_rows": 700},
    }
    base.update(kw)
    return RunJob.of(**base)


def test_ray_and_local_write_identical_run_files(tmp_path: Path) -> None:
    local = run(_opts(tmp_path, "local"))
    remote = run(_opts(tmp_path, "ray", executor=RayExecutor(workers=2)))
    assert remote.metadata.stats["embedding_shards_encoded"] == 4
    assert (remote.path / RUN_FILE).read_bytes() == (local.path / RUN_FILE).read_bytes()
    assert remote.metadata.config_hash == local.metadata.config_hash
    assert remote.metrics == local.metrics


def test_ray_merges_three_search_groups_and_two_encode_actors(tmp_path: Path) -> None:
    """Shards over three actors and a corpus of three kernel chunks (16,384 rows) searched as
    three groups whose winners are merged: the run file equals the local one byte for byte."""
    kw: dict[str, Any] = {"task": "synthetic/40000", "options": {"shard_rows": 8192}}
    local = run(_opts(tmp_path, "local", **kw))
    remote = run(_opts(tmp_path, "ray", executor=RayExecutor(workers=3), **kw))
    stats = remote.metadata.stats
    assert stats["embedding_shards_encoded"] == 5
    assert stats["ray_encode_actors"] == 3 and stats["ray_search_groups"] == 3
    assert (remote.path / RUN_FILE).read_bytes() == (local.path / RUN_FILE).read_bytes()
    assert remote.metadata.config_hash == local.metadata.config_hash
    assert remote.metrics == local.metrics


def test_ray_re_encodes_only_a_corrupt_shard(tmp_path: Path) -> None:
    first = run(_opts(tmp_path, "a", executor=RayExecutor(workers=2)))
    shard = next((tmp_path / "cache-a" / "embstore").rglob("shard-00002.npy"))
    raw = bytearray(shard.read_bytes())
    raw[-1] ^= 0x55
    shard.write_bytes(bytes(raw))
    second = run(
        _opts(tmp_path, "b", executor=RayExecutor(workers=2), cache_dir=tmp_path / "cache-a")
    )
    assert second.metadata.stats["embedding_shards_encoded"] == 1
    assert second.metadata.stats["encoded_documents"] == 700
    assert (second.path / RUN_FILE).read_bytes() == (first.path / RUN_FILE).read_bytes()


def test_search_groups_start_at_chunk_boundaries(tmp_path: Path) -> None:
    from ir_harness.cache.corpus_embeddings import CorpusEmbeddingCache
    from ir_harness.executors.ray_executor import CHUNK, _groups

    store = CorpusEmbeddingCache(tmp_path, "fp", "h" * 32, 5 * CHUNK + 10, shard_rows=CHUNK // 2)
    groups = _groups(store, 2)
    assert [g[0] for g in groups] == [0, 6] and groups[-1][-1] == store.n_shards - 1
    assert all(store.bounds(g[0])[0] % CHUNK == 0 for g in groups)
    odd = CorpusEmbeddingCache(tmp_path, "fp", "i" * 32, 100, shard_rows=30)
    assert _groups(odd, 2) == [[0, 1, 2, 3]]  # no inner chunk boundary: one group


def test_reranking_pipeline_runs_query_shards_on_actors(tmp_path: Path) -> None:
    kw: dict[str, Any] = {"system": "hashing>hashing", "task": "demo", "query_batch": 20}
    kw["options"] = {}
    local = run(_opts(tmp_path, "pl", **kw))
    remote = run(_opts(tmp_path, "pr", executor=RayExecutor(workers=2), **kw))
    assert local.n_queries > 40  # several query batches, spread over two actors
    assert (remote.path / RUN_FILE).read_bytes() == (local.path / RUN_FILE).read_bytes()
