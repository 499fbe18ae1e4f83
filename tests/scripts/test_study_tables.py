"""The study tables are read from stored results, compare systems on the same queries, and the
BM25-list reference is scored on exactly the queries a (query-limited) reranker ran on."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from types import ModuleType

REPO = Path(__file__).resolve().parents[2]


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "study_tables", REPO / "scripts" / "study_tables.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def row(lines: list[str], first_cells: str) -> list[str]:
    hits = [ln for ln in lines if ln.startswith(f"| {first_cells} |")]
    assert len(hits) == 1, (first_cells, lines)
    return [c.strip() for c in hits[0].strip("|").split("|")]


def test_training_table_matches_the_stored_metrics() -> None:
    st = load_script()
    db = st.stored(REPO / "results")
    if ("nfcorpus", st.TRAIN_SYSTEMS["InfoNCE"]) not in db:
        pytest.skip("reference NFCorpus training results are not in results/")
    lines = st.training_table(db)
    m = json.loads(
        next(
            (REPO / "results" / "nfcorpus").glob("dense_model_ckpt__infonce_*/metrics.json")
        ).read_text()
    )
    cells = row(lines, "InfoNCE")
    assert cells[1] == f"{m['metrics']['ndcg@10']:.4f}"
    assert cells[5] != ""  # a p-value against the untrained model
    assert row(lines, "untrained")[5] == ""  # no test of the baseline against itself


def test_rerank_table_scores_bm25_list_on_the_reranked_queries_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    st = load_script()
    task = st.RERANK_TASKS[0]
    # the reranker ran on q1 and q2 only (--limit-queries 2); the list covers q1..q4
    monkeypatch.setattr(st, "bm25_list", lambda t, d: {"q1": 0.2, "q2": 0.4, "q3": 1.0, "q4": 1.0})
    metrics = {"per_query": {"ndcg@10": {"q1": 0.6, "q2": 0.8}}}
    meta = {
        "stages": [{"name": "rankgpt", "backbone": "gguf:qwen", "backend": "llama.cpp"}],
        "stats": {
            "llm_calls": 4,
            "llm_prompt_tokens": 4000,
            "rankgpt_windows": 4,
            "rankgpt_repaired_windows": 3,
            "rankgpt_windows_unchanged": 1,
            "rankgpt_windows_unusable": 2,
        },
        "timings": {"total_s": 60.0},
    }
    lines = st.rerank_table({(task, "rankgpt"): (metrics, meta)}, None)
    cells = row(lines, f"{task} | rankgpt")
    assert cells[3] == "2"  # queries
    assert cells[4] == "0.7000" and cells[5] == "0.3000"  # BM25 list mean over q1, q2 only
    assert cells[7] == "BM25 list"  # what a single reranker reordered
    assert cells[8] == "2.0" and cells[9] == "2000" and cells[10] == "30.0"  # per query
    assert cells[11] == "3/4"  # answers that needed repair, of all windows
    assert cells[12] == "1/2 of 4"  # kept the input order / no usable answer, of all windows
    # a pipeline's last stage is compared with its stored input on the same queries
    db = {
        (task, "dense>rankgpt"): (metrics, meta),
        (task, "dense"): ({"per_query": {"ndcg@10": {"q1": 0.5, "q2": 0.7, "q3": 0.0}}}, {}),
    }
    assert row(st.rerank_table(db, None), f"{task} | dense>rankgpt")[7] == "dense: 0.6000"
