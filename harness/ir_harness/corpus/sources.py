"""Streaming document sources, and the policy that puts large corpora into the on-disk store.

Each reader yields :class:`Document` objects one by one (jsonl(.gz), tsv, ir_datasets iterators),
with the same fields and the same clear errors as the in-memory readers of :mod:`ir_harness.data.formats`.
:func:`load_corpus_file` and :func:`corpus_from_docs` keep small corpora in memory, exactly as
before, and stream large ones into :mod:`ir_harness.corpus.store` (the thresholds are the
run's :class:`ir_harness.corpus.policy.StorePolicy`; the command line reads
``$HARNESS_STORE_MIN_BYTES`` / ``$HARNESS_STORE_MIN_DOCS`` into it; 0 stores everything).

A stored corpus file is found again by the sha256 of its full content, never by its path, size
or mtime (an edit that keeps the size and restores the mtime must not reuse the old store). The
digest is remembered per file version (path, inode, size, mtime and ctime, which a user cannot
set back), so a re-run hashes nothing; any change to the file costs one full read.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from ir_harness.corpus import policy
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


_DIGESTS = "corpus-source-sha256.json"


def content_sha256(path: Path, root: Path) -> str:
    """sha256 of the whole file, memoised in ``root`` by (path, inode, size, mtime, ctime)."""
    st = path.stat()
    version = f"{path.resolve()}|{st.st_ino}|{st.st_size}|{st.st_mtime_ns}|{st.st_ctime_ns}"
    memo_path = root / _DIGESTS
    memo: dict[str, str] = {}
    try:
        memo = json.loads(memo_path.read_text(encoding="utf-8"))
        if not isinstance(memo, dict):
            memo = {}
    except (OSError, ValueError):
        pass  # no memo (or a damaged one): hash the file
    digest = memo.get(version)
    if isinstance(digest, str) and len(digest) == 64:
        return digest
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 24), b""):
            h.update(block)
    digest = h.hexdigest()
    resolved = str(path.resolve())
    memo = {k: v for k, v in memo.items() if not k.startswith(resolved + "|")}
    memo[version] = digest
    try:
        from ir_harness.data.formats import atomic_write_text

        root.mkdir(parents=True, exist_ok=True)
        atomic_write_text(memo_path, json.dumps(memo, sort_keys=True))
    except OSError:
        pass  # a memo that cannot be written only costs a re-hash next time
    return digest


def _file_key(path: Path, root: Path, fmt: str, id_fields: tuple[str, ...]) -> str:
    """The store key of a corpus file: its full content hash, how it is parsed (format, id
    fields), and nothing about where it lies."""
    return f"file-sha256:{content_sha256(path, root)}:{fmt}:{','.join(id_fields)}"


def load_corpus_file(
    path: str | Path, id_fields: tuple[str, ...] = ("_id", "docid", "id"), root: Path | None = None
) -> Corpus:
    """A corpus file (``.jsonl``, ``.tsv``, optionally ``.gz``): in memory when small, else the
    stored corpus (streamed once; later runs reopen it by the file's content hash)."""
    p = Path(path)
    tsv = p.name.removesuffix(".gz").endswith(".tsv")
    if p.stat().st_size < policy.current().min_bytes:
        return read_tsv_corpus(p) if tsv else read_jsonl_corpus(p, id_fields)
    from ir_harness.corpus.store import open_or_build

    docs: Callable[[], Iterable[Document]] = (
        (lambda: iter_tsv_docs(p)) if tsv else (lambda: iter_jsonl_docs(p, id_fields))
    )
    root = root or default_cache_dir()
    return open_or_build(
        root, _file_key(p, root, "tsv" if tsv else "jsonl", id_fields), docs, source=str(p)
    )


def corpus_from_docs(
    source_key: str,
    docs: Callable[[], Iterable[Document]],
    n_hint: int | None,
    root: Path | None = None,
) -> Corpus:
    """Documents from an iterator (e.g. ir_datasets ``docs_iter``): stored when ``n_hint``
    reaches the threshold, else an in-memory corpus as before."""
    if n_hint is None or n_hint < policy.current().min_docs:
        return Corpus(docs())
    from ir_harness.corpus.store import open_or_build

    return open_or_build(root or default_cache_dir(), source_key, docs, source=source_key)
