"""The task page's tier column, detectable effect and bootstrap intervals, in summary and page.

Hand-made results (``write_fake_result``); the numbers themselves are checked against worked
arithmetic in tests/harness/eval/test_confidence.py, here only that the site carries them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from ir_harness.eval.confidence import bootstrap_interval, minimum_detectable_effect, tier
from ir_harness.leaderboard.build import build
from ir_harness.leaderboard.summary import summarise
from tests.leaderboard.helpers import chromium_page, screenshot, values, write_fake_result

if TYPE_CHECKING:
    from pathlib import Path

EVIL = "<b onmouseover=alert(1)>near</b>"
PQ = {
    "best": values(1, shift=0.3),
    EVIL: values(2, shift=0.28),  # 0.02 behind on 30 queries: not separable
    "lex": values(3),  # 0.3 behind: separable
}


@pytest.fixture
def results(tmp_path: Path) -> Path:
    r = tmp_path / "results"
    for system, pq in PQ.items():
        write_fake_result(r, "t", system, {"ndcg@10": pq, "recall@100": values(9)})
    write_fake_result(
        r, "t", "oracle", {"ndcg@10": values(4, shift=0.5), "recall@100": values(9)}, kind="oracle"
    )
    return r


def test_summary_holds_tier_mde_and_intervals(results: Path) -> None:
    s = summarise(results)
    task = s["tasks"][0]
    conf = task["confidence"]
    test = task["significance"]["test"]
    assert conf["metric"] == "ndcg@10"
    expected = tier({**PQ, "oracle": values(4, shift=0.5)}, "best", test=test)
    assert conf["tier"] == expected
    # the oracle (0.2 ahead) and lex (0.3 behind) are separated from the best; EVIL is not
    assert expected == ["best", EVIL]
    rows = {r["row"]: r for r in task["results"]}
    assert [k for k, r in rows.items() if r["tier"]] == [
        k for k in rows if k in expected
    ]  # the per-row flag agrees with the list
    # the MDE pools the real rows only: the oracle's differences are left out
    mde = minimum_detectable_effect(PQ, "best")
    assert mde is not None and conf["mde"] == pytest.approx(mde)
    assert conf["mde"]["n_queries"] == 30
    assert conf["bootstrap"] == {"resamples": 1000, "seed": 0, "level": 0.95}
    ci = rows["lex"]["ci"]["ndcg@10"]
    assert tuple(ci) == bootstrap_interval(PQ["lex"].values())
    assert ci[0] < rows["lex"]["metrics"]["ndcg@10"] < ci[1]
    # deterministic: a second summary gives the same bits
    assert summarise(results)["tasks"][0]["results"][0]["ci"] == task["results"][0]["ci"]


def test_page_shows_tier_mde_and_hover_interval(results: Path, tmp_path: Path) -> None:
    site = build(results, tmp_path / "site").parent
    summary = json.loads((site / "summary.json").read_text())
    conf = summary["tasks"][0]["confidence"]
    html = (site / "task-t.html").read_text()
    assert f"{conf['mde']['mde']:.4f}</strong> over 30 queries" in html
    assert "<b onmouseover" not in html  # the name is escaped
    lex = next(r for r in summary["tasks"][0]["results"] if r["row"] == "lex")
    lo, hi = lex["ci"]["ndcg@10"]
    with chromium_page() as b:
        b.page.goto((site / "task-t.html").as_uri())
        b.page.wait_for_load_state("load")
        tiers = b.page.evaluate(
            """() => Object.fromEntries([...document.querySelectorAll('table.lb tbody tr')]
                .map(r => [r.dataset.name, r.querySelector('td[data-col=tier]').textContent.trim()]))"""
        )
        assert tiers == {"best": "1", EVIL: "1", "lex": "", "oracle": ""}
        title = b.page.locator('tr[data-name="lex"] td[data-metric="ndcg@10"] a').get_attribute(
            "title"
        )
        assert title is not None and f"[{lo:.4f}, {hi:.4f}]" in title
        assert (
            b.page.locator("[data-mde]")
            .inner_text()
            .startswith("Minimum detectable effect on ndcg@10")
        )
        screenshot(b.page, "confidence-task")
        assert b.errors == [] and b.dialogs == []
