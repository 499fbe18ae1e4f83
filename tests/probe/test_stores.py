"""Real ``harness run`` processes over damaged on-disk stores and misbehaving models: every
corruption is rebuilt, re-encoded or refused with the file named, every bad model output is a
one-line error naming the system and the batch, and no score changes silently.

The data is a tiny BEIR folder of 46 documents streamed into the corpus store
(``HARNESS_STORE_MIN_BYTES=0``) and searched by ``hashing`` through the corpus embedding cache in
shards of 16 rows (three shards), so one process exercises both stores.
"""

from __future__ import annotations

import json
import os
import random
import resource
import signal
import subprocess
import sys
from typing import TYPE_CHECKING

import numpy as np
import pytest

from tests.probe.helpers import REPO, Answer, assert_clean_error, harness, probe_env

if TYPE_CHECKING:
    from pathlib import Path

SYSTEM = ("-s", "hashing", "-o", "shard_rows=16")


def _write_data(root: Path) -> Path:
    """A BEIR folder (``scifact`` layout) of 46 documents and 12 one-answer queries."""
    rng = random.Random(0)
    words = [f"w{i}" for i in range(120)]
    folder = root / "scifact"
    (folder / "qrels").mkdir(parents=True)
    docs = [(f"doc{i:02d}", " ".join(rng.sample(words, 10))) for i in range(46)]
    with (folder / "corpus.jsonl").open("w") as f:
        for d, t in docs:
            f.write(json.dumps({"_id": d, "title": "", "text": t}) + "\n")
    with (folder / "queries.jsonl").open("w") as f, (folder / "qrels" / "test.tsv").open("w") as g:
        g.write("query-id\tcorpus-id\tscore\n")
        for q in range(12):
            d, t = docs[q * 3]
            f.write(json.dumps({"_id": f"q{q}", "text": " ".join(t.split()[:2])}) + "\n")
            g.write(f"q{q}\t{d}\t1\n")
    return root


class Env:
    """One cache folder and data folder; each run gets its own results folder."""

    def __init__(self, root: Path, numba: Path) -> None:
        self.root, self.data, self.cache = root, _write_data(root / "data"), root / "cache"
        self.numba = numba
        self.n = 0

    def run(self, *system: str, **env: str) -> tuple[Answer, Path]:
        self.n += 1
        results = self.root / f"results{self.n}"
        settings = {
            "HARNESS_CACHE_DIR": str(self.cache),
            "HARNESS_STORE_MIN_BYTES": "0",
            "NUMBA_CACHE_DIR": str(self.numba),
            **env,
        }
        a = harness(
            "run", "-t", "beir/scifact", *(system or SYSTEM), "--data-dir", str(self.data),
            "--results", str(results), "--device", "cpu", "--quiet", "--json", **settings,
        )  # fmt: skip
        return a, results

    def run_file(self, *system: str, **env: str) -> bytes:
        """The run file of a run that must succeed without a traceback."""
        a, results = self.run(*system, **env)
        assert a.rc == 0 and "Traceback" not in a.err, a.err[-3000:]
        return next(results.rglob("run.trec")).read_bytes()

    @property
    def corpus_store(self) -> Path:
        (folder,) = _stores(self.cache)
        return folder

    @property
    def emb_store(self) -> Path:
        (folder,) = (self.cache / "embstore").glob("*/*")
        return folder


def _stores(cache: Path) -> list[Path]:
    corpora = cache / "corpora"
    return [p for p in corpora.iterdir() if p.name != "by-source" and not p.name.startswith(".")]


@pytest.fixture(scope="module")
def numba_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("numba")  # ranx's kernels compile once for the module


@pytest.fixture
def env(tmp_path: Path, numba_cache: Path) -> Env:
    return Env(tmp_path, numba_cache)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, numba_cache: Path) -> bytes:
    """The run file every repaired store must reproduce byte for byte."""
    return Env(tmp_path_factory.mktemp("clean"), numba_cache).run_file()


def _flip(path: Path, needle: bytes) -> None:
    raw = bytearray(path.read_bytes())
    raw[raw.index(needle)] ^= 0x01
    path.write_bytes(bytes(raw))


# ---------------------------------------------------------------- the corpus store
CORPUS_DAMAGE = {
    "truncated-docs-arrow": "docs.arrow",
    "wrong-n-in-meta": "meta.json",
    "flipped-idhash": "idhash.npy",
    "meta-of-an-old-format": "meta.json",
}


@pytest.mark.parametrize("damage", CORPUS_DAMAGE)
def test_damaged_corpus_store_is_rebuilt_naming_the_file(
    env: Env, clean: bytes, damage: str
) -> None:
    assert env.run_file() == clean
    folder = env.corpus_store
    docs, meta = folder / "docs.arrow", folder / "meta.json"
    if damage == "truncated-docs-arrow":
        docs.write_bytes(docs.read_bytes()[: docs.stat().st_size // 2])
    elif damage == "wrong-n-in-meta":
        meta.write_text(json.dumps({**json.loads(meta.read_text()), "n": 40}))
    elif damage == "flipped-idhash":
        raw = bytearray((folder / "idhash.npy").read_bytes())
        raw[-5] ^= 0xFF
        (folder / "idhash.npy").write_bytes(bytes(raw))
    else:
        m = json.loads(meta.read_text())
        meta.write_text(json.dumps({k: m[k] for k in ("content_hash", "n", "source")}))
    a, results = env.run()
    assert a.rc == 0 and "Traceback" not in a.err, a.err[-3000:]
    assert str(folder / CORPUS_DAMAGE[damage]) in a.err and "rebuilding" in a.err, a.err
    assert "ArrowInvalid" not in a.err and "corpus embedding cache" not in a.err
    assert next(results.rglob("run.trec")).read_bytes() == clean  # all 46 documents, same scores


def test_flipped_byte_in_a_document_id_is_never_a_silent_change(env: Env, clean: bytes) -> None:
    assert env.run_file() == clean
    folder = env.corpus_store
    _flip(folder / "docs.arrow", b"doc07")  # "doc07" -> "eoc07": same size, another id
    a, _ = env.run()
    assert_clean_error(a, str(folder / "docs.arrow"), "fails its checksum", "rebuilt")
    assert env.run_file() == clean  # the next run rebuilds the store from corpus.jsonl


def test_cache_verify_finds_and_repairs(env: Env, clean: bytes) -> None:
    env.run_file()
    cache = ("cache", "verify", "--cache-dir", str(env.cache))
    ok = harness(*cache)
    assert ok.rc == 0 and "2 intact, 0 damaged" in ok.out, ok.out + ok.err
    folder, shards = env.corpus_store, env.emb_store
    _flip(folder / "docs.arrow", b"w1")  # a text, not an id
    (shards / "shard-00001.npy").write_bytes((shards / "shard-00001.npy").read_bytes()[:-4])
    bad = harness(*cache)
    assert bad.rc == 1 and "Traceback" not in bad.err, bad.err
    assert str(folder / "docs.arrow") in bad.out and str(shards / "shard-00001.npy") in bad.out
    fixed = harness(*cache, "--repair")
    assert fixed.rc == 1 and "REMOVED" in fixed.out and not folder.exists()
    assert env.run_file() == clean
    assert harness(*cache).rc == 0


def test_edited_corpus_with_size_and_mtime_kept_is_a_new_store(env: Env, clean: bytes) -> None:
    env.run_file()
    path = env.data / "scifact" / "corpus.jsonl"
    st = path.stat()
    text = path.read_text()
    first = text.splitlines()[0]  # doc00, the answer to q0 (its first two words)
    word = json.loads(first)["text"].split()[0]
    other = "w" + ("8" if word[1:] == "9" * (len(word) - 1) else "9") * (len(word) - 1)
    path.write_text(text.replace(first, first.replace(word, other, 1), 1))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    after = env.run_file()
    fresh = Env(env.root / "fresh", env.numba)  # the edited corpus in an empty cache
    fresh.data = env.data
    assert after == fresh.run_file()
    assert len(_stores(env.cache)) == 2 and after != clean


# ---------------------------------------------------------------- the corpus embedding cache
def test_another_shards_valid_pair_is_re_encoded(env: Env, clean: bytes) -> None:
    env.run_file()
    shards = env.emb_store
    for ext in ("npy", "json"):
        (shards / f"shard-00001.{ext}").write_bytes((shards / f"shard-00000.{ext}").read_bytes())
    a, results = env.run()
    assert a.rc == 0 and "Traceback" not in a.err, a.err[-3000:]
    assert str(shards / "shard-00001.npy") in a.err and "re-encoding" in a.err, a.err
    assert json.loads(a.out)["stats"]["embedding_shards_encoded"] == 1
    assert next(results.rglob("run.trec")).read_bytes() == clean


def test_nan_shard_with_a_valid_sidecar_is_re_encoded(env: Env, clean: bytes) -> None:
    import zlib

    env.run_file()
    shards = env.emb_store
    nan = np.full((16, 384), np.nan, np.float32)
    np.save(shards / "shard-00002.npy", nan[:14])  # the last shard holds rows 32..45
    side = shards / "shard-00002.json"
    crc = zlib.crc32(memoryview(nan[:14]).cast("B"))
    side.write_text(json.dumps({**json.loads(side.read_text()), "crc32": crc}))
    a, results = env.run()
    assert a.rc == 0 and "Traceback" not in a.err, a.err[-3000:]
    assert str(shards / "shard-00002.npy") in a.err and "NaN" in a.err, a.err
    assert next(results.rglob("run.trec")).read_bytes() == clean


def test_old_sidecars_are_re_encoded(env: Env, clean: bytes) -> None:
    env.run_file()
    for side in env.emb_store.glob("shard-*.json"):
        info = json.loads(side.read_text())
        side.write_text(json.dumps({k: info[k] for k in ("rows", "dim", "dtype", "crc32")}))
    a, results = env.run()
    assert a.rc == 0 and json.loads(a.out)["stats"]["embedding_shards_encoded"] == 3, a.err
    assert next(results.rglob("run.trec")).read_bytes() == clean


def _limited(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_full_disk_in_the_embedding_store_names_the_path(env: Env) -> None:
    """Files may not grow past 20 KB: the corpus store (a few KB) fits, a shard (24 KB) does
    not: numpy reports a short write with no errno, which must still name the file."""
    env.run_file("-s", "overlap")  # builds the corpus store only
    p = subprocess.run(
        [sys.executable, "-m", "tests.probe.launcher", "run", "-t", "beir/scifact", *SYSTEM,
         "--data-dir", str(env.data), "--results", str(env.root / "r"), "--device", "cpu",
         "--quiet"],
        cwd=REPO, capture_output=True, text=True, timeout=300, preexec_fn=lambda: _limited(20000),
        env=probe_env(HARNESS_CACHE_DIR=str(env.cache), HARNESS_STORE_MIN_BYTES="0",
                      NUMBA_CACHE_DIR=str(env.numba)),
    )  # fmt: skip
    a = Answer(p.returncode, p.stdout, p.stderr)
    assert_clean_error(a, "cannot write", "shard-00000.npy", str(env.cache))
    assert len(a.err.strip().splitlines()) == 1, a.err
    assert not list(env.emb_store.glob(".shard-*"))  # no temporary file left behind


# ---------------------------------------------------------------- model output
# dense keeps this corpus in memory: its vectors go through the SQLite embedding cache.
_MEMORY = {"baddense": {"HARNESS_STORE_MIN_BYTES": str(2**30)}}
BAD_VECTORS = ["fewer", "oned", "none", "str", "ragged", "dims", "nan", "posinf"]


@pytest.mark.parametrize("bad", BAD_VECTORS)
@pytest.mark.parametrize("system", ["badenc", "badstore", "baddense"])
def test_bad_encoder_output_is_a_clear_error(env: Env, system: str, bad: str) -> None:
    a, results = env.run("-s", system, PROBE_BAD=bad, **_MEMORY.get(system, {}))
    name = "dense" if system == "baddense" else system
    assert_clean_error(a, f"system '{name}', ")
    assert "documents" in a.err or "queries" in a.err, a.err
    assert len(a.err.strip().splitlines()) == 1, a.err
    assert not list(results.rglob("run.trec"))


@pytest.mark.parametrize("system", ["badstore", "baddense"])
def test_bad_output_is_never_stored(env: Env, system: str) -> None:
    """A model that returned one vector too few, then a good one: the good run's scores equal
    those of an empty cache (nothing misaligned was cached or stored in a shard)."""
    where = _MEMORY.get(system, {})
    for bad in ("fewer", "nan", "dims"):
        assert env.run("-s", system, PROBE_BAD=bad, **where)[0].rc == 2
    after = env.run_file("-s", system, **where)
    fresh = Env(env.root / "fresh", env.numba)
    fresh.data = env.data
    assert after == fresh.run_file("-s", system, **where)


@pytest.mark.parametrize("bad", ["fewer", "none", "str", "nan", "posinf"])
def test_bad_scorer_output_is_a_clear_error(env: Env, bad: str) -> None:
    a, results = env.run("-s", "overlap>badscore", PROBE_BAD=bad)
    assert_clean_error(a, "system 'badscore'", "query 'q")
    assert not list(results.rglob("run.trec"))


def test_nan_scores_from_a_retriever_are_refused(env: Env) -> None:
    a, results = env.run("-s", "nanrun")
    assert_clean_error(a, "system 'nanrun'", "score nan", "finite")
    assert not list(results.rglob("run.trec"))
