"""Streaming corpus readers: a large file goes to the store with the in-memory reader's content."""

from __future__ import annotations

import gzip
from typing import TYPE_CHECKING

import pytest

from ir_harness.corpus.policy import StorePolicy, using
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
    monkeypatch.setenv("HARNESS_STORE_MIN_BYTES", "0")  # read by the command line only
    assert not isinstance(load_corpus_file(j, root=tmp_path), StoredCorpus)
    for path, reader in ((j, read_jsonl_corpus), (t, read_tsv_corpus)):
        with using(StorePolicy(min_bytes=0)):
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


def test_iterator_source_threshold(tmp_path: Path) -> None:
    docs = [Document("a", "x"), Document("b", "y")]
    assert type(corpus_from_docs("k", lambda: docs, 2, root=tmp_path)) is Corpus
    with using(StorePolicy(min_docs=2)):
        stored = corpus_from_docs("k", lambda: docs, 2, root=tmp_path)
    assert isinstance(stored, StoredCorpus) and stored.content_hash == Corpus(docs).content_hash


def test_same_size_edit_with_mtime_restored_is_not_the_old_store(tmp_path: Path) -> None:
    import os

    with using(StorePolicy(min_bytes=0)):
        j = tmp_path / "corpus.jsonl"
        j.write_text(JSONL)
        first = load_corpus_file(j, root=tmp_path / "cache")
        assert first["a"].text == "alpha"
        st = j.stat()
        j.write_text(JSONL.replace("alpha", "ALPHA"))  # same size
        os.utime(j, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the old mtime
        assert j.stat().st_size == st.st_size and j.stat().st_mtime_ns == st.st_mtime_ns
        edited = load_corpus_file(j, root=tmp_path / "cache")
        assert edited["a"].text == "ALPHA" and edited.content_hash != first.content_hash


def test_content_hash_is_memoised_per_file_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    from ir_harness.corpus import sources as corpus_sources

    j = tmp_path / "corpus.jsonl"
    j.write_text(JSONL)
    calls = []
    real = hashlib.sha256

    def counting(*a: object) -> object:
        calls.append(1)
        return real(*a)  # type: ignore[arg-type]

    monkeypatch.setattr(corpus_sources.hashlib, "sha256", counting)
    digest = corpus_sources.content_sha256(j, tmp_path / "cache")
    assert digest == real(JSONL.encode()).hexdigest()
    assert corpus_sources.content_sha256(j, tmp_path / "cache") == digest
    assert len(calls) == 1  # the second call read nothing
    j.write_text(JSONL + "\n")
    assert corpus_sources.content_sha256(j, tmp_path / "cache") != digest
    assert len(calls) == 2
