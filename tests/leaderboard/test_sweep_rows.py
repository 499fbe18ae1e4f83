"""An oracle sweep is one overview row drawing its curve, not one row per noise level."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ir_harness.leaderboard.build import build
from ir_harness.leaderboard.summary import summarise
from ir_harness.leaderboard.sweeps import sparkline
from tests.leaderboard.helpers import chromium_page, screenshot, write_fake_result

if TYPE_CHECKING:
    from pathlib import Path

TASK = "trec-dl/2019/bm25-top100"
EVIL = "<img src=x onerror=alert(5)>"  # a sweep named with markup: shown as text


def oracle(results: Path, system: str, sigma: float, seed: int, score: float) -> None:
    write_fake_result(
        results,
        TASK,
        f"{system}[llm=oracle[noise={sigma},seed={seed}]]",
        {"ndcg@10": {"q1": score, "q2": score}},
        kind="oracle",
        parameters={"llm": {"spec": "openai:oracle@x", "model": f"oracle[noise={sigma},seed={seed}]"}},
    )  # fmt: skip


def store(results: Path) -> None:
    write_fake_result(results, TASK, "bm25", {"ndcg@10": {"q1": 0.5, "q2": 0.4}}, kind="lexical")
    # rankgpt: three noise levels, two seeds at sigma 1 (the curve takes their mean)
    for sigma, seed, score in ((0, 0, 0.9), (1, 0, 0.6), (1, 1, 0.7), (2, 0, 0.4)):
        oracle(results, "rankgpt", sigma, seed, score)
    for sigma, score in ((0, 0.8), (2, 0.2)):
        oracle(results, EVIL, sigma, 0, score)
    oracle(results, "judge", 0.5, 0, 0.3)  # one noise level: no sweep, a row of its own


def test_summary_groups_each_sweep_with_its_curve(tmp_path: Path) -> None:
    store(tmp_path)
    s = summarise(tmp_path)
    sweeps = {sw["sweep"]: sw for sw in s["sweeps"]}
    assert set(sweeps) == {"rankgpt", EVIL}
    rk = sweeps["rankgpt"]
    assert rk["noise"] == [0.0, 1.0, 2.0] and len(rk["systems"]) == 4
    (fam,) = s["families"]
    curve = rk["families"][fam["family"]]["main"]
    assert [(p["noise"], round(p["mean"], 6), p["seeds"]) for p in curve] == [
        (0.0, 0.9, 1), (1.0, 0.65, 2), (2.0, 0.4, 1)
    ]  # fmt: skip
    assert [round(p["mean"], 6) for p in rk["tasks"][TASK]] == [0.9, 0.65, 0.4]
    by_name = {x["system"]: x for x in s["systems"]}
    assert by_name["rankgpt[llm=oracle[noise=1,seed=1]]"]["sweep"] == "rankgpt"
    assert by_name["judge[llm=oracle[noise=0.5,seed=0]]"]["sweep"] is None
    assert by_name["bm25"]["sweep"] is None


def test_sparkline_spans_its_box_best_up() -> None:
    pts = [{"noise": 0, "mean": 0.9}, {"noise": 1, "mean": 0.65}, {"noise": 2, "mean": 0.4}]
    assert sparkline(pts) == "2.0,2.0 36.0,9.0 70.0,16.0"
    assert sparkline([{"noise": 0, "mean": 0.5}]) == "36.0,16.0"
    assert sparkline([]) == ""


def test_overview_lists_a_sweep_once_and_the_task_page_each_run(tmp_path: Path) -> None:
    store(tmp_path / "results")
    site = build(tmp_path / "results", tmp_path / "site").parent
    index = (site / "index.html").read_text()
    rows = re.findall(r'<tr data-name="([^"]*)"', index)
    # the overview's two metric views (main, ndcg@10) and the family table: each lists bm25,
    # the lone judge run and the two sweeps
    expected = ["bm25", "judge[llm=oracle[noise=0.5,seed=0]]", "rankgpt", EVIL.replace("<", "&lt;").replace(">", "&gt;")]  # fmt: skip
    assert sorted(rows) == sorted(expected * 3)
    assert "oracle sweep · σ 0–2" in index
    # per sweep: family and mean cells in each of the 2 views, the task cell in the family table
    assert index.count("<polyline") == 2 * (2 * 2 + 1)
    assert 'href="plots.html#plots-oracle"' in index
    assert 'id="plots-oracle"' in (site / "plots.html").read_text()
    task_page = (site / "task-trec-dl__2019__bm25-top100.html").read_text()
    assert task_page.count('data-name="rankgpt[llm=oracle[') == 4  # each run still on its task


def test_sweep_rows_in_a_real_browser(tmp_path: Path) -> None:
    store(tmp_path / "results")
    site = build(tmp_path / "results", tmp_path / "site").parent
    with chromium_page() as b:
        page = b.page
        page.goto((site / "index.html").as_uri())
        table = page.locator("section[data-view-metric='main'] table[data-table='overview']")
        names = table.locator("tbody tr").evaluate_all("rs => rs.map(r => r.dataset.name)")
        assert sorted(names) == sorted(["bm25", "judge[llm=oracle[noise=0.5,seed=0]]", "rankgpt", EVIL])  # fmt: skip
        row = table.locator("tr[data-name='rankgpt']")
        assert row.locator("svg.spark polyline").first.is_visible()
        assert "oracle sweep" in row.locator("td[data-col='system']").inner_text()
        assert table.get_by_text(EVIL, exact=True).is_visible()  # markup shown as text
        screenshot(page, "sweep-overview")
        # unticking the oracle kind hides the sweeps (and the lone oracle run) with it
        page.uncheck("[data-control='kind'][value='oracle']")
        visible = table.locator("tbody tr:not([hidden])")
        assert visible.evaluate_all("rs => rs.map(r => r.dataset.name)") == ["bm25"]
        page.check("[data-control='kind'][value='oracle']")
        row.locator("td[data-col='system'] a").click()
        page.wait_for_load_state("load")
        assert page.url.endswith("plots.html#plots-oracle")
        page.wait_for_selector(".vl svg", timeout=15000)
        assert page.locator("#plots-oracle").is_visible()
        assert b.dialogs == [], b.dialogs
        assert b.errors == [], b.errors
