"""LLM client throughput against the served oracle: calls/s and harness overhead per call.

The oracle server (``harness llm-serve oracle --task demo``) runs in its own process on
loopback, answering in well under a millisecond, so what is measured is the client: our
``LLMSession`` over ``OpenAICompatLLM`` (httpx, retries, accounting, response cache) against a
bare httpx loop posting the same bodies with the same concurrency (the baseline, same run).
Paths, each at concurrency 1, 8 and 64 (``BENCH_LLM_CONC``), ``BENCH_LLM_CALLS`` calls a round:

* ``raw``: bare ``httpx.Client.post`` in a thread pool: what the server and loopback allow.
* ``nocache``: the session with the response cache off.
* ``uncached``: the session with the cache on and every call a miss (lookup, call, store).
* ``cached``: the session with every call a cache hit (no HTTP at all).

``extra_info``: ``calls_per_s`` and ``overhead_ms_per_call`` (ours minus raw at the same
concurrency, per call; read it within one run). The target is >= 500 calls/s at concurrency 64
on the 2-core machine. Nothing is asserted on time. Run:
``.venv/bin/pytest benchmarks/test_llm_bench.py --benchmark-only``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pytest

httpx = pytest.importorskip("httpx")

from ir_harness.llm import LLMSession, make_llm  # noqa: E402
from ir_harness.run.context import RunContext  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

CALLS = int(os.environ.get("BENCH_LLM_CALLS") or 640)
CONC = [int(c) for c in os.environ.get("BENCH_LLM_CONC", "1,8,64").split(",")]
ROUNDS = int(os.environ.get("BENCH_LLM_ROUNDS") or 3)
_RAW: dict[int, float] = {}  # concurrency -> raw seconds per call, for the overhead figure


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = tmp_path_factory.mktemp("oracle-server") / "server.log"
    code = "import sys; from ir_harness.cli import main; sys.argv[0] = 'harness'; main()"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", code, "llm-serve", "oracle", "--task", "demo",
             "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.time() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"oracle server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                pytest.fail("oracle server did not start within 120 s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def prompts(tag: str) -> tuple[list[str], list[Any]]:
    """CALLS judge prompts over the demo task (real queries and passages, so all matched), with
    the ask each call carries (the served oracle answers from it)."""
    from ir_harness.systems.judge import build_prompt, judge_ask
    from ir_harness.tasks.demo import DemoTask

    data = DemoTask().load("", None)
    qs = list(data.queries.items())
    docs = [data.corpus[d].full_text for d in data.corpus.ids()]
    out, asks = [], []
    for i in range(CALLS):
        q = qs[i % len(qs)][1]
        # a tag makes every prompt new (a cache miss); the tagged passage is graded 0
        passage = docs[(i * 7) % len(docs)] + (f" {tag}.{i}" if tag else "")
        out.append(build_prompt(q, passage))
        asks.append(judge_ask(q, passage))
    return out, asks


def _report(benchmark, conc: int, per_call_s: float) -> None:
    benchmark.extra_info["concurrency"] = conc
    benchmark.extra_info["calls"] = CALLS
    benchmark.extra_info["calls_per_s"] = round(1 / per_call_s, 1)
    if conc in _RAW:
        benchmark.extra_info["overhead_ms_per_call"] = round(1000 * (per_call_s - _RAW[conc]), 4)
    benchmark.extra_info["load_avg_1m"] = os.getloadavg()[0]


def _per_call(benchmark) -> float:
    return benchmark.stats.stats.mean / CALLS


@pytest.mark.parametrize("conc", CONC)
def test_raw_httpx(benchmark, server: str, conc: int) -> None:
    from ir_harness.llm.base import Request, as_messages
    from ir_harness.llm.openai_http import OpenAICompatLLM

    benchmark.group = f"llm c={conc}"
    body_of = OpenAICompatLLM("oracle", server, max_concurrency=1)
    bodies = [body_of._body(Request(as_messages(p), ask=a), None) for p, a in zip(*prompts(""))]
    body_of.close()
    client = httpx.Client(base_url=server, limits=httpx.Limits(max_connections=conc))

    def run() -> None:
        with ThreadPoolExecutor(max_workers=conc) as pool:
            for r in pool.map(lambda b: client.post("/chat/completions", json=b), bodies):
                r.raise_for_status()

    benchmark.pedantic(run, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    client.close()
    _RAW[conc] = _per_call(benchmark)
    _report(benchmark, conc, _RAW[conc])


@pytest.mark.parametrize("path", ["nocache", "uncached", "cached"])
@pytest.mark.parametrize("conc", CONC)
def test_session(benchmark, server: str, tmp_path: Path, conc: int, path: str) -> None:
    benchmark.group = f"llm c={conc}"
    llm = make_llm(f"openai:oracle@{server}", max_concurrency=conc)
    rounds = iter(range(10_000))

    def setup() -> tuple[tuple[LLMSession, list[str], list[Any]], dict]:
        i = next(rounds)
        ctx = RunContext(cache_dir=tmp_path / (f"c{i}" if path == "uncached" else "c"))
        session = LLMSession(llm, ctx, cache=path != "nocache")
        ps, asks = prompts(f"#{i}" if path == "uncached" else "")
        if path == "cached":  # fill the cache: the round only hits
            session.complete_many(ps, asks=asks, max_tokens=16)
        return (session, ps, asks), {}

    made: list[int] = []

    def run(session: LLMSession, ps: list[str], asks: list[Any]) -> None:
        before = session.ctx.stats.get("llm_calls", 0)
        session.complete_many(ps, asks=asks, max_tokens=16)
        made.append(session.ctx.stats.get("llm_calls", 0) - before)
        session.close()

    benchmark.pedantic(run, setup=setup, rounds=ROUNDS, iterations=1)
    llm.close()
    _report(benchmark, conc, _per_call(benchmark))
    benchmark.extra_info["http_calls_per_round"] = made[-1]  # 0 for cached, CALLS otherwise
