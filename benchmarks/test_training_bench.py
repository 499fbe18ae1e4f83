"""Training step speed and memory of each loss at one fixed batch shape, InfoNCE as baseline.

all-MiniLM-L6-v2 (the packaged copy), batch of 8 queries, one hard negative each, 16-word
queries and 128-token passages, AdamW; PG-Rank ranks 8 candidates per query with 8 sampled
rankings, Starbucks trains the scaled 6-pair list. Each case records ``steps_per_s`` and the
peak resident memory of one step above the level before it (``step_rss_mb``; measured in a
fresh process after a warm-up step, so AdamW's state is already allocated). ``test_ratio_vs_infonce`` alternates each method
with InfoNCE step by step and records the median time ratio (> 1: slower than InfoNCE), which
holds up on a noisy machine better than comparing means across groups. Nothing is asserted on
time. Run: ``.venv/bin/pytest benchmarks --benchmark-only -k training``.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sentence_transformers")

from benchmarks.conftest import peak_rss_delta  # noqa: E402

METHODS = ["infonce", "mw", "pgrank", "starbucks"]
BATCH, Q_WORDS, D_WORDS, MAX_LEN = 8, 16, 160, 128
WORDS = "retrieval ranking passage query model loss gradient training corpus relevance".split()


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _examples(n: int = 64) -> list[Any]:
    from ir_harness.train.data import TrainExample

    rng = random.Random(0)
    return [
        TrainExample(
            qid=f"q{i}",
            query=_text(rng, Q_WORDS),
            positives=[_text(rng, D_WORDS)],
            grades=[1],
            negatives=[_text(rng, D_WORDS) for _ in range(8)],
        )
        for i in range(n)
    ]


class StepRunner:
    """One method's model, optimiser and batch stream; ``step()`` is one full training step."""

    def __init__(self, method: str) -> None:
        from ir_harness.models import resolve_model
        from ir_harness.train.encoder import Encoder
        from ir_harness.train.loop import Stepper, TrainConfig

        try:
            path = resolve_model("sentence-transformers/all-MiniLM-L6-v2")
        except Exception as e:  # pragma: no cover - no packaged copy and no network
            pytest.skip(f"all-MiniLM-L6-v2 unavailable: {e}")
        cfg = TrainConfig(
            method=method, base_model=path, out="", batch_size=BATCH,
            options={"pg_candidates": 8, "pg_samples": 8}, max_length=MAX_LEN, device="cpu",
        )  # fmt: skip
        self.enc = Encoder.load(path, device="cpu", max_length=MAX_LEN)
        self.enc.model.train()
        self.stepper = Stepper(cfg, self.enc, _examples())
        self.params = [p for p in self.enc.model.parameters() if p.requires_grad]
        self.opt = torch.optim.AdamW(self.params, lr=1e-5)
        self.n = 0

    def step(self) -> None:
        idx = [(self.n * BATCH + i) % 64 for i in range(BATCH)]
        loss = self.stepper.loss(idx, self.n)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        self.opt.step()
        self.n += 1


def step_rss(method: str, threads: int) -> int:
    """Peak RSS of one step above the level before it, in a fresh process: in a shared one the
    allocator reuses pages an earlier method freed and the later methods read near zero."""
    torch.set_num_threads(threads)
    r = StepRunner(method)
    r.step()  # warm-up: lazy allocations, AdamW state
    return peak_rss_delta(r.step)


@pytest.mark.parametrize("method", METHODS)
def test_training_step(benchmark, method, same_threads):
    import multiprocessing as mp

    with mp.get_context("spawn").Pool(1) as pool:
        rss = pool.apply(step_rss, (method, same_threads))
    r = StepRunner(method)
    r.step()  # warm-up
    benchmark.group = f"training step, batch {BATCH} x {MAX_LEN} tokens"
    benchmark.pedantic(r.step, rounds=3, iterations=1, warmup_rounds=0)
    benchmark.extra_info.update(
        method=method,
        threads=same_threads,
        step_rss_mb=rss / 1e6,
        steps_per_s=1.0 / benchmark.stats.stats.mean,
    )


def test_ratio_vs_infonce(benchmark, same_threads):
    """Median per-step time ratio of each method against InfoNCE, steps interleaved."""
    runners = {m: StepRunner(m) for m in METHODS}
    for r in runners.values():
        r.step()
    times: dict[str, list[float]] = {m: [] for m in METHODS}

    def interleaved() -> None:
        for m, r in runners.items():
            t = time.perf_counter()
            r.step()
            times[m].append(time.perf_counter() - t)

    benchmark.group = "training step ratio vs infonce"
    benchmark.pedantic(interleaved, rounds=3, iterations=1, warmup_rounds=0)
    base = times["infonce"]
    benchmark.extra_info.update(
        threads=same_threads,
        **{
            f"ratio_{m}_over_infonce": statistics.median(t / b for t, b in zip(times[m], base))
            for m in METHODS
            if m != "infonce"
        },
    )
