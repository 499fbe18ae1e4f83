"""A persistent embedding cache keyed by text content and model fingerprint.

One SQLite file per model fingerprint; keys are sha256 of the text (plus the role, so query and
document encodings never collide). Each encoded batch is committed at once, so a crash loses at
most one batch and a re-run encodes only what is missing.

Nothing read back is trusted blindly: each row stores its dimension and a checksum of its bytes,
a row whose length, checksum or dimension (against the other rows) disagrees is re-encoded, and
a file SQLite cannot read is moved aside and rebuilt, each with a warning.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import time
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

log = logging.getLogger(__name__)


if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path


def text_key(text: str, role: str) -> str:
    """sha256 of role and text: the same text as query and as document gets two keys."""
    return hashlib.sha256(f"{role}\x00{text}".encode()).hexdigest()


def vec_checksum(blob: bytes) -> str:
    """A short blake2b of a vector's bytes, stored with it so a damaged row is re-encoded."""
    return hashlib.blake2b(blob, digest_size=8).hexdigest()


def set_aside(path: Path, why: object) -> None:
    """Move a damaged cache file (and its SQLite side files) out of the way, keeping it to inspect."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    log.warning("cache %s is unreadable (%s); moved aside and rebuilt", path, why)
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = path.with_name(path.name + suffix)
        if p.exists():
            p.replace(p.with_name(f"{p.name}.corrupt-{stamp}"))


class EmbeddingCache:
    """Verified vectors by text and role for one model: a re-run encodes only new texts."""

    def __init__(self, root: Path, fingerprint: str) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.path = root / f"{fingerprint}.sqlite"
        self.rejected = 0  # rows read back that failed verification (re-encoded)
        try:
            self._open()
        except sqlite3.DatabaseError as e:
            set_aside(self.path, e)
            self._open()

    def _open(self) -> None:
        self._db = sqlite3.connect(self.path)
        try:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS emb (key TEXT PRIMARY KEY, dim INTEGER, vec BLOB,"
                " checksum TEXT)"
            )
            cols = {r[1] for r in self._db.execute("PRAGMA table_info(emb)")}
            if "checksum" not in cols:  # a cache written before checksums were stored
                self._db.execute("ALTER TABLE emb ADD COLUMN checksum TEXT")
            self._db.commit()
        except sqlite3.DatabaseError:
            self._db.close()
            raise

    def close(self) -> None:
        """Closes the SQLite connection; every ``put_many`` batch is already committed."""
        self._db.close()

    def _rows(self, keys: Sequence[str]) -> list[tuple[str, int, bytes, str | None]]:
        rows: list[tuple[str, int, bytes, str | None]] = []
        for i in range(0, len(keys), 500):
            chunk = list(keys[i : i + 500])
            q = (
                "SELECT key, dim, vec, checksum FROM emb"
                f" WHERE key IN ({','.join('?' * len(chunk))})"
            )
            rows.extend(self._db.execute(q, chunk))
        return rows

    def get_many(self, keys: Sequence[str], dim: int | None = None) -> dict[str, np.ndarray]:
        """Verified vectors for ``keys``; rows that fail a check are left out (so re-encoded).

        ``dim`` is the expected width when known; otherwise the most common stored width."""
        try:
            rows = self._rows(keys)
        except sqlite3.DatabaseError as e:
            self._db.close()
            set_aside(self.path, e)
            self._open()
            return {}
        good: dict[str, np.ndarray] = {}
        for key, d, blob, checksum in rows:
            if not isinstance(blob, bytes) or not isinstance(d, int) or len(blob) != 4 * d:
                continue
            if checksum is not None and checksum != vec_checksum(blob):
                continue
            v = np.frombuffer(blob, dtype=np.float32)
            if checksum is None and (not np.isfinite(v).all() or not v.any()):
                continue  # no checksum to go by: a zeroed or non-finite vector is not trusted
            good[key] = v
        if good:
            want = dim or Counter(v.shape[0] for v in good.values()).most_common(1)[0][0]
            good = {k: v for k, v in good.items() if v.shape[0] == want}
        bad = len(rows) - len(good)
        if bad:
            self.rejected += bad
            log.warning(
                "embedding cache %s: %d of %d stored vectors failed the length/checksum check;"
                " re-encoding them",
                self.path,
                bad,
                len(rows),
            )
        return good

    def put_many(self, keys: Sequence[str], vecs: np.ndarray) -> None:
        """Store one vector per key; refuses a count that does not match (it would pair keys
        with other texts' vectors) and non-finite vectors."""
        from ir_harness.errors import ModelOutputError

        vecs = np.ascontiguousarray(vecs, dtype=np.float32)
        if vecs.ndim != 2 or vecs.shape[0] != len(keys):
            raise ModelOutputError(
                f"embedding cache {self.path}: {vecs.shape} vectors for {len(keys)} texts; not stored"
            )
        if not np.isfinite(vecs).all():
            raise ModelOutputError(
                f"embedding cache {self.path}: NaN or infinite vectors; not stored"
            )
        rows = []
        for k, v in zip(keys, vecs):
            blob = v.tobytes()
            rows.append((k, v.shape[0], blob, vec_checksum(blob)))
        self._db.executemany(
            "INSERT OR REPLACE INTO emb (key, dim, vec, checksum) VALUES (?, ?, ?, ?)", rows
        )
        self._db.commit()

    def encode(
        self,
        texts: Sequence[str],
        role: str,
        encode_batch: Callable[[list[str]], np.ndarray],
        batch_size: int,
        progress: Callable[[int], None] | None = None,
        dim: int | None = None,
        by_length: bool = False,
    ) -> tuple[np.ndarray, int, int]:
        """Embeddings for ``texts`` in order; returns (matrix, encoded now, cache hits).

        ``dim``: the model's width when known (stored rows of another width are re-encoded).
        ``by_length``: encode the missing texts longest first, so each ``batch_size`` group
        holds texts of similar length (a model pads a batch to its longest text)."""
        keys = [text_key(t, role) for t in texts]
        found = self.get_many(list(dict.fromkeys(keys)), dim)
        todo = [i for i, k in enumerate(keys) if k not in found]
        # Unique missing texts only, in first-seen order.
        seen: dict[str, int] = {}
        for i in todo:
            seen.setdefault(keys[i], i)
        missing = list(seen.values())
        if by_length:
            missing.sort(key=lambda i: -len(texts[i]))
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
        if missing:  # the model's own width decides; stored rows of another width are stale
            width = found[keys[missing[0]]].shape[0]
            stale = list(dict.fromkeys(k for k in keys if found[k].shape[0] != width))
            if stale:
                log.warning(
                    "embedding cache %s: %d stored vectors have the wrong dimension; re-encoding",
                    self.path,
                    len(stale),
                )
                first = {k: i for i, k in reversed(list(enumerate(keys)))}
                idx = [first[k] for k in stale]
                for b in range(0, len(idx), batch_size):
                    part = idx[b : b + batch_size]
                    vecs = encode_batch([texts[i] for i in part])
                    self.put_many([keys[i] for i in part], vecs)
                    found.update(zip([keys[i] for i in part], np.asarray(vecs, np.float32)))
                missing.extend(idx)
                todo.extend(i for i, k in enumerate(keys) if k in set(stale))
        mat = np.stack([found[k] for k in keys]).astype(np.float32, copy=False)
        return mat, len(missing), len(texts) - len(todo)
