"""Identities of a task's data, recorded with every result: which files and which labels.

Local data is identified by the sha256 of its files; hashing is done once per file version
(path, size, modification time) and cached under the cache dir, so a repeated run costs a few
``stat`` calls. Qrels are identified by the sha256 of their canonical text, independent of the
file format they were read from.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

_CACHE_NAME = "file-sha256.json"


def qrels_sha256(qrels: Mapping[str, Mapping[str, int]]) -> str:
    """sha256 over ``qid\\tdocid\\tgrade\\n`` lines sorted by query then document id."""
    h = hashlib.sha256()
    for q in sorted(qrels):
        for d in sorted(qrels[q]):
            h.update(f"{q}\t{d}\t{int(qrels[q][d])}\n".encode())
    return h.hexdigest()


def queries_sha256(queries: Mapping[str, str]) -> str:
    """sha256 over ``qid\\ttext\\n`` lines sorted by query id (the queries a run was asked)."""
    h = hashlib.sha256()
    for q in sorted(queries):
        h.update(f"{q}\t{queries[q]}\n".encode())
    return h.hexdigest()


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def files_sha256(root: Path, cache_dir: Path | None = None) -> str:
    """sha256 of a file, or of a folder as ``relative path\\0file sha256\\n`` lines in path order.

    Per-file digests are cached by (absolute path, size, mtime_ns) in ``cache_dir``; a changed
    file gets a new key, so a stale digest is never used.
    """
    root = Path(root)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    cache_path = Path(cache_dir) / _CACHE_NAME if cache_dir else None
    cache: dict[str, str] = {}
    if cache_path and cache_path.exists():
        try:
            cache = json.loads(cache_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            cache = {}  # a damaged cache is only a lost speed-up
    dirty = False
    h = hashlib.sha256()
    for f in files:
        st = f.stat()
        key = f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}"
        digest = cache.get(key)
        if digest is None:
            digest = cache[key] = _file_sha256(f)
            dirty = True
        rel = f.name if f == root else f.relative_to(root).as_posix()
        h.update(f"{rel}\0{digest}\n".encode())
    if dirty and cache_path:
        from ir_harness.data.formats import atomic_write_text

        cache_path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(cache_path, json.dumps(cache, sort_keys=True))
    return h.hexdigest()


def local_roots(location: str) -> list[str]:
    """The data-dir folders a local source's ``location`` names: the first path component of
    each comma-separated entry (``"trec-dl/2019qrels-pass.txt"`` -> ``["trec-dl"]``)."""
    roots = [part.strip().split("/")[0] for part in location.split(",")]
    return sorted({r for r in roots if r and r not in (".", "..")})


def sources_identity(
    sources: Iterable[Any], data_dir: Path | None, cache_dir: Path | None
) -> list[dict[str, str]]:
    """Each data source of a spec with what pins it: ``sha256`` of the local folders that exist,
    ``revision`` of online ones ("unpinned" when the loader takes the latest version)."""
    out: list[dict[str, str]] = []
    for src in sources:
        item = {"kind": src.kind, "location": src.location}
        if src.kind == "local":
            if data_dir is None:
                continue
            for r in local_roots(src.location):
                path = Path(data_dir) / r
                if path.exists():
                    out.append({**item, "root": str(path), "sha256": files_sha256(path, cache_dir)})
            continue
        if src.kind in ("hf", "ir_datasets"):
            item["revision"] = src.revision or _default_revision(src.kind)
        out.append(item)
    return out


def _default_revision(kind: str) -> str:
    if kind == "ir_datasets":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return f"ir_datasets {version('ir_datasets')}"
        except PackageNotFoundError:
            return "ir_datasets (not installed)"
    return "unpinned"


def data_identity(
    spec: Any,
    data_dir: Path | None,
    qrels: Mapping[str, Mapping[str, int]] | None,
    cache_dir: Path | None = None,
) -> dict[str, Any]:
    """What a result's metadata records about its data: sources and the qrels' sha256."""
    out: dict[str, Any] = {"sources": sources_identity(spec.sources, data_dir, cache_dir)}
    if qrels is not None:
        out["qrels_sha256"] = qrels_sha256(qrels)
    return out
