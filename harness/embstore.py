"""An on-disk store of document embeddings, per (model fingerprint, corpus content hash).

Layout: ``<root>/embstore/<fingerprint>/<corpus hash>/`` holds ``manifest.json`` (rows, shard
size, dtype, dimension once known) and fixed-size shards ``shard-00000.npy`` (rows
``i*shard_rows ..``), each with a ``shard-00000.json`` sidecar written after it: rows, dimension,
dtype and a crc32 of the array bytes. A shard counts only when its sidecar exists and the array
matches it, so a killed encode resumes at the first missing shard, a re-run encodes nothing, and
a corrupt or truncated shard is re-encoded, never used. Shards are memory-mapped when read;
every shard is verified once per process before use. Writers of different shards never touch
the same file, so Ray actors can fill one store concurrently (the sidecars are the manifest's
per-shard entries).

Query embeddings stay in the content-keyed SQLite cache (:mod:`harness.embcache`).
"""

from __future__ import annotations

import json
import os
import tempfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.errors import ConfigError, DataFormatError
from harness.paths import with_path
from harness.runtime import log

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from harness.data import Corpus

# A multiple of the top-k kernel's corpus chunk (16384): streaming over shards then computes
# exactly the score blocks the in-memory path computes (same run file).
DEFAULT_SHARD_ROWS = 65536
_CRC_STEP = 1 << 26  # verify 64 MiB at a time


def npy_path(folder: Path, i: int) -> Path:
    return folder / f"shard-{i:05d}.npy"


def _crc(arr: np.ndarray) -> int:
    buf = memoryview(np.ascontiguousarray(arr)).cast("B")  # type: ignore[arg-type]
    crc = 0
    for i in range(0, len(buf), _CRC_STEP):
        crc = zlib.crc32(buf[i : i + _CRC_STEP], crc)
    return crc


def _write_atomic(path: Path, write: Callable[[Any], None], binary: bool = True) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb" if binary else "w") as f:
            write(f)
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        named = with_path(e, path, "writing")
        if named is e:
            raise
        raise named from e
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class EmbeddingStore:
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
            raise ConfigError(f"embedding store dtype {dtype!r}: expected float32 or float16")
        name = f"{corpus_hash[:32]}-{int(shard_rows)}-{dtype}"
        self.folder = Path(root) / "embstore" / fingerprint / name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.n, self.shard_rows, self.dtype = int(n), int(shard_rows), dtype
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
            have = json.loads(manifest.read_text(encoding="utf-8"))
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
        return i * self.shard_rows, min(self.n, (i + 1) * self.shard_rows)

    def _paths(self, i: int) -> tuple[Path, Path]:
        return npy_path(self.folder, i), self.folder / f"shard-{i:05d}.json"

    # ---------------------------------------------------------------- verification
    def _check(self, i: int) -> np.ndarray | None:
        """The memory-mapped shard if it is complete and intact, else None (with the reason
        logged when a shard exists but is bad)."""
        npy, side = self._paths(i)
        if i in self._verified:
            return np.load(npy, mmap_mode="r")  # type: ignore[no-any-return]
        if not side.exists() or not npy.exists():
            return None
        start, stop = self.bounds(i)
        try:
            info = json.loads(side.read_text(encoding="utf-8"))
            arr = np.load(npy, mmap_mode="r")
        except (OSError, ValueError, json.JSONDecodeError) as e:
            log.warning("embedding store: shard %d unreadable (%s); re-encoding it", i, e)
            return None
        dim = self.dim or info.get("dim")
        problems = []
        if arr.shape != (stop - start, dim) or info.get("rows") != stop - start:
            problems.append(f"shape {arr.shape}, expected ({stop - start}, {dim})")
        if str(arr.dtype) != self.dtype:
            problems.append(f"dtype {arr.dtype}, expected {self.dtype}")
        if not problems and _crc(arr) != info.get("crc32"):
            problems.append("checksum mismatch")
        if problems:
            log.warning("embedding store: shard %s is corrupt (%s); re-encoding it", npy, problems)
            return None
        self._verified.add(i)
        return arr

    def missing(self) -> list[int]:
        """Shards that still have to be encoded (absent, partial or corrupt)."""
        return [i for i in range(self.n_shards) if self._check(i) is None]

    # ---------------------------------------------------------------- writing
    def write_shard(self, i: int, vecs: np.ndarray) -> None:
        start, stop = self.bounds(i)
        arr = np.ascontiguousarray(vecs, dtype=self.dtype)
        if arr.ndim != 2 or arr.shape[0] != stop - start:
            raise ValueError(f"shard {i}: got {arr.shape}, expected {stop - start} rows")
        if self.dim is not None and arr.shape[1] != self.dim:
            raise DataFormatError(
                npy_path(self.folder, i), None, f"dimension {arr.shape[1]}", f"{self.dim}"
            )
        npy, side = self._paths(i)
        side.unlink(missing_ok=True)  # the old sidecar must not vouch for the new array
        self._verified.discard(i)
        _write_atomic(npy, lambda f: np.save(f, arr))
        info = {"rows": stop - start, "dim": int(arr.shape[1]), "dtype": self.dtype}
        info["crc32"] = _crc(arr)
        _write_atomic(side, lambda f: f.write(json.dumps(info)), binary=False)

    def encode_shard(
        self, i: int, corpus: Corpus, encode: Callable[[list[str]], np.ndarray], batch_size: int
    ) -> int:
        """Encode rows of shard ``i`` batch by batch into one shard array; returns rows."""
        start, stop = self.bounds(i)
        out: np.ndarray | None = None
        row = 0
        for _, texts in corpus.batches(batch_size, start, stop):
            vecs = np.asarray(encode(texts))
            if out is None:
                out = np.empty((stop - start, vecs.shape[1]), dtype=self.dtype)
            out[row : row + len(texts)] = vecs
            row += len(texts)
        assert out is not None and row == stop - start, f"shard {i}: read {row} rows"
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
            arr = self._check(i)
            if arr is None:
                raise DataFormatError(
                    npy_path(self.folder, i), None, "missing or corrupt", "re-run to re-encode it"
                )
            yield self.bounds(i)[0], arr
            del arr  # drop the mapping: pages are not held past use
