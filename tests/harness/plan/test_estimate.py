"""The planner's probes take the dispatch the real run takes (ir_harness/plan/estimate.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ir_harness.plan import estimate

if TYPE_CHECKING:
    import numpy as np


def test_topk_probe_times_several_chunks_and_scales_per_pair(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One chunk alone is a single torch.topk (not the fused or prefiltered search): the probe
    times four chunks where the corpus has them, fewer only for a smaller corpus."""
    pytest.importorskip("torch")
    from ir_harness.kernels import topk

    shapes: list[tuple[int, int, int]] = []

    def fake(q: np.ndarray, c: np.ndarray, k: int, **_: object) -> None:
        shapes.append((q.shape[0], c.shape[0], k))

    monkeypatch.setattr(topk, "exact_topk", fake)
    estimate.topk_seconds(5000, 1_000_000, 8, 100)
    assert shapes[-1] == (estimate.QUERY_BLOCK, estimate.PROBE_CHUNKS * estimate.CHUNK, 100)
    estimate.topk_seconds(10, 20_000, 8, 50_000)
    assert shapes[-1] == (10, 20_000, 20_000)


def test_index_probe_encodes_a_sorted_group_as_the_run_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Warm-up, one batch, then one group sized to about PROBE_INDEX_S of work (the encoder
    sorts a group by length, as the run's groups are sorted); per-document seconds back."""
    clock = {"t": 0.0}
    sizes: list[int] = []

    def fn(texts: list[str]) -> None:
        sizes.append(len(texts))
        clock["t"] += 0.01 * len(texts)

    monkeypatch.setattr(estimate.time, "perf_counter", lambda: clock["t"])
    texts = [f"t{i}" for i in range(4096)]
    assert estimate._encode_per_doc(fn, texts, 64) == pytest.approx(0.01)
    assert sizes == [8, 64, int(estimate.PROBE_INDEX_S / 0.01)]
    sizes.clear()
    assert estimate._encode_per_doc(fn, texts[:100], 64) == pytest.approx(0.01)
    assert sizes == [8, 64]  # 28 texts left: fewer than a batch, the first timing stands
