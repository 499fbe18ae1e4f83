"""What the caches a re-run read hold, against what a fresh computation gives.

A re-run reads document embeddings and LLM answers from the cache, so a cache entry that is not
what the model gives today reproduces a wrong number faithfully. A second re-run with an empty
cache folder computes everything again; these functions compare the two cache folders entry by
entry: embedding shards by maximum absolute difference, LLM answers by text.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from typing import TYPE_CHECKING

import numpy as np

from ir_harness.reproduce.artifacts import StageCheck

if TYPE_CHECKING:
    from pathlib import Path


def compare_embeddings(used: Path, fresh: Path) -> StageCheck:
    """Every corpus-embedding shard the fresh cache computed, against the used cache's."""
    shards = sorted((fresh / "embstore").glob("*/*/shard-*.npy"))
    if not shards:
        return StageCheck("embeddings", "not checked", "no document embeddings were computed")
    worst, moved, compared = 0.0, 0, 0
    for f in shards:
        rel = f.relative_to(fresh)
        old = used / rel
        if not old.exists():
            continue
        a, b = np.load(old, mmap_mode="r"), np.load(f, mmap_mode="r")
        compared += 1
        if a.shape != b.shape:
            moved += 1
            worst = float("inf")
            continue
        d = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) if a.size else 0.0
        if d > 0:
            moved += 1
            worst = max(worst, d)
    if not compared:
        return StageCheck("embeddings", "not checked", "the used cache holds none of these shards")
    return StageCheck(
        "embeddings",
        "moved" if moved else "identical",
        f"{moved} of {compared} cached shards differ from a fresh encoding"
        + (f" (max abs difference {worst:.3g})" if moved else ""),
        {"shards_moved": moved, "shards": compared, "max_abs_diff": worst},
    )


def _answers(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    out = {}
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        for key, value in db.execute("SELECT key, value FROM resp"):
            with contextlib.suppress(TypeError, ValueError):
                out[key] = json.loads(value)["text"]
    return out


def compare_llm_answers(used: Path, fresh: Path) -> StageCheck:
    """Every LLM answer the fresh run received, against the cached answer to the same request."""
    new = _answers(fresh / "llm" / "responses.sqlite")
    if not new:
        return StageCheck("llm answers", "not checked", "no LLM answers were asked")
    old = _answers(used / "llm" / "responses.sqlite")
    shared = [k for k in new if k in old]
    changed = [k for k in shared if old[k] != new[k]]
    if not shared:
        return StageCheck(
            "llm answers", "not checked", "the used cache holds none of these answers"
        )
    return StageCheck(
        "llm answers",
        "moved" if changed else "identical",
        f"{len(changed)} of {len(shared)} cached answers differ from fresh ones",
        {"answers_changed": len(changed), "answers": len(shared)},
    )
