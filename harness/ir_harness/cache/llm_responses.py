"""A persistent LLM response cache: one SQLite file, keys are hashes of the full request.

Each response is committed as soon as it arrives, so a killed run resumes where it stopped and a
second identical run makes no backend calls at all. A file SQLite cannot read is moved aside and
rebuilt with a warning; a row that does not decode is treated as a miss and asked again.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from typing import TYPE_CHECKING

from ir_harness.cache.text_embeddings import set_aside
from ir_harness.llm.base import Completion

if TYPE_CHECKING:
    from pathlib import Path


class ResponseCache:
    """LLM completions by request hash in a thread-safe SQLite file: runs resume, repeats free."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        try:
            self._open()
        except sqlite3.DatabaseError as e:
            set_aside(path, e)
            self._open()

    def _open(self) -> None:
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: each commit survives a killed process (what resuming needs) without
            # an fsync per response, which capped a fast server at ~300 cached misses per second.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS resp (key TEXT PRIMARY KEY, value TEXT)")
            self._db.commit()
        except sqlite3.DatabaseError:
            self._db.close()
            raise

    def get(self, key: str) -> Completion | None:
        """The stored completion, marked ``cached``; None for a missing or unreadable row."""
        with self._lock:
            try:
                row = self._db.execute("SELECT value FROM resp WHERE key = ?", (key,)).fetchone()
            except sqlite3.DatabaseError as e:
                self._db.close()
                set_aside(self.path, e)
                self._open()
                return None
        if row is None:
            return None
        try:
            d = json.loads(row[0])
            return Completion(**{**d, "cached": True})
        except (TypeError, ValueError):
            return None

    def delete(self, key: str) -> None:
        """Forget an answer (one its caller could not use), so the next run asks again."""
        with self._lock:
            self._db.execute("DELETE FROM resp WHERE key = ?", (key,))
            self._db.commit()

    def put(self, key: str, c: Completion) -> None:
        """Stores (or replaces) a completion and commits at once, so a killed run keeps it."""
        value = json.dumps(
            {
                "text": c.text,
                "prompt_tokens": c.prompt_tokens,
                "completion_tokens": c.completion_tokens,
                "latency_s": c.latency_s,
                "finish_reason": c.finish_reason,
            }
        )
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO resp (key, value) VALUES (?, ?)", (key, value))
            self._db.commit()

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM resp").fetchone()[0])

    def close(self) -> None:
        """Closes the SQLite connection; every put is already committed, so nothing is lost."""
        with self._lock:
            self._db.close()
