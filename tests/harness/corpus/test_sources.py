"""Streaming corpus readers: a large file goes to the store with the in-memory reader's content."""

from __future__ import annotations

import gzip
from typing import TYPE_CHECKING

import pytest

from ir_harness.corpus.sources import corpus_from_docs, iter_tsv_docs, load_corpus_file
from ir_harness.corpus.store import StoredCorpus
from ir_harness.data.formats import read_jsonl_corpus, read_tsv_corpus
from ir_harness.data.model import Corpus, Document
from ir_harness.errors import DataFormatError

if TYPE_CHECKING:
    from pathlib import Path

JSONL = (
    '{"_id": "a", "title": "T", "text": "alpha"}\n'
    '{"_id": "b", "text": "beta", "title": null}\n'
    '{"_id": "c", "contents": "gamma"}\n'
)


def test_jsonl_gz_and_tsv_stored_when_large(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    j = tmp_path / "corpus.jsonl.gz"
    j.write_bytes(gzip.compress(JSONL.encode()))
    t = tmp_path / "corpus.tsv"
    t.write_text("x\tone\ny\ttwo\n")
    assert not isinstance(load_corpus_file(j, root=tmp_path), StoredCorpus)  # small: as before
    monkeypatch.setenv("HARNESS_STORE_MIN_BYTES", "0")
    for path, reader in ((j, read_jsonl_corpus), (t, read_tsv_corpus)):
        stored = load_corpus_file(path, root=tmp_path)
        mem = reader(path)
        assert isinstance(stored, StoredCorpus)
        assert stored.content_hash == mem.content_hash
        assert [stored[i] for i in stored] == [mem[i] for i in mem]


def test_bad_line_names_file_and_line(tmp_path: Path) -> None:
    t = tmp_path / "c.tsv"
    t.write_text("x\tone\nbroken\n")
    with pytest.raises(DataFormatError, match=r"c\.tsv:2: no tab separator"):
        list(iter_tsv_docs(t))


def test_iterator_source_threshold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = [Document("a", "x"), Document("b", "y")]
    assert type(corpus_from_docs("k", lambda: docs, 2, root=tmp_path)) is Corpus
    monkeypatch.setenv("HARNESS_STORE_MIN_DOCS", "2")
    stored = corpus_from_docs("k", lambda: docs, 2, root=tmp_path)
    assert isinstance(stored, StoredCorpus) and stored.content_hash == Corpus(docs).content_hash
