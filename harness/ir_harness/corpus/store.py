"""An on-disk corpus store, so a corpus of millions of passages never has to sit in memory.

A corpus is written once, by streaming its documents, into ``<root>/corpora/<content hash>/``:
``docs.arrow`` (an Arrow IPC file of ``doc_id, title, text`` in record batches, read through a
memory map), ``idhash.npy``/``rows.npy`` (sorted 64-bit hashes of the ids and their row numbers:
random access by id is a binary search in a memory-mapped array) and ``meta.json``. The content
hash is the same sha256 :class:`ir_harness.data.model.Corpus` computes, so every cache keyed by it (Lucene
indexes, embeddings) is shared between the in-memory and the stored form of one corpus.

A source that was already streamed is found again through ``by-source/<key>`` without reading it.
Folders are built under a temporary name and renamed into place: a crash never leaves a store
that looks complete.

Nothing read back is trusted: ``meta.json`` records the size and sha256 of every file and the
row count and crc32 of every record batch of ``docs.arrow``. Opening checks cheaply (file sizes,
the batches' row counts against each other and against ``n``, a crc32 of the id index); each
record batch's crc32 is checked the first time it is read; :func:`verify` (``harness cache
verify``) re-hashes every file and recomputes the content hash. A mismatch is a
:class:`~ir_harness.errors.StoreCorruptError` naming the file; :func:`open_or_build` then rebuilds
the store from its source, and a batch found damaged mid-run marks the store so the next run
rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from ir_harness.data.model import Corpus, Document
from ir_harness.data.path_checks import with_path
from ir_harness.errors import DataFormatError, StoreCorruptError

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

BATCH_ROWS = 8192
DOCS, IDHASH, ROWS, META = "docs.arrow", "idhash.npy", "rows.npy", "meta.json"
DAMAGED = "DAMAGED"  # written when a batch fails its check mid-run: the next open rebuilds
FORMAT = 2  # 1: no checksums (such stores are rebuilt by open_or_build)
_STEP = 1 << 24


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_STEP), b""):
            h.update(block)
    return h.hexdigest()


def _file_crc(path: Path) -> int:
    crc = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_STEP), b""):
            crc = zlib.crc32(block, crc)
    return crc


def _batch_crc(batch: Any) -> int:
    """crc32 over a record batch's buffers (offsets and character data of every column): what
    a read of its ids and texts depends on."""
    crc = 0
    for col in batch.columns:
        for buf in col.buffers():
            if buf is not None:
                crc = zlib.crc32(memoryview(buf), crc)
    return crc


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
        meta = {"content_hash": content_hash, "n": n, "source": source, "format": FORMAT}
        meta.update(_checksums(tmp))
        (tmp / META).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        _check_unique_ids(tmp, source)
        target = base / content_hash[:32]
        if _open_intact(target, quiet=True) is not None:  # the same content was stored before
            shutil.rmtree(tmp)
        else:
            stale = None
            if target.exists():  # damaged, unfinished or of an older format: set aside
                stale = Path(tempfile.mkdtemp(dir=base, prefix=".stale-"))
                target.rename(stale / "old")
            tmp.rename(target)
            if stale is not None:
                shutil.rmtree(stale, ignore_errors=True)
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


def _checksums(folder: Path) -> dict[str, Any]:
    """What ``meta.json`` records to verify the files later: each file's size and sha256, the
    id index's crc32, and each record batch's row count and crc32 (read back from the file)."""
    import pyarrow as pa

    files = {
        name: {"size": (folder / name).stat().st_size, "sha256": _file_sha256(folder / name)}
        for name in (DOCS, IDHASH, ROWS)
    }
    for name in (IDHASH, ROWS):
        files[name]["crc32"] = _file_crc(folder / name)
    with pa.memory_map(str(folder / DOCS), "r") as src:
        reader = pa.ipc.open_file(src)
        batches = [
            [reader.get_batch(i).num_rows, _batch_crc(reader.get_batch(i))]
            for i in range(reader.num_record_batches)
        ]
    return {"files": files, "batches": batches}


def _open_intact(folder: Path, quiet: bool = False) -> StoredCorpus | None:
    """The store in ``folder`` if it is complete, of the current format and passes the cheap
    checks; else None (with the reason logged unless ``quiet``)."""
    if not (folder / META).exists():
        return None
    try:
        return StoredCorpus(folder)
    except StoreCorruptError as e:
        if not quiet:
            log.warning("corpus store: %s; rebuilding it from its source", e)
        return None


def _check_unique_ids(folder: Path, source: str) -> None:
    """A duplicated id would make random access ambiguous: refuse it, naming the id."""
    keys = np.load(folder / IDHASH, mmap_mode="r")
    if len(keys) < 2:
        return
    same = np.flatnonzero(keys[1:] == keys[:-1])
    if same.size == 0:
        return
    store = StoredCorpus(folder, check=False)
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
    """The store for ``source_key`` (e.g. a file's content hash, or generator parameters),
    streaming ``docs()`` into it the first time, and again when the store fails its checks."""
    link = root / "corpora" / "by-source" / hashlib.sha256(source_key.encode()).hexdigest()[:32]
    if link.exists():
        folder = root / "corpora" / link.read_text(encoding="utf-8").strip()
        store = _open_intact(folder)
        if store is not None:
            return store
    folder = write_store(root, docs(), source or source_key)
    link.parent.mkdir(parents=True, exist_ok=True)
    _atomic_text(link, folder.name)
    return StoredCorpus(folder)


class StoredCorpus(Corpus):
    """A :class:`Corpus` read from a store: same ids, order, texts and content hash, in bounded
    memory. ``ids()`` and ``texts()`` still build full lists (callers that must scale use
    :meth:`batches` and :meth:`ids_at`)."""

    def __init__(self, folder: Path, check: bool = True) -> None:
        """Open ``folder`` after the cheap checks (``check=False`` only while building)."""
        self.folder = Path(folder)
        meta = self._meta()
        self._hash = meta["content_hash"]
        self._n = meta["n"]
        self.source = meta.get("source", "")
        self._batch_crcs: list[int] | None = None
        self._checked: set[int] = set()
        if check:
            self._check_files(meta)
        self._reader = self._open_arrow()
        sizes = [self._get(i).num_rows for i in range(self._reader.num_record_batches)]
        if check and sizes != [r for r, _ in meta["batches"]]:
            self._corrupt(
                DOCS, f"record batches of {sizes} rows, meta.json recorded another layout"
            )
        if sum(sizes) != self._n:
            self._corrupt(META, f"n={self._n}, but {DOCS} holds {sum(sizes)} rows")
        self._starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
        try:
            self._keys = np.load(self.folder / IDHASH, mmap_mode="r")
            self._rows = np.load(self.folder / ROWS, mmap_mode="r")
        except (OSError, ValueError) as e:
            self._corrupt(IDHASH, f"unreadable ({e})")
        if self._keys.shape != (self._n,) or self._rows.shape != (self._n,):
            self._corrupt(IDHASH, f"{len(self._keys)} ids indexed, expected n={self._n}")

    # ---------------------------------------------------------------- checks
    def _corrupt(self, name: str, problem: str, expected: str = "") -> NoReturn:
        raise StoreCorruptError(self.folder / name, None, problem, expected)

    def _meta(self) -> dict[str, Any]:
        try:
            meta = json.loads((self.folder / META).read_text(encoding="utf-8"))
            meta["n"] = int(meta["n"])
            str(meta["content_hash"])
        except FileNotFoundError:
            self._corrupt(META, "missing (an unfinished or removed store)")
        except (OSError, ValueError, TypeError, KeyError) as e:
            self._corrupt(META, f"unreadable ({type(e).__name__}: {e})")
        if not isinstance(meta, dict):
            self._corrupt(META, "not a JSON object")
        return meta  # type: ignore[no-any-return]

    def _check_files(self, meta: dict[str, Any]) -> None:
        """The cheap checks: the format, every file's size, the id index's crc32; sets the
        batches' recorded crc32s."""
        if (self.folder / DAMAGED).exists():
            self._corrupt(DOCS, (self.folder / DAMAGED).read_text(encoding="utf-8").strip())
        if meta.get("format") != FORMAT or "files" not in meta or "batches" not in meta:
            self._corrupt(
                META, f"format {meta.get('format')} without checksums", f"format {FORMAT}"
            )
        try:
            files = {
                str(name): (int(rec["size"]), rec.get("crc32"))
                for name, rec in meta["files"].items()
            }
            batches = [(int(r), int(c)) for r, c in meta["batches"]]
        except (AttributeError, KeyError, TypeError, ValueError) as e:
            self._corrupt(META, f"malformed checksums ({type(e).__name__}: {e})")
        if set(files) != {DOCS, IDHASH, ROWS}:
            self._corrupt(META, f"checksums of {sorted(files)}", f"{DOCS}, {IDHASH}, {ROWS}")
        meta["batches"] = batches
        self._batch_crcs = [c for _, c in batches]
        for name, (want, crc) in files.items():
            path = self.folder / name
            if not path.is_file():
                self._corrupt(name, "missing")
            size = path.stat().st_size
            if size != want:
                self._corrupt(name, f"{size} bytes, {want} when it was built (truncated?)")
            if crc is not None and _file_crc(path) != crc:
                self._corrupt(name, "checksum mismatch")

    def _open_arrow(self) -> Any:
        import pyarrow as pa

        try:
            return pa.ipc.open_file(pa.memory_map(str(self.folder / DOCS), "r"))
        except (OSError, pa.ArrowException) as e:
            self._corrupt(DOCS, f"not a readable Arrow file ({e})")

    def _get(self, b: int) -> Any:
        import pyarrow as pa

        try:
            return self._reader.get_batch(b)
        except (OSError, pa.ArrowException) as e:
            self._corrupt(DOCS, f"record batch {b} unreadable ({e})")

    def _batch(self, b: int) -> Any:
        """Record batch ``b``, its crc32 checked on first use; a mismatch marks the store damaged
        (the next :func:`open_or_build` rebuilds it) and is an error naming the file."""
        batch = self._get(b)
        if self._batch_crcs is not None and b not in self._checked:
            if _batch_crc(batch) != self._batch_crcs[b]:
                start = int(self._starts[b])
                rows = f"rows {start}..{start + batch.num_rows - 1}"
                why = f"record batch {b} ({rows}) fails its checksum"
                try:
                    _atomic_text(self.folder / DAMAGED, why + "\n")
                except OSError:
                    pass
                self._corrupt(DOCS, why, "re-run: the store is rebuilt from its source")
            self._checked.add(b)
        return batch

    def verify(self) -> None:
        """The full check: every file's sha256, every batch's crc32, and the content hash and id
        index recomputed from the documents. Raises :class:`StoreCorruptError` naming the file."""
        meta = self._meta()
        self._check_files(meta)
        for name, rec in meta["files"].items():
            if _file_sha256(self.folder / name) != rec.get("sha256"):
                self._corrupt(name, "sha256 mismatch")
        self._checked.clear()
        h = hashlib.sha256()
        hashes = []
        for b in range(self._reader.num_record_batches):
            batch = self._batch(b)
            ids, titles, texts = (batch.column(i).to_pylist() for i in range(3))
            for d, ti, te in zip(ids, titles, texts):
                h.update(d.encode())
                h.update(b"\x00")
                h.update((f"{ti} {te}".strip() if ti else te).encode())
                h.update(b"\x01")
                hashes.append(id_hash(d))
        if h.hexdigest() != self._hash:
            self._corrupt(META, "content hash differs from the documents' hash")
        keys = np.array(hashes, dtype=np.uint64)
        if not (
            np.array_equal(self._keys, keys[self._rows])
            and np.all(self._keys[1:] >= self._keys[:-1])
        ):
            self._corrupt(IDHASH, "id index does not match the documents")

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickles as its folder (Ray workers on a shared file system reopen it)."""
        return (StoredCorpus, (self.folder,))

    # ---------------------------------------------------------------- by row
    def _locate(self, row: int) -> tuple[int, int]:
        b = int(np.searchsorted(self._starts, row, side="right")) - 1
        return b, row - int(self._starts[b])

    def _doc_at(self, row: int) -> Document:
        b, r = self._locate(row)
        batch = self._batch(b)
        return Document(
            batch.column(0)[r].as_py(), batch.column(2)[r].as_py(), batch.column(1)[r].as_py()
        )

    def id_at(self, row: int) -> str:
        """The id of row ``row``, reading only the record batch that holds it."""
        b, r = self._locate(row)
        return self._batch(b).column(0)[r].as_py()  # type: ignore[no-any-return]

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
            ids = self._batch(b).column(0).take(local).to_pylist()
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

    def missing_ids(self, ids: Iterable[str]) -> set[str]:
        """The ids of ``ids`` that the store does not hold, checked in one pass: hashes
        searched together, candidate rows' ids read with one Arrow ``take`` per batch (one
        ``in`` per id read a row each: 5.2 s for a 1,000 x 100 run at 100k documents)."""
        uniq = list(dict.fromkeys(i for i in ids if isinstance(i, str)))
        if not uniq or not self._n:
            return set(uniq)
        keys = np.fromiter((id_hash(d) for d in uniq), dtype=np.uint64, count=len(uniq))
        pos = np.searchsorted(self._keys, keys)
        hit = np.zeros(len(uniq), dtype=bool)
        inside = pos < self._n
        hit[inside] = self._keys[pos[inside]] == keys[inside]
        at = np.flatnonzero(hit)
        names = self.ids_at(self._rows[pos[at]].tolist())
        found = {uniq[i] for i, name in zip(at.tolist(), names) if name == uniq[i]}
        # an id whose first hash match is another id (a 64-bit collision): the full search
        return {d for i, d in enumerate(uniq) if d not in found and (not hit[i] or d not in self)}

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
            yield from self._batch(b).column(0).to_pylist()

    def __len__(self) -> int:
        return self._n

    def ids(self) -> list[str]:
        """Every id in row order (read from disk: the store keeps no id list in memory)."""
        return list(self)

    def texts(self) -> list[str]:
        """Every full text in row order, loaded at once: for corpora that fit in memory."""
        return [t for _, ts in self.batches() for t in ts]

    def documents(self) -> Iterator[Document]:
        """Documents in row order, streamed one record batch at a time from disk."""
        for b in range(self._reader.num_record_batches):
            batch = self._batch(b)
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
            batch = self._batch(b)
            take = min(size, batch.num_rows - r, stop - row)
            part = batch.slice(r, take)
            ids = part.column(0).to_pylist()
            titles = part.column(1).to_pylist()
            texts = part.column(2).to_pylist()
            yield ids, [f"{ti} {te}".strip() if ti else te for ti, te in zip(titles, texts)]
            row += take

    def subset(self, ids: Iterable[str]) -> Corpus:
        """An in-memory ``Corpus`` of the given ids that are stored, in the order given."""
        return Corpus(self[i] for i in ids if i in self)

    @property
    def content_hash(self) -> str:
        return self._hash  # type: ignore[return-value]
