"""The full check of the on-disk stores in a cache folder (``harness cache verify``).

Runs never do this much work: they check sizes and small indexes on open and each piece when it
is first read. This re-reads everything: every corpus store's files against their recorded
sha256 and its documents against its content hash; every embedding shard against its sidecar
(index, row range, corpus hash, model fingerprint, crc32) and for non-finite values. With
``repair`` a damaged store (or shard) is removed, so the next run rebuilds (re-encodes) it.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ir_harness.errors import HarnessError


@dataclass
class Finding:
    """One store (or shard) checked: ``problem`` is None when it is intact."""

    path: Path
    what: str
    problem: str | None = None
    repaired: bool = False


def _remove(path: Path) -> None:
    """Rename aside, then delete: a concurrent reader never sees half a folder."""
    if path.is_dir():
        aside = Path(tempfile.mkdtemp(dir=path.parent, prefix=".removed-"))
        path.rename(aside / path.name)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def verify_corpora(root: Path, repair: bool = False) -> list[Finding]:
    """A finding per corpus store under ``root``, fully verified; ``repair`` deletes bad ones."""
    from ir_harness.corpus.store import StoredCorpus
    from ir_harness.errors import StoreCorruptError

    base = root / "corpora"
    out: list[Finding] = []
    if not base.is_dir():
        return out
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        if folder.name.startswith(".") or folder.name == "by-source":
            continue
        try:
            store = StoredCorpus(folder)
            store.verify()
            out.append(Finding(folder, f"corpus store ({len(store)} documents)"))
        except StoreCorruptError as e:
            f = Finding(folder, "corpus store", str(e))
            if repair:
                _remove(folder)
                f.repaired = True
            out.append(f)
    return out


def verify_embeddings(root: Path, repair: bool = False) -> list[Finding]:
    """A finding per corpus embedding cache and bad shard; ``repair`` drops its sidecar to re-encode."""
    from ir_harness.cache.corpus_embeddings import CorpusEmbeddingCache, npy_path

    out: list[Finding] = []
    base = root / "embstore"
    if not base.is_dir():
        return out
    for manifest in sorted(base.glob("*/*/manifest.json")):
        folder = manifest.parent
        try:
            m = json.loads(manifest.read_text(encoding="utf-8"))
            store = CorpusEmbeddingCache(
                root,
                folder.parent.name,
                str(m["corpus_hash"]),
                int(m["n"]),
                int(m["shard_rows"]),
                str(m["dtype"]),
            )
            if store.folder != folder:
                raise ValueError(f"its fields name another folder, {store.folder}")
        except (OSError, ValueError, KeyError, TypeError, HarnessError) as e:
            f = Finding(manifest, "corpus embedding cache", f"{manifest}: unreadable ({e})")
            if repair:
                _remove(folder)
                f.repaired = True
            out.append(f)
            continue
        missing = 0
        for i in range(store.n_shards):
            arr, why = store.inspect(i, force=True)
            if arr is None and why is None:
                missing += 1
            elif why is not None:
                npy = npy_path(folder, i)
                f = Finding(npy, "embedding shard", f"{npy}: {why}")
                if repair:
                    _remove(npy.with_suffix(".json"))  # no sidecar: re-encoded by the next run
                    f.repaired = True
                out.append(f)
            del arr
        note = f", {missing} not encoded yet" if missing else ""
        out.append(Finding(folder, f"corpus embedding cache ({store.n_shards} shards{note})"))
    return out


def verify_cache(root: Path, repair: bool = False) -> list[Finding]:
    """Every corpus store and corpus embedding cache under ``root``, fully checked."""
    if not root.is_dir():
        raise HarnessError(f"cache folder {root} does not exist (set $HARNESS_CACHE_DIR?)")
    return verify_corpora(root, repair) + verify_embeddings(root, repair)
