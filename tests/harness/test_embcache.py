"""The embedding cache: content-keyed, role-separated, resumable."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from harness.embcache import EmbeddingCache

if TYPE_CHECKING:
    from pathlib import Path


def fake_encoder(calls: list[list[str]]):  # type: ignore[no-untyped-def]
    def enc(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        return np.array([[len(t), t.count("a")] for t in texts], dtype=np.float32)

    return enc


def test_second_pass_encodes_nothing_and_roles_do_not_collide(tmp_path: Path) -> None:
    calls: list[list[str]] = []
    c = EmbeddingCache(tmp_path, "fp")
    m, enc, hits = c.encode(["a", "bb", "a"], "document", fake_encoder(calls), batch_size=8)
    assert (enc, hits) == (2, 0) and m.shape == (3, 2) and (m[0] == m[2]).all()
    m2, enc2, hits2 = c.encode(["bb", "a"], "document", fake_encoder(calls), batch_size=8)
    assert (enc2, hits2) == (0, 2)
    _, enc3, _ = c.encode(["a"], "query", fake_encoder(calls), batch_size=8)
    assert enc3 == 1  # same text, other role: encoded separately


def test_crash_mid_encoding_keeps_finished_batches(tmp_path: Path) -> None:
    calls: list[list[str]] = []
    good = fake_encoder(calls)

    def flaky(texts: list[str]) -> np.ndarray:
        if len(calls) == 2:
            raise RuntimeError("killed")
        return good(texts)

    texts = [f"t{i}" for i in range(10)]
    with pytest.raises(RuntimeError):
        EmbeddingCache(tmp_path, "fp").encode(texts, "document", flaky, batch_size=3)
    calls.clear()
    _, enc, hits = EmbeddingCache(tmp_path, "fp").encode(texts, "document", good, batch_size=3)
    assert hits == 6 and enc == 4
