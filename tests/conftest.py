"""Shared fixtures: where the real offline data lives, and an isolated cache per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path | None:
    """``$HARNESS_TEST_DATA`` or ``<repo>/../shared/data``; None when absent (a user's machine)."""
    d = Path(os.environ.get("HARNESS_TEST_DATA") or REPO.parent / "shared" / "data")
    return d if (d / "README.md").exists() else None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    d = shared_data_dir()
    if d is None:
        pytest.skip("../shared/data is not present (set HARNESS_TEST_DATA to run these tests)")
    return d


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never touch the user's cache; one cache per session keeps model/index reuse cheap."""
    if "HARNESS_CACHE_DIR" not in os.environ:
        os.environ["HARNESS_CACHE_DIR"] = str(tmp_path_factory.mktemp("harness-cache"))
    os.environ.setdefault("TQDM_DISABLE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
