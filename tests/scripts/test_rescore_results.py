"""Rescoring stored results adds AUC per named pool and the scope, keeps every ranking number."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ir_harness import evaluate
from ir_harness.registry import SYSTEMS, TASKS
from ir_harness.store.results import METRICS_FILE
from tests.harness.fakes import OverlapRetriever, TinyTask

if TYPE_CHECKING:
    from types import ModuleType

REPO = Path(__file__).resolve().parents[2]


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "rescore_results", REPO / "scripts" / "rescore_results.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def old_style_result(tmp_path: Path) -> Path:
    """A stored result as written before AUC pools: bare auc keys, no scope."""
    TASKS.register("tiny", TinyTask)
    SYSTEMS.register("overlap", OverlapRetriever)
    out = evaluate(system="overlap", tasks="tiny", results=tmp_path / "r", progress=False,
                         cache_dir=tmp_path / "c")  # fmt: skip
    m = json.loads((out.path / METRICS_FILE).read_text())
    pool = "judged+top100"
    m["metrics"]["auc_global"] = m["metrics"].pop(f"auc_global({pool})")
    m["metrics"]["auc_per_query_mean"] = m["metrics"].pop(f"auc_per_query_mean({pool})")
    m["metrics"].pop("auc_global(top100)"), m["metrics"].pop("auc_per_query_mean(top100)")
    m["per_query"]["auc"] = m["per_query"].pop(f"auc({pool})")
    m["per_query"].pop("auc(top100)")
    m.pop("scope"), m.pop("trained_on_evaluated")
    (out.path / METRICS_FILE).write_text(json.dumps(m))
    return out.path


def test_rescore_adds_named_pools_and_keeps_ranking_metrics(tmp_path: Path) -> None:
    folder = old_style_result(tmp_path)
    before = json.loads((folder / METRICS_FILE).read_text())
    rep = load_script().rescore(folder, tmp_path / "r", None, backfill=False, dry=False)
    after = json.loads((folder / METRICS_FILE).read_text())
    assert rep["max_ranking_diff"] == 0.0
    for k in ("ndcg@10", "recall@2"):
        assert after["metrics"][k] == before["metrics"][k]
        assert after["per_query"][k] == before["per_query"][k]
    assert "auc_global" not in after["metrics"] and "auc" not in after["per_query"]
    assert after["metrics"]["auc_global(judged+top100)"] == before["metrics"]["auc_global"]
    assert "auc_global(top100)" in after["metrics"] and "auc(top100)" in after["per_query"]
    assert set(after["extra"]["auc_pools"]) == {"top100", "judged+top100"}
    assert after["scope"]["task_queries"] == 3 and after["scope"]["partial"] is False


def test_rescore_refuses_when_a_ranking_number_would_change(tmp_path: Path) -> None:
    folder = old_style_result(tmp_path)
    m = json.loads((folder / METRICS_FILE).read_text())
    m["metrics"]["ndcg@10"] = 0.5  # not what the stored run scores
    (folder / METRICS_FILE).write_text(json.dumps(m))
    with pytest.raises(SystemExit, match="ranking metrics changed"):
        load_script().rescore(folder, tmp_path / "r", None, backfill=False, dry=True)
