"""The on-disk corpus store: same ids, order, texts and content hash as the in-memory corpus."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ir_harness.corpus.store import StoredCorpus, open_or_build, write_store
from ir_harness.data.model import Corpus, Document
from ir_harness.errors import DataFormatError

if TYPE_CHECKING:
    from pathlib import Path

DOCS = [
    Document("d3", "third text", "Title three"),
    Document("d1", "first text"),
    Document("d2", "second, with ünïcode"),
]


def test_stored_corpus_matches_in_memory(tmp_path: Path) -> None:
    mem = Corpus(DOCS)
    stored = StoredCorpus(write_store(tmp_path, iter(DOCS)))
    assert stored.content_hash == mem.content_hash
    assert len(stored) == 3 and stored.ids() == ["d3", "d1", "d2"]
    assert stored.texts() == mem.texts()
    assert stored["d3"] == DOCS[0] and stored["d2"].text == "second, with ünïcode"
    assert "d1" in stored and "nope" not in stored
    with pytest.raises(KeyError):
        stored["nope"]
    assert list(stored.batches(2)) == list(mem.batches(2))
    assert list(stored.batches(1, start=1, stop=3)) == [
        (["d1"], ["first text"]),
        (["d2"], [DOCS[2].text]),
    ]
    assert stored.ids_at([2, 0]) == mem.ids_at([2, 0]) == ["d2", "d3"]
    assert stored.subset(["d2", "x"]).ids() == ["d2"]


def test_many_batches_random_access(tmp_path: Path) -> None:
    docs = [Document(f"id{i}", f"text {i}") for i in range(20000)]  # three record batches
    stored = StoredCorpus(write_store(tmp_path, iter(docs)))
    assert stored["id19999"].text == "text 19999" and stored["id8192"].text == "text 8192"
    assert stored.ids_at([19999, 3, 8192, 3]) == ["id19999", "id3", "id8192", "id3"]
    with pytest.raises(IndexError):
        stored.ids_at([20000])
    assert stored.content_hash == Corpus(docs).content_hash
    assert sum(len(ids) for ids, _ in stored.batches(5000)) == 20000


def test_duplicate_id_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="'d1' occurs more than once"):
        write_store(tmp_path, iter([*DOCS, Document("d1", "again")]), source="corpus.jsonl")
    assert not [p for p in (tmp_path / "corpora").iterdir() if p.name.startswith(".")]


def test_source_is_streamed_once(tmp_path: Path) -> None:
    calls = []

    def docs() -> list[Document]:
        calls.append(1)
        return DOCS

    a = open_or_build(tmp_path, "src-key", docs)
    b = open_or_build(tmp_path, "src-key", docs)
    assert calls == [1] and a.folder == b.folder and b.ids() == ["d3", "d1", "d2"]


def test_pickles_as_its_folder(tmp_path: Path) -> None:
    import pickle

    stored = StoredCorpus(write_store(tmp_path, iter(DOCS)))
    again = pickle.loads(pickle.dumps(stored))
    assert again.folder == stored.folder and again["d1"] == DOCS[1]
