"""The planner's probes take the dispatch the real run takes (ir_harness/plan/estimate.py)."""

from __future__ import annotations

import numpy as np
import pytest

from ir_harness.plan import estimate


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


def test_index_probe_times_length_sorted_batches_as_the_run_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Warm-up, then whole batches of the length-sorted sample (each pads only to its
    neighbours), in random order, until PROBE_INDEX_S of work; per-document seconds back."""
    clock = {"t": 0.0}
    calls: list[list[str]] = []

    def fn(texts: list[str]) -> None:
        calls.append(texts)
        clock["t"] += 0.001 * len(texts) * max(len(t) for t in texts)  # padded to the longest

    monkeypatch.setattr(estimate.time, "perf_counter", lambda: clock["t"])
    rng = np.random.default_rng(1)
    texts = ["x" * int(n) for n in rng.integers(1, 200, 4096)]
    per = estimate._encode_per_doc(fn, texts, 64)
    timed = calls[1:]
    assert all(len(c) == 64 for c in timed) and len({id(c) for c in timed}) == len(timed)
    assert sum(0.001 * 64 * max(map(len, c)) for c in timed) >= estimate.PROBE_INDEX_S
    assert len(timed) < 64  # stopped at the budget, not after every batch
    for c in timed:  # sorted batches: each spans a narrow band of lengths
        assert max(map(len, c)) - min(map(len, c)) <= 10
    ideal = 0.001 * np.mean([max(map(len, b)) for b in _sorted_batches(texts, 64)])
    assert per == pytest.approx(ideal, rel=0.35)
    calls.clear()
    short = ["x"] * 100  # a small, fast sample: every batch once, then stop
    assert estimate._encode_per_doc(fn, short, 64) == pytest.approx(0.001)
    assert sorted(len(c) for c in calls[1:]) == [36, 64]


def _sorted_batches(texts: list[str], batch: int) -> list[list[str]]:
    ordered = sorted(texts, key=len)
    return [ordered[a : a + batch] for a in range(0, len(ordered), batch)]
