"""Oracle (simulated LLM) results on the site: labelled, never "best", drawn against noise."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ir_harness.leaderboard.build import build
from ir_harness.leaderboard.plots import oracle_sweeps, sweep_name
from ir_harness.leaderboard.summary import summarise
from tests.leaderboard.helpers import write_fake_result

if TYPE_CHECKING:
    from pathlib import Path

TASK = "trec-dl/2019/bm25-top100"


def _store(results: Path) -> None:
    write_fake_result(results, TASK, "bm25", {"ndcg@10": {"q1": 0.5, "q2": 0.4}}, kind="lexical")
    write_fake_result(results, TASK, "rankgpt[llm=gguf:x]", {"ndcg@10": {"q1": 0.3, "q2": 0.2}},
                      kind="llm", parameters={"llm": {"spec": "gguf:x"}})  # fmt: skip
    for sigma, score in ((0, 0.9), (1, 0.6), (2, 0.45)):
        name = f"rankgpt[llm=oracle[noise={sigma},seed=0]]"
        write_fake_result(
            results,
            TASK,
            name,
            {"ndcg@10": {"q1": score, "q2": score}},
            kind="oracle",
            parameters={"llm": {"spec": "openai:oracle@x", "model": f"oracle[noise={sigma}]"}},
        )


def test_oracle_results_are_kept_out_of_best(tmp_path: Path) -> None:
    _store(tmp_path)
    s = summarise(tmp_path)
    (task,) = s["tasks"]
    assert task["results"][0]["system"] == "bm25"  # the top row is the best real system
    assert task["significance"]["by_metric"]["ndcg@10"]["best"] == "bm25"
    oracle = [r for r in task["results"] if r["simulated"]]
    assert len(oracle) == 3 and all(r["kinds"] == ["oracle"] for r in oracle)
    assert sorted(r["oracle"]["noise"] for r in oracle) == [0.0, 1.0, 2.0]
    assert "oracle" in s["kinds"]
    fam = s["families"][0]
    assert fam["simulated"] == sorted(r["system"] for r in oracle)
    html = (build(tmp_path, tmp_path / "site").parent / "index.html").read_text()
    assert html.count('class="best"') >= 1
    assert 'class="best">\n    <a href="files/trec-dl__2019__bm25-top100/rankgpt' not in html


def test_sweep_plot_has_one_series_and_baseline_rules(tmp_path: Path) -> None:
    _store(tmp_path)
    ((label, spec),) = oracle_sweeps(summarise(tmp_path))
    assert label == TASK
    assert {p["series"] for p in spec["data"]["values"]} == {"rankgpt"}
    assert [p["noise"] for p in sorted(spec["data"]["values"], key=lambda p: p["noise"])] == [
        0.0, 1.0, 2.0
    ]  # fmt: skip
    rules = spec["layer"][2]["data"]["values"]
    assert rules == [{"baseline": "bm25", "score": 0.45}]  # the real LLM run is not a baseline
    assert sweep_name("bm25>dear-listwise[llm=oracle[noise=2,seed=1]]") == "bm25>dear-listwise"
    plots = (build(tmp_path, tmp_path / "site2").parent / "plots.html").read_text()
    assert "oracle sweeps" in plots


def test_compare_defaults_to_the_best_real_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json
    import sys

    from ir_harness.cli import main

    _store(tmp_path)
    monkeypatch.setattr(sys, "argv", ["harness", "compare", "--task", TASK, "--results",
                                      str(tmp_path), "--json"])  # fmt: skip
    with pytest.raises(SystemExit) as e:
        main()
        raise SystemExit(0)
    assert e.value.code in (0, None)
    assert {c["baseline"] for c in json.loads(capsys.readouterr().out)} == {"bm25"}


def test_oracle_runs_stay_off_the_cost_front_and_judge_scatter(tmp_path: Path) -> None:
    from ir_harness.leaderboard.plots import quality_vs_cost

    _store(tmp_path)
    (task,) = summarise(tmp_path)["tasks"]
    assert all("pareto" not in r for r in task["results"] if r["simulated"])
    pts = quality_vs_cost(task)["data"]["values"]
    assert {p["system"] for p in pts} == {"bm25", "rankgpt[llm=gguf:x]"}
