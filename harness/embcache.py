"""A persistent embedding cache keyed by text content and model fingerprint.

One SQLite file per model fingerprint; keys are sha256 of the text (plus the role, so query and
document encodings never collide). Each encoded batch is committed at once, so a crash loses at
most one batch and a re-run encodes only what is missing.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path


def text_key(text: str, role: str) -> str:
    return hashlib.sha256(f"{role}\x00{text}".encode()).hexdigest()


class EmbeddingCache:
    def __init__(self, root: Path, fingerprint: str) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.path = root / f"{fingerprint}.sqlite"
        self._db = sqlite3.connect(self.path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS emb (key TEXT PRIMARY KEY, dim INTEGER, vec BLOB)"
        )
        self._db.commit()

    def close(self) -> None:
        self._db.close()

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            chunk = list(keys[i : i + 500])
            q = f"SELECT key, vec FROM emb WHERE key IN ({','.join('?' * len(chunk))})"
            for key, blob in self._db.execute(q, chunk):
                out[key] = np.frombuffer(blob, dtype=np.float32)
        return out

    def put_many(self, keys: Sequence[str], vecs: np.ndarray) -> None:
        vecs = np.ascontiguousarray(vecs, dtype=np.float32)
        self._db.executemany(
            "INSERT OR REPLACE INTO emb (key, dim, vec) VALUES (?, ?, ?)",
            [(k, v.shape[0], v.tobytes()) for k, v in zip(keys, vecs)],
        )
        self._db.commit()

    def encode(
        self,
        texts: Sequence[str],
        role: str,
        encode_batch: Callable[[list[str]], np.ndarray],
        batch_size: int,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[np.ndarray, int, int]:
        """Embeddings for ``texts`` in order; returns (matrix, encoded now, cache hits)."""
        keys = [text_key(t, role) for t in texts]
        found = self.get_many(list(dict.fromkeys(keys)))
        todo = [i for i, k in enumerate(keys) if k not in found]
        # Unique missing texts only, in first-seen order.
        seen: dict[str, int] = {}
        for i in todo:
            seen.setdefault(keys[i], i)
        missing = list(seen.values())
        for b in range(0, len(missing), batch_size):
            idx = missing[b : b + batch_size]
            vecs = encode_batch([texts[i] for i in idx])
            bkeys = [keys[i] for i in idx]
            self.put_many(bkeys, vecs)
            found.update(zip(bkeys, np.asarray(vecs, dtype=np.float32)))
            if progress:
                progress(len(idx))
        if not texts:
            return np.zeros((0, 0), np.float32), 0, 0
        mat = np.stack([found[k] for k in keys]).astype(np.float32, copy=False)
        return mat, len(missing), len(texts) - len(todo)
