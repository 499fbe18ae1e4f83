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
    header = [c.strip() for c in lines[2].strip("|").split("|")]
    assert len(header) == len(cells) == lines[3].count("---")
    # every AUC value names its pool, and is the stored one
    for pool in ("top100", "judged+top100"):
        i = header.index(f"global AUC ({pool})")
        assert cells[i] == f"{m['metrics'][f'auc_global({pool})']:.4f}"
    i = header.index("p nDCG vs untrained")
    assert cells[i] != ""  # a p-value against the untrained model
    assert row(lines, "untrained")[i] == ""  # no test of the baseline against itself
    assert cells[-1].startswith("none (")  # trained on dev queries, tested on test queries
    assert any(ln.startswith("- Global AUC, pool `top100`:") for ln in lines)


def test_auc_conclusions_name_the_pool_and_follow_the_numbers() -> None:
    st = load_script()

    def res(top: float, judged: float) -> tuple[dict, dict]:
        m = {"auc_global(top100)": top, "auc_global(judged+top100)": judged}
        return {"metrics": m}, {}

    have = {"untrained": res(0.70, 0.25), "MW": res(0.78, 0.22), "InfoNCE": res(0.71, 0.27)}
    text = "\n".join(st.auc_conclusions(have, {p: ({}, {}) for p in st.AUC_POOLS}))
    assert "pool `top100`: MW 0.7800 > InfoNCE 0.7100 > untrained 0.7000" in text
    assert "MW ranks first on `top100` (3 of 3 on `judged+top100`)" in text
    assert "below 0.5 for 3 of 3 models" in text


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
    assert cells[13] == ""  # no training record: nothing to mark
    trained = {**metrics, "trained_on_evaluated": {"label": "trained on these queries",
                                                   "overlap": 2, "evaluated_queries": 2}}  # fmt: skip
    lines = st.rerank_table({(task, "mvp"): (trained, meta)}, None)
    assert row(lines, f"{task} | mvp")[13] == "**trained on these queries** (2 of 2)"
    # a pipeline's last stage is compared with its stored input on the same queries
    db = {
        (task, "dense>rankgpt"): (metrics, meta),
        (task, "dense"): ({"per_query": {"ndcg@10": {"q1": 0.5, "q2": 0.7, "q3": 0.0}}}, {}),
    }
    assert row(st.rerank_table(db, None), f"{task} | dense>rankgpt")[7] == "dense: 0.6000"
