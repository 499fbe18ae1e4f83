"""Streaming document sources, and the policy that puts large corpora into the on-disk store.

Each reader yields :class:`Document` objects one by one (jsonl(.gz), tsv, ir_datasets iterators),
with the same fields and the same clear errors as the in-memory readers of :mod:`ir_harness.data.formats`.
:func:`load_corpus_file` and :func:`corpus_from_docs` keep small corpora in memory, exactly as
before, and stream large ones into :mod:`ir_harness.corpus.store` (``HARNESS_STORE_MIN_BYTES`` /
``HARNESS_STORE_MIN_DOCS`` set the thresholds; 0 stores everything).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ir_harness.data.formats import (
    _field,
    _json_line,
    read_jsonl_corpus,
    read_tsv_corpus,
    text_lines,
)
from ir_harness.data.model import Corpus, Document
from ir_harness.errors import DataFormatError
from ir_harness.run.context import default_cache_dir

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

# Above these a corpus goes to the store: ~1M MS MARCO-sized passages.
DEFAULT_MIN_BYTES = 512 * 2**20
DEFAULT_MIN_DOCS = 1_000_000


def _threshold(name: str, default: int) -> int:
    value = os.environ.get(name)
    try:
        return int(value) if value else default
    except ValueError:
        from ir_harness.errors import ConfigError

        raise ConfigError(f"${name}={value!r}: expected a whole number") from None


def iter_jsonl_docs(
    path: str | Path, id_fields: tuple[str, ...] = ("_id", "docid", "id")
) -> Iterator[Document]:
    """BEIR-style corpus.jsonl(.gz), one document at a time (fields as ``read_jsonl_corpus``)."""
    for n, line in text_lines(path):
        obj = _json_line(path, n, line)
        did = _field(path, n, obj, *id_fields)
        text = _field(path, n, obj, "text", "doc", "contents", "content")
        yield Document(did, text, str(obj.get("title") or ""))


def iter_tsv_docs(path: str | Path) -> Iterator[Document]:
    """``docid<TAB>text`` per line, one document at a time."""
    for n, line in text_lines(path):
        parts = line.split("\t", 1)
        if len(parts) != 2:
            raise DataFormatError(path, n, "no tab separator", "doc-id<TAB>text")
        yield Document(parts[0], parts[1])


def _file_key(path: Path) -> str:
    st = path.stat()
    return f"file:{path.resolve()}:{st.st_size}:{st.st_mtime_ns}"


def load_corpus_file(
    path: str | Path, id_fields: tuple[str, ...] = ("_id", "docid", "id"), root: Path | None = None
) -> Corpus:
    """A corpus file (``.jsonl``, ``.tsv``, optionally ``.gz``): in memory when small, else the
    stored corpus (streamed once; later runs reopen it by path, size and mtime)."""
    p = Path(path)
    tsv = p.name.removesuffix(".gz").endswith(".tsv")
    if p.stat().st_size < _threshold("HARNESS_STORE_MIN_BYTES", DEFAULT_MIN_BYTES):
        return read_tsv_corpus(p) if tsv else read_jsonl_corpus(p, id_fields)
    from ir_harness.corpus.store import open_or_build

    docs: Callable[[], Iterable[Document]] = (
        (lambda: iter_tsv_docs(p)) if tsv else (lambda: iter_jsonl_docs(p, id_fields))
    )
    return open_or_build(root or default_cache_dir(), _file_key(p), docs, source=str(p))


def corpus_from_docs(
    source_key: str,
    docs: Callable[[], Iterable[Document]],
    n_hint: int | None,
    root: Path | None = None,
) -> Corpus:
    """Documents from an iterator (e.g. ir_datasets ``docs_iter``): stored when ``n_hint``
    reaches the threshold, else an in-memory corpus as before."""
    if n_hint is None or n_hint < _threshold("HARNESS_STORE_MIN_DOCS", DEFAULT_MIN_DOCS):
        return Corpus(docs())
    from ir_harness.corpus.store import open_or_build

    return open_or_build(root or default_cache_dir(), source_key, docs, source=source_key)
