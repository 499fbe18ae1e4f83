"""Repeated (query, document) pairs found through id hashes, exact even when hashes collide."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ir_harness.eval import repeated_ids
from ir_harness.eval.qrels_table import string_array

if TYPE_CHECKING:
    import pytest


def _pairs(q: list[int], docs: list[str]) -> tuple[list[int], list[int]]:
    got = repeated_ids.repeated_pairs(np.array(q, dtype=np.int32), string_array(docs))
    assert got is not None
    return got[0].tolist(), got[1].tolist()


def test_each_later_repeat_points_at_the_first_row_of_its_pair() -> None:
    q = [0, 0, 1, 0, 1, 0]
    docs = ["a", "b", "a", "a", "a", "b"]
    assert _pairs(q, docs) == ([0, 2, 1], [3, 4, 5])


def test_same_document_under_two_queries_is_no_repeat() -> None:
    assert _pairs([0, 1, 2], ["x", "x", "x"]) == ([], [])


def test_colliding_hashes_never_merge_two_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        repeated_ids, "id_hashes", lambda docs: np.zeros(len(docs), dtype=np.uint64)
    )
    assert _pairs([0, 0, 0, 0], ["a", "b", "c", "b"]) == ([1], [3])


def test_equal_ids_hash_equal_and_lengths_and_bytes_matter() -> None:
    ids = ["ab", "ab", "ba", "a", "abc", "a\x00", "é", "e\u0301", "x" * 10_000, "x" * 10_000]
    h = repeated_ids.id_hashes(string_array(ids))
    assert h is not None
    assert h[0] == h[1] and h[8] == h[9]
    assert len({int(v) for v in h}) == len(ids) - 2


def test_an_empty_id_sends_the_caller_to_its_slow_path() -> None:
    assert repeated_ids.id_hashes(string_array(["a", ""])) is None
