"""``harness reproduce`` on tiny tasks: identical, moved (with the stage that moved), refused."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path  # noqa: TC003

import numpy as np
import pytest

from ir_harness.api import evaluate
from ir_harness.errors import HarnessError
from ir_harness.registry import SYSTEMS, TASKS
from ir_harness.reproduce.data_check import DataMismatchError
from ir_harness.reproduce.rerun import NotReproducibleError, reproduce
from ir_harness.store.results import RunMetadata
from ir_harness.systems.hashing import HashingEmbedder
from tests.harness.fakes import OverlapRetriever, TinyFamily, TinyTask
from tests.harness.test_cli import run_main  # the CLI in-process, its exit code and output


class StoredHashing(HashingEmbedder):
    """The hashing embedder with its document vectors always in the corpus embedding cache."""

    always_store = True


@pytest.fixture(autouse=True)
def _register(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    TASKS.register("tiny", TinyTask)
    TASKS.register("fam", TinyFamily)
    SYSTEMS.register("overlap", OverlapRetriever)
    SYSTEMS.register("hashing-stored", StoredHashing)
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))  # a cache of its own


def edit_metadata(folder: Path, **changes: object) -> None:
    path = folder / "metadata.json"
    meta = json.loads(path.read_text())
    meta.update(changes)
    path.write_text(json.dumps(meta))


def test_an_unchanged_rerun_is_identical_and_leaves_the_original_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    res = evaluate("overlap", "tiny", results=tmp_path / "results")
    assert res.path is not None
    before = {p.name: p.read_bytes() for p in res.path.iterdir()}
    rep = reproduce(res.path, tmp_path / "scratch")
    assert rep.identical and rep.first_moved is None and not rep.deltas
    assert rep.agreement["rbo@10"] == 1.0 and rep.agreement["kendall_tau@100"] == 1.0
    assert {p.name: p.read_bytes() for p in res.path.iterdir()} == before
    assert (tmp_path / "scratch" / "run-1").is_dir()
    code, out, _ = run_main(
        monkeypatch, capsys, "reproduce", str(res.path), "--results", str(tmp_path / "s2")
    )
    assert code == 0 and "identical" in out


def test_a_changed_bm25_k1_is_reported_as_moved_candidates_or_scores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pyserini")
    from ir_harness.systems.bm25 import BM25

    res = evaluate("bm25", "demo", results=tmp_path / "results")
    assert res.path is not None
    # the code's default moved since the result was stored
    defaults = BM25.__init__.__defaults__
    assert defaults is not None and defaults[0] == 0.9
    monkeypatch.setattr(BM25.__init__, "__defaults__", (3.0, *defaults[1:]))
    rep = reproduce(res.path, tmp_path / "scratch")
    assert not rep.identical
    assert rep.first_moved in ("candidates", "scores")
    assert "stage bm25 parameter k1: 0.9 -> 3.0" in rep.settings
    assert rep.checks[-1].stage == "scores"
    code, out, _ = run_main(
        monkeypatch, capsys, "reproduce", str(res.path), "--results", str(tmp_path / "s2")
    )
    assert code == 1 and "first moved: " in out and "k1: 0.9 -> 3.0" in out


def test_a_perturbed_embedding_cache_entry_is_reported_as_the_embeddings_stage(
    tmp_path: Path,
) -> None:
    from ir_harness.cache.corpus_embeddings import CorpusEmbeddingCache

    res = evaluate("hashing-stored", "tiny", results=tmp_path / "results")
    assert res.path is not None
    shards = list((tmp_path / "cache" / "embstore").glob("*/*/shard-00000.npy"))
    assert len(shards) == 1
    corpus = TinyTask().load("", None).corpus
    store = CorpusEmbeddingCache(
        tmp_path / "cache", shards[0].parent.parent.name, corpus.content_hash, 3
    )
    vecs = np.load(shards[0]).copy()
    vecs[2] = vecs[0] * 0.5  # "blue sky" now looks like "red apples" (a valid, checksummed shard)
    store.write_shard(0, vecs)
    rep = reproduce(res.path, tmp_path / "scratch")
    assert not rep.identical
    emb = next(c for c in rep.checks if c.stage == "embeddings")
    assert rep.first_moved == "embeddings" and emb.moved
    assert emb.numbers["max_abs_diff"] > 0.1
    assert rep.deltas  # the per-query values moved too


def test_a_changed_cached_llm_answer_is_reported_as_the_llm_answers_stage(tmp_path: Path) -> None:
    res = evaluate(
        "overlap>rankgpt", "tiny", options={"llm": "oracle"}, results=tmp_path / "results"
    )
    assert res.path is not None
    db_path = tmp_path / "cache" / "llm" / "responses.sqlite"
    with sqlite3.connect(db_path) as db:
        rows = db.execute("SELECT key, value FROM resp").fetchall()
        assert rows
        for key, value in rows:
            v = json.loads(value)
            v["text"] = "[2] > [1]"  # the other order, under the same request
            db.execute("UPDATE resp SET value = ? WHERE key = ?", (json.dumps(v), key))
    rep = reproduce(res.path, tmp_path / "scratch")
    llm = next(c for c in rep.checks if c.stage == "llm answers")
    assert llm.moved and llm.numbers["answers_changed"] >= 1
    assert rep.first_moved == "llm answers" and not rep.identical
    assert rep.kind == "llm"


def test_other_data_at_hand_is_refused_naming_what_differs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    res = evaluate("overlap", "tiny", results=tmp_path / "results")
    assert res.path is not None
    config = json.loads((res.path / "metadata.json").read_text())["config"]
    edit_metadata(res.path, config={**config, "corpus_hash": "0" * 64})
    with pytest.raises(DataMismatchError, match=r"corpus \(inline\): content hash 000000000000"):
        reproduce(res.path, tmp_path / "scratch")
    assert not (tmp_path / "scratch" / "run-1").exists()  # refused before running
    code, _, err = run_main(monkeypatch, capsys, "reproduce", str(res.path))
    assert code == 2 and "refusing to compare" in err and "corpus" in err


def test_other_qrels_at_hand_are_refused(tmp_path: Path) -> None:
    res = evaluate("overlap", "tiny", results=tmp_path / "results")
    assert res.path is not None
    data = json.loads((res.path / "metadata.json").read_text())["data"]
    assert "queries_sha256" in data  # recorded by every new ranking result
    edit_metadata(res.path, data={**data, "qrels_sha256": "f" * 64})
    with pytest.raises(DataMismatchError, match="qrels"):
        reproduce(res.path, tmp_path / "scratch")


def test_a_family_aggregate_is_refused_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    res = evaluate("overlap", "fam", results=tmp_path / "results")
    assert res.path is not None and (res.path / "members.json").exists()
    with pytest.raises(NotReproducibleError, match="family aggregate"):
        reproduce(res.path)
    code, _, err = run_main(monkeypatch, capsys, "reproduce", str(res.path))
    assert code == 2 and err.count("\n") == 1 and "reproduce each member" in err


@pytest.mark.parametrize("what", ["missing", "not-a-result"])
def test_bad_result_folders_are_clear_errors(tmp_path: Path, what: str) -> None:
    folder = tmp_path / "r"
    if what == "not-a-result":
        folder.mkdir()
        (folder / "metrics.json").write_text("{}")
        (folder / "metadata.json").write_text("{}")
    with pytest.raises(HarnessError, match="r"):
        reproduce(folder)


def test_scratch_must_not_be_the_results_folder_holding_the_result(tmp_path: Path) -> None:
    res = evaluate("overlap", "tiny", results=tmp_path / "results")
    assert res.path is not None
    with pytest.raises(HarnessError, match="holds the stored result"):
        reproduce(res.path, tmp_path / "results")


def test_repeat_records_the_audit_and_compare_warns_on_a_nondeterministic_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results"
    a = evaluate("overlap", "tiny", results=results)
    evaluate("overlap>overlap", "tiny/rerank", results=results)
    b = evaluate("overlap", "tiny/rerank", results=results)
    assert a.path is not None and b.path is not None
    rep = reproduce(a.path, tmp_path / "scratch", repeat=2)
    assert rep.spread is not None and not any(rep.spread.values()) and rep.identical
    meta = RunMetadata.model_validate_json((a.path / "metadata.json").read_text())
    assert meta.determinism == {
        "runs": 2,
        "metric": "ndcg@10",
        "deterministic": True,
        "queries_with_spread": 0,
        "max_spread": 0.0,
    }
    # a system whose audit saw a spread: compare says so before testing it
    meta_b = RunMetadata.model_validate_json((b.path / "metadata.json").read_text())
    meta_b.determinism = {
        "runs": 3,
        "metric": "ndcg@10",
        "deterministic": False,
        "queries_with_spread": 2,
        "max_spread": 0.25,
    }
    (b.path / "metadata.json").write_text(meta_b.model_dump_json())
    code, _, err = run_main(
        monkeypatch, capsys, "compare", "--task", "tiny/rerank", "--results", str(results)
    )
    assert code == 0
    assert "warning: overlap is not deterministic: 2 queries moved across 3 runs" in err


def test_the_batch_sizes_are_stored_and_reused_and_old_results_without_them_still_reproduce(
    tmp_path: Path,
) -> None:
    res = evaluate("overlap", "tiny", results=tmp_path / "results", batch_size=7, query_batch=2)
    assert res.path is not None
    meta = RunMetadata.model_validate_json((res.path / "metadata.json").read_text())
    assert meta.batching == {"batch_size": 7, "query_batch": 2}
    rep = reproduce(res.path, tmp_path / "scratch")
    assert rep.identical
    (rerun,) = (tmp_path / "scratch" / "run-1").glob("*/*/metadata.json")
    assert RunMetadata.model_validate_json(rerun.read_text()).batching == meta.batching
    # a result stored before the batch sizes were recorded: loads, re-runs with the defaults
    raw = json.loads((res.path / "metadata.json").read_text())
    del raw["batching"]
    (res.path / "metadata.json").write_text(json.dumps(raw))
    rep = reproduce(res.path, tmp_path / "scratch-old")
    assert rep.identical
    (rerun,) = (tmp_path / "scratch-old" / "run-1").glob("*/*/metadata.json")
    assert RunMetadata.model_validate_json(rerun.read_text()).batching == {
        "batch_size": 64,
        "query_batch": 256,
    }


def test_a_result_whose_model_or_llm_is_not_here_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    res = evaluate("hashing-stored", "tiny", results=tmp_path / "results")
    assert res.path is not None
    # the hashing stage names a method, not weights: nothing to check
    assert reproduce(res.path, tmp_path / "scratch").identical
    stages = json.loads((res.path / "metadata.json").read_text())["stages"]
    edit_metadata(res.path, stages=[{**stages[0], "backbone": "ckpt/not-here"}])
    with pytest.raises(
        NotReproducibleError, match="stage hashing's model ckpt/not-here is not here"
    ):
        reproduce(res.path, tmp_path / "scratch2")
    assert not (tmp_path / "scratch2" / "run-1").exists()  # refused before running
    llm = {"llm": {"spec": "gguf:no-such-model"}}
    edit_metadata(res.path, stages=[{**stages[0], "parameters": llm}])
    code, _, err = run_main(monkeypatch, capsys, "reproduce", str(res.path))
    assert code == 2 and "LLM gguf:no-such-model is not installed here" in err


def test_a_result_made_by_its_own_command_is_rerun_by_that_command_pointed_here(
    tmp_path: Path,
) -> None:
    from ir_harness.reproduce.rerun import rerun_argv

    stored = (
        "harness starbucks-grid --task mteb/STSBenchmark --model m --data-dir ../gone "
        "--results=results --json --device auto"
    )
    settings = {"device": "cpu", "data_dir": tmp_path / "data", "batch_size": 16}
    assert rerun_argv(stored, settings, tmp_path / "s") == [
        "starbucks-grid", "--task", "mteb/STSBenchmark", "--model", "m",
        "--results", str(tmp_path / "s"), "--device", "cpu",
        "--data-dir", str(tmp_path / "data"), "--batch-size", "16",
    ]  # fmt: skip
    with pytest.raises(NotReproducibleError, match="not a harness command"):
        rerun_argv("python train.py", settings, tmp_path / "s")


def test_the_stored_llm_fault_settings_are_reused(tmp_path: Path) -> None:
    from ir_harness.run.config import LLMPolicy

    res = evaluate(
        "overlap>rankgpt",
        "tiny",
        options={"llm": "oracle"},
        results=tmp_path / "results",
        llm_policy=LLMPolicy(timeout_s=300.0, attempts=2),
    )
    assert res.path is not None and res.metadata.llm_policy is not None
    assert res.metadata.llm_policy["timeout_s"] == 300.0
    assert reproduce(res.path, tmp_path / "scratch").identical
    (rerun,) = (tmp_path / "scratch" / "run-1").glob("*/*/metadata.json")
    assert RunMetadata.model_validate_json(rerun.read_text()).llm_policy == res.metadata.llm_policy
