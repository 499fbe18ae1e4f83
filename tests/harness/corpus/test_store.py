"""The on-disk corpus store: same ids, order, texts and content hash as the in-memory corpus."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

from ir_harness.corpus.store import StoredCorpus, open_or_build, write_store
from ir_harness.data.model import Corpus, Document
from ir_harness.errors import DataFormatError, StoreCorruptError

if TYPE_CHECKING:
    from pathlib import Path

DOCS = [
    Document("d3", "third text", "Title three"),
    Document("d1", "first text"),
    Document("d2", "second, with ünïcode"),
]


def test_stored_corpus_matches_in_memory(tmp_path: Path) -> None:
    mem = Corpus(DOCS)
    stored = StoredCorpus(write_store(tmp_path, iter(DOCS)))
    assert stored.content_hash == mem.content_hash
    assert len(stored) == 3 and stored.ids() == ["d3", "d1", "d2"]
    assert stored.texts() == mem.texts()
    assert stored["d3"] == DOCS[0] and stored["d2"].text == "second, with ünïcode"
    assert "d1" in stored and "nope" not in stored
    with pytest.raises(KeyError):
        stored["nope"]
    assert list(stored.batches(2)) == list(mem.batches(2))
    assert list(stored.batches(1, start=1, stop=3)) == [
        (["d1"], ["first text"]),
        (["d2"], [DOCS[2].text]),
    ]
    assert stored.ids_at([2, 0]) == mem.ids_at([2, 0]) == ["d2", "d3"]
    assert stored.subset(["d2", "x"]).ids() == ["d2"]


def test_many_batches_random_access(tmp_path: Path) -> None:
    docs = [Document(f"id{i}", f"text {i}") for i in range(20000)]  # three record batches
    stored = StoredCorpus(write_store(tmp_path, iter(docs)))
    assert stored["id19999"].text == "text 19999" and stored["id8192"].text == "text 8192"
    assert stored.ids_at([19999, 3, 8192, 3]) == ["id19999", "id3", "id8192", "id3"]
    with pytest.raises(IndexError):
        stored.ids_at([20000])
    assert stored.content_hash == Corpus(docs).content_hash
    assert sum(len(ids) for ids, _ in stored.batches(5000)) == 20000


def test_missing_ids_in_one_pass_agree_with_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batched membership check gives what ``in`` gives, over several record batches,
    duplicates, non-strings and a 64-bit hash collision (ids forced to share a hash)."""
    from ir_harness.corpus import store as store_mod

    real = store_mod.id_hash

    def colliding(doc_id: str) -> int:
        return real("id7") if doc_id in ("id7", "id9000", "ghost") else real(doc_id)

    monkeypatch.setattr(store_mod, "id_hash", colliding)
    docs = [Document(f"id{i}", f"text {i}") for i in range(20000)]
    stored = StoredCorpus(write_store(tmp_path, iter(docs)))
    asked = ["id7", "id9000", "ghost", "nope", "id19999", "id3", "nope", "", 5, "id20000"]
    want = {d for d in asked if isinstance(d, str) and d not in stored}
    assert want == {"ghost", "nope", "", "id20000"}
    assert stored.missing_ids(asked) == want  # type: ignore[arg-type]
    assert stored.missing_ids([]) == set()


def test_duplicate_id_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="'d1' occurs more than once"):
        write_store(tmp_path, iter([*DOCS, Document("d1", "again")]), source="corpus.jsonl")
    assert not [p for p in (tmp_path / "corpora").iterdir() if p.name.startswith(".")]


def test_source_is_streamed_once(tmp_path: Path) -> None:
    calls = []

    def docs() -> list[Document]:
        calls.append(1)
        return DOCS

    a = open_or_build(tmp_path, "src-key", docs)
    b = open_or_build(tmp_path, "src-key", docs)
    assert calls == [1] and a.folder == b.folder and b.ids() == ["d3", "d1", "d2"]


def test_pickles_as_its_folder(tmp_path: Path) -> None:
    import pickle

    stored = StoredCorpus(write_store(tmp_path, iter(DOCS)))
    again = pickle.loads(pickle.dumps(stored))
    assert again.folder == stored.folder and again["d1"] == DOCS[1]


# ---------------------------------------------------------------- stores verify what they read
def _build(tmp_path: Path) -> Path:
    return open_or_build(tmp_path, "src-key", lambda: DOCS).folder


def _flip(path: Path, needle: bytes) -> None:
    raw = bytearray(path.read_bytes())
    at = raw.index(needle)
    raw[at] ^= 0x01
    path.write_bytes(bytes(raw))


def test_meta_records_checksums(tmp_path: Path) -> None:
    meta = json.loads((_build(tmp_path) / "meta.json").read_text())
    assert meta["format"] == 2 and set(meta["files"]) == {"docs.arrow", "idhash.npy", "rows.npy"}
    assert all(len(f["sha256"]) == 64 and f["size"] > 0 for f in meta["files"].values())
    assert [rows for rows, _ in meta["batches"]] == [3]


@pytest.mark.parametrize(
    "damage,file",
    [
        ("truncate-docs", "docs.arrow"),
        ("flip-doc-id", "docs.arrow"),
        ("wrong-n", "meta.json"),
        ("flip-idhash", "idhash.npy"),
        ("old-format", "meta.json"),
        ("no-meta", "meta.json"),
        ("malformed-checksums", "meta.json"),
        ("meta-not-json", "meta.json"),
    ],
)
def test_damage_is_named_and_rebuilt(tmp_path: Path, damage: str, file: str) -> None:
    folder = _build(tmp_path)
    docs, meta = folder / "docs.arrow", folder / "meta.json"
    if damage == "truncate-docs":
        docs.write_bytes(docs.read_bytes()[:-40])
    elif damage == "flip-doc-id":
        _flip(docs, b"d3")  # "d3" -> "e3": same size, a different id
    elif damage == "wrong-n":
        m = json.loads(meta.read_text())
        meta.write_text(json.dumps({**m, "n": 2}))
    elif damage == "flip-idhash":
        raw = bytearray((folder / "idhash.npy").read_bytes())
        raw[-3] ^= 0xFF
        (folder / "idhash.npy").write_bytes(bytes(raw))
    elif damage == "old-format":
        m = json.loads(meta.read_text())
        meta.write_text(json.dumps({k: m[k] for k in ("content_hash", "n", "source")}))
    elif damage == "malformed-checksums":
        m = json.loads(meta.read_text())
        meta.write_text(json.dumps({**m, "files": {"docs.arrow": 3}, "batches": "x"}))
    elif damage == "meta-not-json":
        meta.write_text("{truncated")
    else:
        meta.unlink()
    with pytest.raises(StoreCorruptError, match=re.escape(str(folder / file))):
        store = StoredCorpus(folder)
        store.ids()  # the flipped id is found when its batch is first read
    again = open_or_build(tmp_path, "src-key", lambda: DOCS)  # rebuilt from its source
    assert again.folder == folder and again.ids() == ["d3", "d1", "d2"]
    again.verify()


def test_flipped_byte_mid_run_marks_the_store_for_a_rebuild(tmp_path: Path) -> None:
    folder = _build(tmp_path)
    _flip(folder / "docs.arrow", b"third")
    store = StoredCorpus(folder)  # the cheap check on open does not read the texts
    with pytest.raises(StoreCorruptError, match="record batch 0 .* fails its checksum"):
        store.texts()
    with pytest.raises(StoreCorruptError, match="fails its checksum"):
        StoredCorpus(folder)  # marked damaged: never opened again as it is
    calls = []
    rebuilt = open_or_build(tmp_path, "src-key", lambda: calls.append(1) or DOCS)
    assert calls == [1] and rebuilt["d3"].text == "third text"


def test_full_verify_finds_what_the_cheap_check_does_not(tmp_path: Path) -> None:
    folder = _build(tmp_path)
    _flip(folder / "docs.arrow", b"first")
    with pytest.raises(StoreCorruptError, match="docs.arrow: sha256 mismatch"):
        StoredCorpus(folder).verify()
    meta = folder / "meta.json"
    folder2 = _build(tmp_path / "b")
    m = json.loads((folder2 / "meta.json").read_text())
    (folder2 / "meta.json").write_text(json.dumps({**m, "content_hash": "0" * 64}))
    with pytest.raises(StoreCorruptError, match="content hash differs"):
        StoredCorpus(folder2).verify()
    assert meta.exists()


def test_arrow_errors_never_escape(tmp_path: Path) -> None:
    folder = _build(tmp_path)
    (folder / "docs.arrow").write_bytes(b"not arrow at all")
    m = json.loads((folder / "meta.json").read_text())
    m["files"]["docs.arrow"]["size"] = 16  # sizes agree: the Arrow reader itself must fail
    (folder / "meta.json").write_text(json.dumps(m))
    with pytest.raises(StoreCorruptError, match="docs.arrow: not a readable Arrow file"):
        StoredCorpus(folder)
