"""The embedding cache: content-keyed, role-separated, resumable."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from ir_harness.cache.text_embeddings import EmbeddingCache

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


def _damage(path: Path, sql: str, *args: object) -> None:
    import sqlite3

    db = sqlite3.connect(path)
    db.execute(sql, args)
    db.commit()
    db.close()


@pytest.mark.parametrize(
    "damage",
    ["zeroed", "wrong-length", "wrong-dim-consistent", "not-a-database"],
)
def test_damaged_cache_is_reencoded_not_trusted(tmp_path: Path, damage: str) -> None:
    """A damaged cache gives the true vectors again (with a warning), never wrong ones."""
    texts = ["apple", "banana", "cherry", "date"]
    calls: list[list[str]] = []
    enc = fake_encoder(calls)
    c = EmbeddingCache(tmp_path, "fp")
    truth, _, _ = c.encode(texts, "document", enc, batch_size=8)
    c.close()
    path = tmp_path / "fp.sqlite"
    if damage == "zeroed":
        _damage(path, "UPDATE emb SET vec = zeroblob(8) WHERE rowid = 1")
    elif damage == "wrong-length":
        _damage(path, "UPDATE emb SET vec = zeroblob(4) WHERE rowid = 2")
    elif damage == "wrong-dim-consistent":  # three columns, dim and checksum all consistent
        import sqlite3

        from ir_harness.cache.text_embeddings import vec_checksum

        blob = np.zeros(3, np.float32).tobytes()
        db = sqlite3.connect(path)
        db.execute(
            "UPDATE emb SET vec = ?, dim = 3, checksum = ? WHERE rowid = 3",
            (blob, vec_checksum(blob)),
        )
        db.commit()
        db.close()
    else:
        path.write_bytes(b"this is not an sqlite file" * 100)
    calls.clear()
    again, encoded, _ = EmbeddingCache(tmp_path, "fp").encode(texts, "document", enc, 8)
    assert encoded >= 1
    np.testing.assert_array_equal(again, truth)


def test_legacy_rows_without_checksum_are_still_used(tmp_path: Path) -> None:
    import sqlite3

    from ir_harness.cache.text_embeddings import text_key

    db = sqlite3.connect(tmp_path / "fp.sqlite")
    db.execute("CREATE TABLE emb (key TEXT PRIMARY KEY, dim INTEGER, vec BLOB)")
    db.execute(
        "INSERT INTO emb VALUES (?, 2, ?)",
        (text_key("a", "document"), np.array([1, 1], np.float32).tobytes()),
    )
    db.commit()
    db.close()
    calls: list[list[str]] = []
    m, enc, hits = EmbeddingCache(tmp_path, "fp").encode(["a"], "document", fake_encoder(calls), 8)
    assert (enc, hits) == (0, 1) and m.tolist() == [[1.0, 1.0]]


def test_by_length_groups_longest_first_and_returns_input_order(tmp_path: Path) -> None:
    texts = ["bb", "a", "dddd", "ccc", "eeeee", "a"]
    calls: list[list[str]] = []

    def enc(batch: list[str]) -> np.ndarray:
        calls.append(batch)
        return np.array([[len(t), 1.0] for t in batch], dtype=np.float32)

    cache = EmbeddingCache(tmp_path, "fp")
    vecs, encoded, hits = cache.encode(texts, "document", enc, 2, by_length=True)
    cache.close()
    assert calls == [["eeeee", "dddd"], ["ccc", "bb"], ["a"]]  # each group: similar lengths
    assert vecs[:, 0].tolist() == [2, 1, 4, 3, 5, 1] and (encoded, hits) == (5, 0)
