"""The generated synthetic/<N> task: deterministic, stored on disk, queries answerable."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ir_harness.corpus.store import StoredCorpus
from ir_harness.errors import ConfigError
from ir_harness.tasks.synthetic import SyntheticTask, load_synthetic, parse_size, passages
from ir_harness.testing import check_task_plugin

if TYPE_CHECKING:
    from pathlib import Path


def test_plugin_and_sizes() -> None:
    check_task_plugin(SyntheticTask)
    assert parse_size("1M") == 1_000_000 and parse_size("100k") == 100_000
    assert SyntheticTask().spec("2000").name == "synthetic/2000"
    for bad in ("0", "abc", "1.5M"):
        with pytest.raises(ConfigError, match="positive passage count"):
            parse_size(bad)


def test_deterministic_and_stored(tmp_path: Path) -> None:
    a = load_synthetic(3000, root=tmp_path / "a")
    b = load_synthetic(3000, root=tmp_path / "b")
    assert isinstance(a.corpus, StoredCorpus)
    assert a.corpus.content_hash == b.corpus.content_hash
    assert a.queries == b.queries and a.qrels == b.qrels
    assert len(a.corpus) == 3000 and len(a.queries) == 1000
    other_seed = next(iter(passages(1, seed=1)))
    assert other_seed.text != a.corpus["p0"].text
    lengths = [len(t.split()) for t in a.corpus.texts()]
    assert 8 <= min(lengths) and max(lengths) <= 300 and 45 <= sum(lengths) / 3000 <= 65
    for q, text in list(a.queries.items())[:50]:
        (doc,) = a.qrels[q]
        words = text.split()
        assert len(words) == 4 and set(words) <= set(a.corpus[doc].text.split())


def test_block_generation_is_independent_of_n() -> None:
    """Passage i is the same in every synthetic/<N> with N > i (blocks have their own seeds)."""
    small = list(passages(12_000))
    assert [d.text for d in small[:10]] == [d.text for d in passages(10)]
    assert small[10_005].text == list(passages(10_010))[10_005].text
