"""Names holding HTML or script are shown as text in a real browser, never run.

The results are hand-made (``write_fake_result``): what is tested is escaping, not scores.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ir_harness.leaderboard.build import build
from tests.leaderboard.helpers import chromium_page, screenshot, values, write_fake_result

if TYPE_CHECKING:
    from pathlib import Path

EVIL_SYSTEM = "<script>alert(1)</script>"
EVIL_TASK = "limit-<img src=x onerror=alert(2)>"
EVIL_METRIC = "recall@2<b onmouseover=alert(3)>"


def test_html_in_names_is_text_not_code(tmp_path: Path) -> None:
    results = tmp_path / "results"
    for system, seed, kind in ((EVIL_SYSTEM, 1, "dense"), ("bm25", 2, "lexical")):
        write_fake_result(
            results,
            EVIL_TASK,
            system,
            {EVIL_METRIC: values(seed), "ndcg@10": values(seed + 10)},
            kind=kind,
            parameters={"dim": 64 * seed, "note": "</script><script>alert(4)</script>"},
            extra={"grid": [{"layers": 2, "dim": 32, "score": 0.5}]},
        )
    site = build(results, tmp_path / "site").parent
    pages = sorted(p.name for p in site.glob("*.html"))
    # index, plots, 1 task, 2 systems, 1 diff page (the evil system against bm25)
    assert "plots.html" in pages and len(pages) == 6
    assert sum(name.startswith("diff-") for name in pages) == 1
    with chromium_page() as b:
        for name in pages:
            b.page.goto((site / name).as_uri())
            b.page.wait_for_load_state("load")
            b.page.wait_for_timeout(300)
            if name.startswith(("system-_script", "task-")):
                screenshot(b.page, f"escaping-{name.split('-')[0]}")
        # The literal names are visible text on the pages that list them.
        b.page.goto((site / "index.html").as_uri())
        assert b.page.get_by_text(EVIL_SYSTEM, exact=True).first.is_visible()
        assert b.page.get_by_text(EVIL_TASK, exact=True).first.is_visible()
        task_page = next(p for p in pages if p.startswith("task-"))
        b.page.goto((site / task_page).as_uri())
        assert b.page.get_by_text(EVIL_METRIC, exact=True).first.is_visible()
        assert b.page.locator("script:not([src]):not([type='application/json'])").count() == 0
        # The metric selector takes the odd name through the URL and back without running it.
        b.page.select_option("[data-control='metric']", EVIL_METRIC)
        b.page.reload()
        assert b.page.input_value("[data-control='metric']") == EVIL_METRIC
        assert b.dialogs == [], f"a name ran as script: {b.dialogs}"
        assert b.errors == [], b.errors
