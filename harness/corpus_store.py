"""An on-disk corpus store, so a corpus of millions of passages never has to sit in memory.

A corpus is written once, by streaming its documents, into ``<root>/corpora/<content hash>/``:
``docs.arrow`` (an Arrow IPC file of ``doc_id, title, text`` in record batches, read through a
memory map), ``idhash.npy``/``rows.npy`` (sorted 64-bit hashes of the ids and their row numbers:
random access by id is a binary search in a memory-mapped array) and ``meta.json``. The content
hash is the same sha256 :class:`harness.data.Corpus` computes, so every cache keyed by it (Lucene
indexes, embeddings) is shared between the in-memory and the stored form of one corpus.

A source that was already streamed is found again through ``by-source/<key>`` without reading it.
Folders are built under a temporary name and renamed into place: a crash never leaves a store
that looks complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.data import Corpus, Document
from harness.errors import DataFormatError
from harness.paths import with_path

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

BATCH_ROWS = 8192
DOCS, IDHASH, ROWS, META = "docs.arrow", "idhash.npy", "rows.npy", "meta.json"


def id_hash(doc_id: str) -> int:
    """64-bit hash of a document id (stable across processes, unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b(doc_id.encode(), digest_size=8).digest(), "little")


def _atomic_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def write_store(root: Path, docs: Iterable[Document], source: str = "") -> Path:
    """Stream ``docs`` into a new store under ``root/corpora``; returns its folder.

    Memory: one record batch of texts plus 16 bytes per document for the id index.
    """
    import pyarrow as pa

    base = root / "corpora"
    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=base, prefix=".building-"))
    schema = pa.schema([("doc_id", pa.string()), ("title", pa.string()), ("text", pa.string())])
    h = hashlib.sha256()
    hashes: list[int] = []
    try:
        with pa.OSFile(str(tmp / DOCS), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
            ids: list[str] = []
            titles: list[str] = []
            texts: list[str] = []

            def flush() -> None:
                writer.write_batch(
                    pa.record_batch([ids, titles, texts], schema=schema)  # type: ignore[list-item]
                )
                ids.clear()
                titles.clear()
                texts.clear()

            for d in docs:
                h.update(d.doc_id.encode())
                h.update(b"\x00")
                h.update(d.full_text.encode())
                h.update(b"\x01")
                hashes.append(id_hash(d.doc_id))
                ids.append(d.doc_id)
                titles.append(d.title)
                texts.append(d.text)
                if len(ids) >= BATCH_ROWS:
                    flush()
            if ids:
                flush()
        n = len(hashes)
        keys = np.array(hashes, dtype=np.uint64)
        del hashes
        order = np.argsort(keys, kind="stable")
        np.save(tmp / IDHASH, keys[order])
        np.save(tmp / ROWS, order.astype(np.int64))
        content_hash = h.hexdigest()
        meta = {"content_hash": content_hash, "n": n, "source": source, "format": 1}
        (tmp / META).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        _check_unique_ids(tmp, source)
        target = base / content_hash[:32]
        if (target / META).exists():  # the same content was stored before
            shutil.rmtree(tmp)
        else:
            if target.exists():
                shutil.rmtree(target)
            tmp.rename(target)
        return target
    except OSError as e:  # disk full: name the store being written (pyarrow names no file)
        shutil.rmtree(tmp, ignore_errors=True)
        named = with_path(e, tmp.parent, "writing the corpus store")
        if named is e:
            raise
        raise named from e
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _check_unique_ids(folder: Path, source: str) -> None:
    """A duplicated id would make random access ambiguous: refuse it, naming the id."""
    keys = np.load(folder / IDHASH, mmap_mode="r")
    if len(keys) < 2:
        return
    same = np.flatnonzero(keys[1:] == keys[:-1])
    if same.size == 0:
        return
    store = StoredCorpus(folder)
    rows = np.load(folder / ROWS, mmap_mode="r")
    for i in same:
        a, b = store.id_at(int(rows[i])), store.id_at(int(rows[i + 1]))
        if a == b:
            raise DataFormatError(
                source or folder,
                None,
                f"document id {a!r} occurs more than once (rows {int(rows[i])} and "
                f"{int(rows[i + 1])})",
                "unique ids",
            )


def open_or_build(
    root: Path, source_key: str, docs: Callable[[], Iterable[Document]], source: str = ""
) -> StoredCorpus:
    """The store for ``source_key`` (e.g. a file path with size and mtime, or generator
    parameters), streaming ``docs()`` into it only the first time."""
    link = root / "corpora" / "by-source" / hashlib.sha256(source_key.encode()).hexdigest()[:32]
    if link.exists():
        folder = root / "corpora" / link.read_text(encoding="utf-8").strip()
        if (folder / META).exists():
            return StoredCorpus(folder)
    folder = write_store(root, docs(), source or source_key)
    link.parent.mkdir(parents=True, exist_ok=True)
    _atomic_text(link, folder.name)
    return StoredCorpus(folder)


class StoredCorpus(Corpus):
    """A :class:`Corpus` read from a store: same ids, order, texts and content hash, in bounded
    memory. ``ids()`` and ``texts()`` still build full lists (callers that must scale use
    :meth:`batches` and :meth:`ids_at`)."""

    def __init__(self, folder: Path) -> None:  # noqa: D107 - no in-memory dict here
        import pyarrow as pa

        self.folder = Path(folder)
        meta = json.loads((self.folder / META).read_text(encoding="utf-8"))
        self._hash = meta["content_hash"]
        self._n = int(meta["n"])
        self.source = meta.get("source", "")
        self._reader = pa.ipc.open_file(pa.memory_map(str(self.folder / DOCS), "r"))
        sizes = [self._reader.get_batch(i).num_rows for i in range(self._reader.num_record_batches)]
        self._starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
        self._keys = np.load(self.folder / IDHASH, mmap_mode="r")
        self._rows = np.load(self.folder / ROWS, mmap_mode="r")

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickles as its folder (Ray workers on a shared file system reopen it)."""
        return (StoredCorpus, (self.folder,))

    # ---------------------------------------------------------------- by row
    def _locate(self, row: int) -> tuple[int, int]:
        b = int(np.searchsorted(self._starts, row, side="right")) - 1
        return b, row - int(self._starts[b])

    def _doc_at(self, row: int) -> Document:
        b, r = self._locate(row)
        batch = self._reader.get_batch(b)
        return Document(
            batch.column(0)[r].as_py(), batch.column(2)[r].as_py(), batch.column(1)[r].as_py()
        )

    def id_at(self, row: int) -> str:
        b, r = self._locate(row)
        return self._reader.get_batch(b).column(0)[r].as_py()  # type: ignore[no-any-return]

    def ids_at(self, rows: Iterable[int]) -> list[str]:
        """Ids of the given row numbers (top-k indices to doc ids) without loading all ids:
        one Arrow ``take`` per record batch touched."""
        import pyarrow as pa

        r = np.fromiter((int(x) for x in rows), dtype=np.int64)
        if r.size and (r.min() < 0 or r.max() >= self._n):
            raise IndexError(f"row out of range 0..{self._n - 1}")
        batch_of = np.searchsorted(self._starts, r, side="right") - 1
        out: list[str] = [""] * len(r)
        for b in np.unique(batch_of).tolist():
            where = np.flatnonzero(batch_of == b)
            local = pa.array(r[where] - self._starts[b])
            ids = self._reader.get_batch(b).column(0).take(local).to_pylist()
            for i, d in zip(where.tolist(), ids):
                out[i] = d
        return out

    def _row_of(self, doc_id: str) -> int:
        key = np.uint64(id_hash(doc_id))
        i = int(np.searchsorted(self._keys, key))
        while i < len(self._keys) and self._keys[i] == key:
            row = int(self._rows[i])
            if self.id_at(row) == doc_id:
                return row
            i += 1
        raise KeyError(doc_id)

    # ---------------------------------------------------------------- Mapping
    def __getitem__(self, key: str) -> Document:
        return self._doc_at(self._row_of(key))

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        try:
            self._row_of(key)
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        for b in range(self._reader.num_record_batches):
            yield from self._reader.get_batch(b).column(0).to_pylist()

    def __len__(self) -> int:
        return self._n

    def ids(self) -> list[str]:
        return list(self)

    def texts(self) -> list[str]:
        return [t for _, ts in self.batches() for t in ts]

    def documents(self) -> Iterator[Document]:
        for b in range(self._reader.num_record_batches):
            batch = self._reader.get_batch(b)
            ids, titles, texts = (batch.column(i).to_pylist() for i in range(3))
            for d, ti, te in zip(ids, titles, texts):
                yield Document(d, te, ti)

    def batches(
        self, size: int = BATCH_ROWS, start: int = 0, stop: int | None = None
    ) -> Iterator[tuple[list[str], list[str]]]:
        """(ids, full texts) of rows ``start..stop`` in batches of at most ``size`` rows."""
        stop = self._n if stop is None else min(stop, self._n)
        row = start
        while row < stop:
            b, r = self._locate(row)
            batch = self._reader.get_batch(b)
            take = min(size, batch.num_rows - r, stop - row)
            part = batch.slice(r, take)
            ids = part.column(0).to_pylist()
            titles = part.column(1).to_pylist()
            texts = part.column(2).to_pylist()
            yield ids, [f"{ti} {te}".strip() if ti else te for ti, te in zip(titles, texts)]
            row += take

    def subset(self, ids: Iterable[str]) -> Corpus:
        return Corpus(self[i] for i in ids if i in self)

    @property
    def content_hash(self) -> str:
        return self._hash  # type: ignore[return-value]
