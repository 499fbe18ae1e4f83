"""The site built from real runs (demo task, BM25 and dense), driven in headless Chromium.

Checks that sorting and filtering change the rows, that the address keeps the view, that the
plots render offline, and that no page logs an error. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from ir_harness import evaluate
from ir_harness.leaderboard.build import build
from tests.leaderboard.helpers import chromium_page, screenshot

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("pyserini", reason="BM25 needs the [bm25] extra")
    pytest.importorskip("sentence_transformers", reason="dense needs the [dense] extra")

    results = tmp_path_factory.mktemp("results")
    for system in ("bm25", "dense"):
        evaluate(system=system, tasks="demo", results=results, progress=False)
    return build(results, tmp_path_factory.mktemp("lb") / "site").parent


def visible_names(page: Any) -> list[str]:
    """System names of the visible rows of the first visible leaderboard table."""
    return page.evaluate(
        """() => {
        const t = [...document.querySelectorAll('table.lb')].find(t => !t.closest('[hidden]'));
        return [...t.tBodies[0].rows].filter(r => !r.hidden).map(r => r.dataset.name);
    }"""
    )


def test_every_page_loads_without_errors_or_network(site: Path) -> None:
    pages = sorted(site.glob("*.html"))
    assert {p.name for p in pages} >= {
        "index.html",
        "task-demo.html",
        "system-bm25.html",
        "system-dense.html",
    }
    with chromium_page() as b:
        for p in pages:
            b.page.goto(p.as_uri())
            b.page.wait_for_load_state("load")
            if b.page.locator("script.vl-spec").count():
                b.page.wait_for_selector(".vl svg", timeout=15000)
            screenshot(b.page, f"real-{p.stem}")
        assert b.errors == [], b.errors


def test_sorting_and_filtering_change_the_rows(site: Path) -> None:
    summary = json.loads((site / "summary.json").read_text())
    task = next(t for t in summary["tasks"] if t["task"] == "demo")
    scores = {r["system"]: r["metrics"] for r in task["results"]}
    assert set(scores) == {"bm25", "dense"}
    with chromium_page() as b:
        page = b.page
        page.goto((site / "task-demo.html").as_uri())
        initial = visible_names(page)
        assert initial == [r["system"] for r in task["results"]]  # best first, as summarised

        # Sort by a metric on which the two differ: first click descending, second ascending.
        metric = next(m for m in task["metrics"] if scores["bm25"][m] != scores["dense"][m])
        header = page.locator(f"th[data-metric='{metric}'] button")
        header.click()
        desc = sorted(scores, key=lambda s: -scores[s][metric])
        assert visible_names(page) == desc
        header.click()
        assert visible_names(page) == desc[::-1]
        assert "sort=" in page.url and "dir=asc" in page.url
        screenshot(page, "real-task-sorted")

        # The address keeps the view: reloading it shows the same order.
        page.reload()
        assert visible_names(page) == desc[::-1]

        # Filter by kind: unticking 'dense' leaves only the lexical system.
        page.goto((site / "index.html").as_uri())
        assert sorted(visible_names(page)) == ["bm25", "dense"]
        page.uncheck("[data-control='kind'][value='dense']")
        assert visible_names(page) == ["bm25"]
        assert "kind=" in page.url
        shared = page.url
        page.goto((site / "task-demo.html").as_uri())
        page.goto(shared)
        assert visible_names(page) == ["bm25"]
        assert not page.is_checked("[data-control='kind'][value='dense']")
        screenshot(page, "real-index-filtered")

        # Search by name.
        page.goto((site / "index.html").as_uri())
        page.fill("[data-control='q']", "dens")
        assert visible_names(page) == ["dense"]
        page.fill("[data-control='q']", "no such system")
        assert visible_names(page) == []
        assert page.locator("[data-empty]").is_visible()
        assert b.errors == [], b.errors


def test_metric_and_baseline_choice_switch_the_view(site: Path) -> None:
    summary = json.loads((site / "summary.json").read_text())
    fam = next(f for f in summary["families"] if f["family"] == "demo")
    task = next(t for t in summary["tasks"] if t["task"] == "demo")
    other = next(m for m in fam["metrics"] if m != task["main_metric"])
    with chromium_page() as b:
        page = b.page
        page.goto((site / "index.html").as_uri())
        page.select_option("[data-control='metric']", other)
        view = page.locator(f"[data-view-metric='{other}']")
        assert view.is_visible()
        assert page.locator("[data-view-metric='main']").is_hidden()
        cell = view.locator("tr[data-name='dense'] td[data-col='fam-demo'] a")
        assert cell.inner_text() == f"{fam['scores']['dense'][other]['mean']:.4f}"
        assert "metric=" in page.url

        # Baseline marks on the task page follow the precomputed, Holm-corrected tests.
        page.goto((site / "task-demo.html").as_uri())
        main = task["main_metric"]
        vs_dense = task["significance"]["by_metric"][main]["baselines"]["dense"]["bm25"]
        page.select_option("[data-control='baseline']", "dense")
        col = task["metrics"].index(main)
        marks = page.locator(
            f"tr[data-name='bm25'] td[data-col='m-{col}'] sup[data-view-baseline='dense']"
        )
        if vs_dense["significant"]:
            assert marks.first.is_visible()
            assert marks.first.inner_text() == ("+" if vs_dense["direction"] == "better" else "−")
        else:
            assert marks.count() == 0
        assert page.locator("tr[data-name='dense'] .is-baseline").is_visible()
        assert "baseline=dense" in page.url
        screenshot(page, "real-task-baseline-dense")
        assert b.errors == [], b.errors
