"""Each task page links one diff page per row against the task's BM25 row, opened in Chromium."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ir_harness.leaderboard.build import build
from tests.leaderboard.helpers import chromium_page, values, write_fake_result

if TYPE_CHECKING:
    from pathlib import Path

EVIL = "<img src=x onerror=alert(1)>"


def test_diff_pages_against_bm25(tmp_path: Path) -> None:
    r = tmp_path / "results"
    write_fake_result(r, "t", "bm25", {"ndcg@10": values(1)}, kind="lexical")
    write_fake_result(r, "t", EVIL, {"ndcg@10": values(2)})
    write_fake_result(r, "u", "dense", {"ndcg@10": values(3)})  # no BM25 on u: no diff page
    site = build(r, tmp_path / "site").parent
    summary = json.loads((site / "summary.json").read_text())
    diffs = {t["task"]: t["diffs"] for t in summary["tasks"]}
    assert diffs["u"] == {} and list(diffs["t"]) == [EVIL]
    page = diffs["t"][EVIL]
    html = (site / page).read_text()
    assert "<img" not in html and "&lt;img" in html
    with chromium_page() as b:
        b.page.goto((site / "task-t.html").as_uri())
        b.page.locator("a[data-diff]").first.click()
        b.page.wait_for_load_state("load")
        from urllib.parse import quote

        assert b.page.url.endswith(quote(page, safe="/"))
        head = b.page.locator("h1").inner_text()
        assert head == f"{EVIL} against bm25"
        pq_a, pq_b = values(1), values(2)
        wins = sum(pq_b[q] > pq_a[q] for q in pq_a)
        losses = sum(pq_b[q] < pq_a[q] for q in pq_a)
        assert b.page.locator("[data-wtl]").inner_text() == f"{wins} / 0 / {losses}"
        assert b.errors == [] and b.dialogs == []
