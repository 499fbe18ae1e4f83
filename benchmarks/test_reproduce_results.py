"""``harness reproduce`` of every stored result in results/, each from a copy (the full pass).

Not in the default run (hours on CPU: every dense encoding and GGUF LLM call is made again).
Each result either reproduces identically or is refused with its reason (reported as a skip);
anything else fails with the first stage that moved and the environment changes beside it.
The CI-scale subset is ``tests/harness/reproduce/test_stored_results.py``.

    .venv/bin/python -m pytest benchmarks/test_reproduce_results.py --benchmark-only
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import shared_data_dir

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "results"
STORED = sorted(p.parent.relative_to(RESULTS).as_posix() for p in RESULTS.glob("*/*/metadata.json"))


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty cache for each result, never the user's: a vector cached by an earlier result
    was encoded in another batch, and can differ in the last bits from the one this result's
    run encoded (STS files keep 6 decimals, so such a vector moves them); each result is re-run
    as it was made, from nothing."""
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.mark.shared_data
@pytest.mark.parametrize("name", STORED)
def test_every_stored_result_reproduces_identically(
    name: str, tmp_path: Path, benchmark: Any
) -> None:
    from ir_harness.reproduce.rerun import NotReproducibleError, reproduce

    data = shared_data_dir()
    if data is None:
        pytest.skip("../shared/data is not present")
    copy = tmp_path / "results" / name
    shutil.copytree(RESULTS / name, copy)
    try:
        rep = benchmark.pedantic(
            reproduce, args=(copy, tmp_path / "scratch"), kwargs={"data_dir": data}, rounds=1
        )
    except NotReproducibleError as e:
        pytest.skip(f"refused: {e}")
    assert rep.identical, {
        "first_moved": rep.first_moved,
        "checks": [(c.stage, c.status, c.detail) for c in rep.checks],
        "deltas": rep.deltas[:5],
        "environment": rep.environment,
    }
