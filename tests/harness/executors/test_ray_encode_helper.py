"""The Ray encode queue without a cluster: the driver encodes shards while the cluster starts,
actors take the rest, and the store equals the one the local loop writes."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from ir_harness.corpus.store import StoredCorpus, write_store
from ir_harness.data.model import Document
from ir_harness.run.context import RunContext
from ir_harness.systems.hashing import HashingEmbedder

if TYPE_CHECKING:
    from pathlib import Path

ray = pytest.importorskip("ray")


@dataclass(eq=False)
class _Ref:
    value: Any


class _Actor:
    """Runs an actor's methods at once, in this process (what the queue logic needs)."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.obj, name)
        return type("M", (), {"remote": staticmethod(lambda *a: _Ref(method(*a)))})


class _FakeRay:
    def __init__(self, started: Any) -> None:
        self.started = started
        self.actors = 0

    def remote(self, **_: Any) -> Any:
        def wrap(cls: Any) -> Any:
            def make(*a: Any) -> _Actor:
                self.actors += 1
                return _Actor(cls(*a))

            return type("A", (), {"remote": staticmethod(make)})

        return wrap

    def wait(
        self, refs: list[Any], num_returns: int, timeout: float | None = None
    ) -> tuple[list[Any], list[Any]]:
        return refs[:num_returns], refs[num_returns:]

    def get(self, ref: _Ref) -> Any:
        return ref.value

    def kill(self, _: Any) -> None:
        pass


def _corpus(tmp_path: Path, n: int) -> StoredCorpus:
    docs = (Document(f"d{i}", f"word{i % 97} text{i % 13} shared passage {i}") for i in range(n))
    return StoredCorpus(write_store(tmp_path / "corpus", docs))


def test_driver_encodes_while_the_cluster_starts(tmp_path: Path, monkeypatch: Any) -> None:
    if ray.is_initialized():
        pytest.skip("a Ray cluster is already running in this process")
    import ir_harness.executors.ray_executor as rx

    corpus = _corpus(tmp_path, 1000)
    emb = HashingEmbedder(shard_rows=100)
    ctx = RunContext(cache_dir=tmp_path / "ray", progress=False, executor=rx.RayExecutor())
    store = emb.open_store(corpus, ctx)

    def slow_start(*_: Any) -> _FakeRay:
        t = time.monotonic()  # a cluster that starts only once the driver wrote two shards
        while len(store.missing()) > store.n_shards - 2 and time.monotonic() - t < 60:
            time.sleep(0.01)
        return _FakeRay(True)

    monkeypatch.setattr(rx, "ensure_ray", slow_start)
    # The driver's thread is slowed down so that, once the (fake) cluster is up, the actors
    # take the remaining shards: without it the thread could drain the queue first (a race).
    plain = emb.encode_uncached

    def paced(texts: Any, role: str, c: Any) -> Any:
        if threading.current_thread().name == "encode-helper":
            time.sleep(0.3)
        return plain(texts, role, c)

    monkeypatch.setattr(emb, "encode_uncached", paced)
    emb.index(corpus, ctx)
    assert ctx.stats["encoded_documents"] == 1000
    assert ctx.stats["embedding_shards_encoded"] == 10
    assert ctx.stats["ray_encode_shards_on_driver"] >= 2
    assert ctx.stats["ray_encode_shards_on_driver"] < 10  # the actors took the rest

    local_ctx = RunContext(cache_dir=tmp_path / "local", progress=False)
    local = HashingEmbedder(shard_rows=100)
    local.index(corpus, local_ctx)
    for (_, a), (_, b) in zip(emb._store.shards(), local._store.shards()):
        assert np.array_equal(np.asarray(a), np.asarray(b))
