"""Helpers for the leaderboard tests: hand-made result folders and a headless Chromium.

Hand-made results exercise layout and escaping (names, plots, file copying); they say nothing
about any system's quality. Real runs feed the browser tests in ``test_site_browser.py``.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from ir_harness.protocols import SystemMeta
from ir_harness.store.results import MetricsRecord, RunMetadata, write_result

if TYPE_CHECKING:
    from collections.abc import Iterator

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "leaderboard"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        if p := shutil.which(name):
            return p
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def write_fake_result(
    results: Path,
    task: str,
    system: str,
    per_query: dict[str, dict[str, float]],
    *,
    kind: str = "dense",
    parameters: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    metrics: dict[str, float] | None = None,
    per_query_s: float = 0.01,
    stats: dict[str, Any] | None = None,
    stat_tags: dict[str, Any] | None = None,
    artifact_name: str = "run.trec",
    main_metric: str | None = None,
    call: dict[str, Any] | None = None,
) -> Path:
    """Store one result whose means are the means of ``per_query`` (plus ``metrics`` extras)."""
    means = {m: float(np.mean(list(v.values()))) for m, v in per_query.items()}
    means.update(metrics or {})
    main = main_metric or next(iter(means))
    n = max((len(v) for v in per_query.values()), default=1)
    rec = MetricsRecord(
        task=task,
        system=system,
        main_metric=main,
        main_score=means[main],
        metrics=means,
        per_query=per_query,
        n_queries=n,
        relevance_threshold=1,
        average_over="qrels",
        extra=extra or {},
    )
    meta = RunMetadata(
        task=task,
        system=system,
        command="" if call else f"harness run --system '{system}' --task '{task}'",
        call=call,
        config={"task": task, "system": system},
        config_hash="0" * 16,
        stages=[
            SystemMeta(
                name=system,
                kind=kind,  # type: ignore[arg-type]  # validated by pydantic
                backbone="test",
                parameters=parameters or {},
            )
        ],
        data_source="hand-made test fixture",
        git_sha="test",
        packages={},
        hardware={"cpu": "test"},
        seed=0,
        timings={"total_s": per_query_s * n, "per_query_s": per_query_s, "index_s": 1.0},
        stats=stats or {},
        stat_tags=stat_tags or {},
    )
    return write_result(results, "q0 Q0 d1 1 1.0 test\n", rec, meta, artifact_name=artifact_name)


def values(seed: int, n: int = 30, shift: float = 0.0) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    return {f"q{i}": float(np.clip(rng.random() + shift, 0, 1)) for i in range(n)}


@contextmanager
def chromium_page(viewport: tuple[int, int] = (1300, 900)) -> Iterator[Any]:
    """A Playwright page in Debian's Chromium; skips when either is missing.

    Yields ``.page`` with ``.errors`` (console errors, page errors, blocked network requests)
    and ``.dialogs`` (alert/confirm/prompt texts) collected as lists.
    """
    exe = chromium_path()
    if exe is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium chromium-driver)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright Python package is not installed"
    )
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        errors: list[str] = []
        dialogs: list[str] = []
        page.on(
            "console",
            lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))

        def on_dialog(d: Any) -> None:
            dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", on_dialog)

        def block_network(route: Any) -> None:
            errors.append(f"network request: {route.request.url}")
            route.abort()

        page.route("http://**", block_network)
        page.route("https://**", block_network)
        try:
            yield SimpleNamespace(page=page, errors=errors, dialogs=dialogs)
        finally:
            browser.close()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
