"""``harness cache verify``: every store re-read in full, each damage named, ``--repair`` removes it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ir_harness.cache.corpus_embeddings import CorpusEmbeddingCache
from ir_harness.cache.verify import verify_cache
from ir_harness.corpus.store import open_or_build
from ir_harness.data.model import Document

if TYPE_CHECKING:
    from pathlib import Path

DOCS = [Document(f"d{i}", f"text number {i}") for i in range(5)]


def _fill(root: Path) -> tuple[Path, CorpusEmbeddingCache]:
    corpus = open_or_build(root, "k", lambda: DOCS)
    store = CorpusEmbeddingCache(root, "fp", corpus.content_hash, len(corpus), shard_rows=2)
    for i in store.missing():
        store.write_shard(i, np.ones((store.bounds(i)[1] - store.bounds(i)[0], 3), np.float32))
    store.finish()
    return corpus.folder, store


def test_intact_cache(tmp_path: Path) -> None:
    _fill(tmp_path)
    found = verify_cache(tmp_path)
    assert [f.problem for f in found] == [None, None]
    assert "5 documents" in found[0].what and "3 shards" in found[1].what


def test_damage_is_named_and_repaired(tmp_path: Path) -> None:
    folder, store = _fill(tmp_path)
    raw = bytearray((folder / "docs.arrow").read_bytes())
    raw[raw.index(b"number 3")] ^= 0x20  # same size: only the full check sees it
    (folder / "docs.arrow").write_bytes(bytes(raw))
    (store.folder / "shard-00002.npy").write_bytes((store.folder / "shard-00000.npy").read_bytes())
    bad = [f for f in verify_cache(tmp_path) if f.problem]
    assert len(bad) == 2
    assert "docs.arrow" in bad[0].problem and "shard-00002.npy" in bad[1].problem  # type: ignore[operator]
    fixed = verify_cache(tmp_path, repair=True)
    assert sum(f.repaired for f in fixed) == 2 and not folder.exists()
    assert CorpusEmbeddingCache(tmp_path, "fp", store.corpus_hash, 5, shard_rows=2).missing() == [2]
    again = open_or_build(tmp_path, "k", lambda: DOCS)  # rebuilt from its source
    assert again["d3"].text == "text number 3"


def test_cli(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ir_harness.cli import app

    _fill(tmp_path)
    ok = CliRunner().invoke(app, ["cache", "verify", "--cache-dir", str(tmp_path)])
    assert ok.exit_code == 0 and "2 intact, 0 damaged" in ok.output, ok.output
    (tmp_path / "embstore" / "fp").joinpath(
        next(p.name for p in (tmp_path / "embstore" / "fp").iterdir()), "shard-00001.npy"
    ).write_bytes(b"junk")
    bad = CliRunner().invoke(app, ["cache", "verify", "--cache-dir", str(tmp_path)])
    assert bad.exit_code == 1 and "DAMAGED" in bad.output and "shard-00001.npy" in bad.output
