"""Data identity in results: local files' sha256 (cached), online revisions, the qrels' sha256."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from ir_harness import evaluate
from ir_harness.data import identity as checksum
from ir_harness.data.identity import files_sha256, local_roots, qrels_sha256, sources_identity
from ir_harness.data.spec import DataSourceSpec

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def test_qrels_sha256_is_canonical_text_in_sorted_order() -> None:
    text = "q1\td1\t2\nq1\td2\t0\nq2\td1\t1\n"
    expected = hashlib.sha256(text.encode()).hexdigest()
    assert qrels_sha256({"q2": {"d1": 1}, "q1": {"d2": 0, "d1": 2}}) == expected
    assert qrels_sha256({"q2": {"d1": 1}, "q1": {"d2": 0, "d1": 3}}) != expected


def test_files_sha256_of_a_folder_and_its_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "data" / "ds"
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text('{"_id": "d1"}\n')
    (root / "qrels" / "test.tsv").write_text("q1\td1\t1\n")
    corpus_sha = hashlib.sha256(b'{"_id": "d1"}\n').hexdigest()
    qrels_sha = hashlib.sha256(b"q1\td1\t1\n").hexdigest()
    lines = [f"corpus.jsonl\0{corpus_sha}\n", f"qrels/test.tsv\0{qrels_sha}\n"]
    expected = hashlib.sha256("".join(lines).encode()).hexdigest()
    cache = tmp_path / "cache"
    assert files_sha256(root, cache) == expected

    calls: list[Any] = []
    real = checksum._file_sha256
    monkeypatch.setattr(checksum, "_file_sha256", lambda p: calls.append(p) or real(p))
    assert files_sha256(root, cache) == expected and calls == []  # cached: nothing re-read
    (root / "qrels" / "test.tsv").write_text("q1\td1\t2\n")
    assert files_sha256(root, cache) != expected and len(calls) == 1  # only the changed file
    assert json.loads((cache / "file-sha256.json").read_text())


def test_sources_identity_pins_local_by_sha256_and_online_by_revision(tmp_path: Path) -> None:
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "qrels.txt").write_text("q1 0 d1 1\n")
    sources = (
        DataSourceSpec(kind="local", location="ds/qrels.txt"),
        DataSourceSpec(kind="local", location="missing/qrels.txt"),
        DataSourceSpec(kind="hf", location="org/data"),
        DataSourceSpec(kind="hf", location="org/pinned", revision="abc123"),
    )
    ident = sources_identity(sources, tmp_path, tmp_path / "cache")
    assert [i.get("sha256", i.get("revision")) for i in ident] == [
        files_sha256(tmp_path / "ds"),
        "unpinned",
        "abc123",
    ]
    assert sources_identity(sources[:1], None, None) == []  # no data dir: nothing local to hash
    assert local_roots("stsb/a.csv, sick2014/b.txt") == ["sick2014", "stsb"]


def test_every_stored_result_records_the_qrels_sha256(tmp_path: Path) -> None:
    from ir_harness.registry import SYSTEMS, TASKS
    from tests.harness.fakes import OverlapRetriever, TinyTask

    TASKS.register("tiny", TinyTask)
    SYSTEMS.register("overlap", OverlapRetriever)
    out = evaluate(
        system="overlap",
        tasks="tiny",
        results=tmp_path / "results",
        progress=False,
        cache_dir=tmp_path / "cache",
    )
    qrels = TinyTask().load("", None).qrels
    meta = json.loads((out.path / "metadata.json").read_text())
    assert meta["data"]["qrels_sha256"] == qrels_sha256(qrels)
    assert meta["data"]["sources"] == []
