"""An on-disk store of document embeddings, per (model fingerprint, corpus content hash).

Layout: ``<root>/embstore/<fingerprint>/<corpus hash>/`` holds ``manifest.json`` (rows, shard
size, dtype, dimension once known) and fixed-size shards ``shard-00000.npy`` (rows
``i*shard_rows ..``), each with a ``shard-00000.json`` sidecar written after it: the shard's
index and row range, the corpus hash and model fingerprint, rows, dimension, dtype and a crc32
of the array bytes. A shard counts only when its sidecar exists, says it is this shard of this
corpus under this model, and the array matches it, so a killed encode resumes at the first
missing shard, a re-run encodes nothing, and a corrupt, truncated, non-finite or misplaced shard
(another shard's valid pair copied over it) is re-encoded, never used. Sidecars of an older
format (without these fields) count as stale. Non-finite vectors are refused when written. Shards are memory-mapped when read;
every shard is verified once per process before use. Writers of different shards never touch
the same file, so Ray actors can fill one store concurrently (the sidecars are the manifest's
per-shard entries).

Query embeddings stay in the content-keyed SQLite cache (:mod:`ir_harness.cache.text_embeddings`).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ir_harness.errors import (
    ConfigError,
    DataFormatError,
    HarnessError,
    ModelOutputError,
    StoreCorruptError,
)
from ir_harness.run.model_output import check_vectors

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from ir_harness.data.model import Corpus

# A multiple of the top-k kernel's corpus chunk (16384): streaming over shards then computes
# exactly the score blocks the in-memory path computes (same run file).
DEFAULT_SHARD_ROWS = 65536
_CRC_STEP = 1 << 26  # verify 64 MiB at a time
SIDECAR_FORMAT = 2  # 1: rows, dim, dtype, crc32 only (stale: re-encoded)


def npy_path(folder: Path, i: int) -> Path:
    """Shard ``i``'s vector file: one naming for the store and ``harness cache verify``."""
    return folder / f"shard-{i:05d}.npy"


def _crc(arr: np.ndarray) -> int:
    buf = memoryview(np.ascontiguousarray(arr)).cast("B")  # type: ignore[arg-type]
    crc = 0
    for i in range(0, len(buf), _CRC_STEP):
        crc = zlib.crc32(buf[i : i + _CRC_STEP], crc)
    return crc


def _nonfinite_rows(arr: np.ndarray) -> int:
    """How many rows hold a NaN or infinity (read in bounded slices of a memory map)."""
    step = max(1, _CRC_STEP // max(1, arr.itemsize * (arr.shape[1] if arr.ndim == 2 else 1)))
    bad = 0
    for i in range(0, arr.shape[0], step):
        part = np.asarray(arr[i : i + step])
        bad += int((~np.isfinite(part).reshape(len(part), -1).all(axis=1)).sum())
    return bad


class EmbeddingWriteError(HarnessError):
    """A store file could not be written (disk full, permissions); names the file."""


def _write_atomic(path: Path, write: Callable[[Any], None], binary: bool = True) -> None:
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "wb" if binary else "w") as f:
            write(f)
        os.replace(tmp, path)
    except OSError as e:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise EmbeddingWriteError(_write_failure(path, e)) from None
    except BaseException:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise


def _write_failure(path: Path, e: OSError) -> str:
    """One line naming the file, the reason and the free space (numpy's short-write error, e.g.
    "393216 requested and 220128 written", has no errno)."""
    import errno
    import shutil

    reason = os.strerror(e.errno) if e.errno else str(e)
    try:
        free = shutil.disk_usage(path.parent).free
        space = f"; {free / 2**20:.1f} MiB free on its file system"
    except OSError:
        space = ""
    full = e.errno in (errno.ENOSPC, errno.EDQUOT) or (not e.errno and "written" in str(e))
    hint = " (disk full?)" if full else ""
    return f"cannot write {path}: {reason}{hint}{space}"


class CorpusEmbeddingCache:
    """Sharded, memory-mapped document embeddings of one corpus under one model."""

    def __init__(
        self,
        root: Path,
        fingerprint: str,
        corpus_hash: str,
        n: int,
        shard_rows: int = DEFAULT_SHARD_ROWS,
        dtype: str = "float32",
    ) -> None:
        if dtype not in ("float32", "float16"):
            raise ConfigError(
                f"corpus embedding cache dtype {dtype!r}: expected float32 or float16"
            )
        name = f"{corpus_hash[:32]}-{int(shard_rows)}-{dtype}"
        self.folder = Path(root) / "embstore" / fingerprint / name
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise EmbeddingWriteError(_write_failure(self.folder, e)) from None
        self.n, self.shard_rows, self.dtype = int(n), int(shard_rows), dtype
        self.fingerprint, self.corpus_hash = fingerprint, corpus_hash
        self._verified: set[int] = set()
        manifest = self.folder / "manifest.json"
        want = {
            "fingerprint": fingerprint,
            "corpus_hash": corpus_hash,
            "n": self.n,
            "shard_rows": self.shard_rows,
            "dtype": dtype,
        }
        if manifest.exists():
            try:
                have = json.loads(manifest.read_text(encoding="utf-8"))
                if not isinstance(have, dict):
                    raise ValueError("not a JSON object")
            except (OSError, ValueError) as e:
                raise DataFormatError(
                    manifest, None, f"unreadable ({e})", "a manifest (remove the folder)"
                ) from None
            if {k: have.get(k) for k in want} != want:
                raise DataFormatError(
                    manifest, None, f"written for {have}", f"{want} (remove the folder)"
                )
            self.dim: int | None = have.get("dim")
        else:
            self.dim = None
            _write_atomic(manifest, lambda f: f.write(json.dumps(want, indent=1)), binary=False)

    # ---------------------------------------------------------------- layout
    @property
    def n_shards(self) -> int:
        return (self.n + self.shard_rows - 1) // self.shard_rows

    def bounds(self, i: int) -> tuple[int, int]:
        """Rows ``[start, end)`` of shard ``i``; only the last shard may be short."""
        return i * self.shard_rows, min(self.n, (i + 1) * self.shard_rows)

    def _paths(self, i: int) -> tuple[Path, Path]:
        return npy_path(self.folder, i), self.folder / f"shard-{i:05d}.json"

    # ---------------------------------------------------------------- verification
    def inspect(self, i: int, force: bool = False) -> tuple[np.ndarray | None, str | None]:
        """(memory-mapped shard, None) if shard ``i`` is complete and intact, else (None, why);
        ``why`` is None for a shard not written yet. ``force`` re-checks a verified shard."""
        npy, side = self._paths(i)
        if i in self._verified and not force:
            return np.load(npy, mmap_mode="r"), None
        self._verified.discard(i)
        if not side.exists() or not npy.exists():
            return None, None
        start, stop = self.bounds(i)
        try:
            info = json.loads(side.read_text(encoding="utf-8"))
            arr = np.load(npy, mmap_mode="r")
        except (OSError, ValueError) as e:
            return None, f"unreadable ({e})"
        if not isinstance(info, dict) or info.get("format") != SIDECAR_FORMAT:
            return None, (
                "written by an older version (its sidecar has no shard index, corpus hash or"
                " model fingerprint)"
            )
        dim = self.dim or info.get("dim")
        problems = []
        placed = {
            "shard": i,
            "start": start,
            "stop": stop,
            "corpus_hash": self.corpus_hash,
            "fingerprint": self.fingerprint,
        }
        wrong = {k: info.get(k) for k in placed if info.get(k) != placed[k]}
        if wrong:
            problems.append(f"its sidecar is for {wrong}, not {placed} (a copied shard?)")
        if arr.shape != (stop - start, dim) or info.get("rows") != stop - start:
            problems.append(f"shape {arr.shape}, expected ({stop - start}, {dim})")
        if str(arr.dtype) != self.dtype:
            problems.append(f"dtype {arr.dtype}, expected {self.dtype}")
        if not problems and _crc(arr) != info.get("crc32"):
            problems.append("checksum mismatch")
        if not problems:
            bad = _nonfinite_rows(arr)
            if bad:
                problems.append(f"{bad} rows hold NaN or infinite values")
        if problems:
            return None, "; ".join(problems)
        self._verified.add(i)
        return arr, None

    def _check(self, i: int) -> np.ndarray | None:
        """The memory-mapped shard if it is complete and intact, else None (with the reason
        logged when a shard exists but is bad)."""
        arr, why = self.inspect(i)
        if why:
            log.warning(
                "corpus embedding cache: %s: %s; re-encoding it", npy_path(self.folder, i), why
            )
        return arr

    def known_dim(self) -> int | None:
        """The dimension of this store's vectors: the manifest's, else that of a shard already
        written (its sidecar), so every shard of one store gets one width."""
        if self.dim is None:
            for side in sorted(self.folder.glob("shard-*.json")):
                try:
                    info = json.loads(side.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
                if isinstance(info, dict) and info.get("format") == SIDECAR_FORMAT:
                    if isinstance(info.get("dim"), int) and info["dim"] > 0:
                        self.dim = info["dim"]
                        break
        return self.dim

    def missing(self) -> list[int]:
        """Shards that still have to be encoded (absent, partial or corrupt)."""
        return [i for i in range(self.n_shards) if self._check(i) is None]

    # ---------------------------------------------------------------- writing
    def write_shard(self, i: int, vecs: np.ndarray) -> None:
        """Store shard ``i``; refuses a wrong shape or dimension and any non-finite value
        (also one that overflows the store's dtype)."""
        start, stop = self.bounds(i)
        npy, side = self._paths(i)
        with np.errstate(over="ignore"):
            arr = np.ascontiguousarray(vecs, dtype=self.dtype)
        if arr.ndim != 2 or arr.shape[0] != stop - start:
            raise DataFormatError(
                npy, None, f"shard {i} of shape {arr.shape}", f"{stop - start} rows"
            )
        if self.dim is not None and arr.shape[1] != self.dim:
            raise DataFormatError(npy, None, f"dimension {arr.shape[1]}", f"{self.dim}")
        bad = _nonfinite_rows(arr)
        if bad:
            raise ModelOutputError(
                f"{npy}: {bad} of {stop - start} vectors hold NaN or infinite values"
                f" (as {self.dtype}); not stored"
            )
        side.unlink(missing_ok=True)  # the old sidecar must not vouch for the new array
        self._verified.discard(i)
        _write_atomic(npy, lambda f: np.save(f, arr))
        info: dict[str, Any] = {"format": SIDECAR_FORMAT, "shard": i, "start": start, "stop": stop}
        info.update(corpus_hash=self.corpus_hash, fingerprint=self.fingerprint)
        info.update(rows=stop - start, dim=int(arr.shape[1]), dtype=self.dtype)
        info["crc32"] = _crc(arr)
        _write_atomic(side, lambda f: f.write(json.dumps(info)), binary=False)

    def encode_shard(
        self,
        i: int,
        corpus: Corpus,
        encode: Callable[[list[str]], np.ndarray],
        batch_size: int,
        system: str = "encoder",
    ) -> int:
        """Encode rows of shard ``i`` batch by batch into one shard array; returns rows. Each
        batch the model returns is checked (count, dimension, finiteness) before it is kept."""
        start, stop = self.bounds(i)
        out: np.ndarray | None = None
        row = 0
        for _, texts in corpus.batches(batch_size, start, stop):
            first = start + row
            vecs = check_vectors(
                encode(texts),
                len(texts),
                system,
                f"documents {first}..{first + len(texts) - 1} (shard {i}, {npy_path(self.folder, i)})",
                self.known_dim() if out is None else out.shape[1],
            )
            if out is None:
                out = np.empty((stop - start, vecs.shape[1]), dtype=self.dtype)
            out[row : row + len(texts)] = vecs
            row += len(texts)
        if out is None or row != stop - start:
            raise DataFormatError(
                corpus.source if hasattr(corpus, "source") else "corpus",
                None,
                f"shard {i}: read {row} rows from the corpus",
                f"{stop - start}",
            )
        self.write_shard(i, out)
        return row

    def finish(self) -> None:
        """Record the dimension in the manifest once every shard is there and agrees."""
        dims = set()
        for i in range(self.n_shards):
            arr = self._check(i)
            if arr is None:
                raise DataFormatError(npy_path(self.folder, i), None, "missing after encoding")
            dims.add(arr.shape[1])
        if len(dims) > 1:
            raise DataFormatError(self.folder, None, f"shards of dimensions {dims}", "one")
        manifest = self.folder / "manifest.json"
        data = json.loads(manifest.read_text(encoding="utf-8"))
        if dims and data.get("dim") != next(iter(dims)):
            data["dim"] = self.dim = next(iter(dims))
            _write_atomic(manifest, lambda f: f.write(json.dumps(data, indent=1)), binary=False)

    # ---------------------------------------------------------------- reading
    def shards(self, which: Iterable[int] | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """(first row, memory-mapped array) of every shard (or of ``which``) in order, each
        verified."""
        for i in range(self.n_shards) if which is None else which:
            arr, why = self.inspect(i)
            if arr is None:
                raise StoreCorruptError(
                    npy_path(self.folder, i),
                    None,
                    why or "missing (not encoded)",
                    "an intact shard; re-run to re-encode it",
                )
            yield self.bounds(i)[0], arr
            del arr  # drop the mapping: pages are not held past use
