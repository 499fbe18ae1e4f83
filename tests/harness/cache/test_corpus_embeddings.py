"""The sharded embedding store: resume after a kill, nothing re-encoded, corruption re-encoded."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import pytest

from ir_harness.cache.corpus_embeddings import EmbeddingStore
from ir_harness.data.model import Corpus, Document
from ir_harness.errors import DataFormatError

if TYPE_CHECKING:
    from pathlib import Path

CORPUS = Corpus(Document(f"d{i}", f"text {i}") for i in range(10))


def _vecs(texts: list[str]) -> np.ndarray:
    return np.array([[float(t.split()[1]), 1.0, -1.0] for t in texts], np.float32)


def _store(tmp_path: Path, **kw: object) -> EmbeddingStore:
    return EmbeddingStore(tmp_path, "fp", CORPUS.content_hash, len(CORPUS), shard_rows=4, **kw)  # type: ignore[arg-type]


def _fill(store: EmbeddingStore, encoded: list[int], fail_after: int | None = None) -> None:
    for n, i in enumerate(store.missing()):
        if fail_after is not None and n == fail_after:
            raise KeyboardInterrupt  # the encode is killed here
        encoded.append(i)
        store.encode_shard(i, CORPUS, _vecs, batch_size=3)
    store.finish()


def _read(store: EmbeddingStore) -> np.ndarray:
    return np.concatenate([a for _, a in store.shards()])


def test_killed_encode_resumes_at_shard_granularity(tmp_path: Path) -> None:
    encoded: list[int] = []
    with pytest.raises(KeyboardInterrupt):
        _fill(_store(tmp_path), encoded, fail_after=2)
    assert encoded == [0, 1]
    again: list[int] = []
    store = _store(tmp_path)
    _fill(store, again)
    assert again == [2]  # only the shard that was not finished
    np.testing.assert_array_equal(_read(store), _vecs(CORPUS.texts()))
    rerun: list[int] = []
    _fill(_store(tmp_path), rerun)
    assert rerun == []  # a re-run encodes nothing
    assert json.loads((store.folder / "manifest.json").read_text())["dim"] == 3


@pytest.mark.parametrize("damage", ["flip", "truncate", "sidecar"])
def test_corrupt_shard_is_re_encoded_never_used(tmp_path: Path, damage: str) -> None:
    store = _store(tmp_path)
    _fill(store, [])
    npy = store.folder / "shard-00001.npy"
    if damage == "flip":
        raw = bytearray(npy.read_bytes())
        raw[-5] ^= 0xFF
        npy.write_bytes(bytes(raw))
    elif damage == "truncate":
        npy.write_bytes(npy.read_bytes()[:-8])
    else:
        (store.folder / "shard-00001.json").write_text("{not json")
    fresh = _store(tmp_path)
    with pytest.raises(DataFormatError, match="shard-00001.npy"):
        _read(fresh)  # never silently used
    encoded: list[int] = []
    _fill(fresh, encoded)
    assert encoded == [1]
    np.testing.assert_array_equal(_read(fresh), _vecs(CORPUS.texts()))


def test_wrong_dimension_is_refused(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _fill(store, [])
    with pytest.raises(DataFormatError, match="dimension 5"):
        _store(tmp_path).write_shard(0, np.zeros((4, 5), np.float32))


def test_float16_store(tmp_path: Path) -> None:
    store = _store(tmp_path, dtype="float16")
    _fill(store, [])
    got = _read(store)
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got, _vecs(CORPUS.texts()).astype(np.float16))
