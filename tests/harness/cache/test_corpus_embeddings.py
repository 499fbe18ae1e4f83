"""The sharded corpus embedding cache: resume after a kill, nothing re-encoded, corruption re-encoded."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import pytest

from ir_harness.cache.corpus_embeddings import CorpusEmbeddingCache
from ir_harness.data.model import Corpus, Document
from ir_harness.errors import DataFormatError, ModelOutputError, StoreCorruptError

if TYPE_CHECKING:
    from pathlib import Path

CORPUS = Corpus(Document(f"d{i}", f"text {i}") for i in range(10))


def _vecs(texts: list[str]) -> np.ndarray:
    return np.array([[float(t.split()[1]), 1.0, -1.0] for t in texts], np.float32)


def _store(tmp_path: Path, **kw: object) -> CorpusEmbeddingCache:
    return CorpusEmbeddingCache(
        tmp_path, "fp", CORPUS.content_hash, len(CORPUS), shard_rows=4, **kw
    )  # type: ignore[arg-type]


def _fill(store: CorpusEmbeddingCache, encoded: list[int], fail_after: int | None = None) -> None:
    for n, i in enumerate(store.missing()):
        if fail_after is not None and n == fail_after:
            raise KeyboardInterrupt  # the encode is killed here
        encoded.append(i)
        store.encode_shard(i, CORPUS, _vecs, batch_size=3)
    store.finish()


def _read(store: CorpusEmbeddingCache) -> np.ndarray:
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


# ---------------------------------------------------------------- sidecars that place a shard
def test_sidecar_records_place_corpus_and_model(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _fill(store, [])
    info = json.loads((store.folder / "shard-00001.json").read_text())
    assert info["shard"] == 1 and (info["start"], info["stop"]) == (4, 8)
    assert info["corpus_hash"] == CORPUS.content_hash and info["fingerprint"] == "fp"


def test_another_shards_valid_pair_is_re_encoded(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _fill(store, [])
    for ext in ("npy", "json"):  # shard 0's pair (same row count) copied over shard 1's
        (store.folder / f"shard-00001.{ext}").write_bytes(
            (store.folder / f"shard-00000.{ext}").read_bytes()
        )
    fresh = _store(tmp_path)
    with pytest.raises(StoreCorruptError, match=r"shard-00001\.npy.*'shard': 0"):
        _read(fresh)
    encoded: list[int] = []
    _fill(fresh, encoded)
    assert encoded == [1]
    np.testing.assert_array_equal(_read(fresh), _vecs(CORPUS.texts()))


def test_nan_shard_with_valid_sidecar_is_never_accepted(tmp_path: Path) -> None:
    from ir_harness.cache.corpus_embeddings import _crc

    store = _store(tmp_path)
    _fill(store, [])
    nan = np.full((4, 3), np.nan, np.float32)
    np.save(store.folder / "shard-00001.npy", nan)
    side = store.folder / "shard-00001.json"
    side.write_text(json.dumps({**json.loads(side.read_text()), "crc32": _crc(nan)}))
    fresh = _store(tmp_path)
    with pytest.raises(StoreCorruptError, match="4 rows hold NaN"):
        _read(fresh)
    assert fresh.missing() == [1]


def test_old_sidecars_are_stale(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _fill(store, [])
    side = store.folder / "shard-00002.json"
    old = json.loads(side.read_text())
    side.write_text(json.dumps({k: old[k] for k in ("rows", "dim", "dtype", "crc32")}))
    assert _store(tmp_path).missing() == [2]


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e6])
def test_non_finite_vectors_refused_at_write(tmp_path: Path, bad: float) -> None:
    store = _store(tmp_path, dtype="float16")  # 1e6 overflows float16 to inf
    vecs = np.ones((4, 3), np.float32)
    vecs[2, 1] = bad
    with pytest.raises(ModelOutputError, match=r"shard-00000\.npy: 1 of 4 vectors"):
        store.write_shard(0, vecs)
    assert not (store.folder / "shard-00000.npy").exists()


ENCODERS = {
    "fewer": (lambda t: _vecs(t)[:-1], "documents 0..2 .* 2 vectors for 3 texts"),
    "one-d": (lambda t: _vecs(t)[:, 0], r"shape \(3,\)"),
    "none": (lambda t: None, "returned None"),
    "strings": (lambda t: ["a"] * len(t), "type <U1"),
    "nan": (lambda t: _vecs(t) * np.nan, "3 of 3 vectors hold NaN"),
    "inf": (lambda t: _vecs(t) + np.array([np.inf, 0, 0], np.float32), "hold NaN or infinite"),
    "width-changes": (
        lambda t: np.ones((len(t), 3 if t[0] == "text 0" else 4), np.float32),
        "documents 3..3 .* dimension 4, earlier ones had 3",
    ),
}


@pytest.mark.parametrize("encode,message", ENCODERS.values(), ids=ENCODERS.keys())
def test_bad_model_output_names_system_and_batch(
    tmp_path: Path, encode: object, message: str
) -> None:
    store = _store(tmp_path)
    with pytest.raises(ModelOutputError, match=message) as e:
        store.encode_shard(0, CORPUS, encode, batch_size=3, system="toy")  # type: ignore[arg-type]
    assert str(e.value).startswith("system 'toy', documents ")
    assert not list(store.folder.glob("shard-*"))  # nothing stored


def test_disk_full_names_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ir_harness.cache.corpus_embeddings import EmbeddingWriteError

    store = _store(tmp_path)

    def short_write(f: object, arr: object) -> None:
        raise OSError("393216 requested and 220128 written")  # numpy's message: no errno

    monkeypatch.setattr(np, "save", short_write)
    with pytest.raises(EmbeddingWriteError, match=r"cannot write .*shard-00000\.npy.*disk full"):
        store.encode_shard(0, CORPUS, _vecs, batch_size=3)
    assert not [p for p in store.folder.iterdir() if p.name.startswith(".shard")]  # no temp left
