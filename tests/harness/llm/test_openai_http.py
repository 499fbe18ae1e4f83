"""The OpenAI-compatible client against a fault-injecting loopback server (stdlib http.server).

Covers retries on 429 (honouring Retry-After) and 5xx, timeouts, malformed bodies, fatal 4xx,
structured output with and without server support, bounded concurrency, token accounting and
the response cache (a second identical run makes zero backend calls; a partial run resumes).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest

from ir_harness.llm import LLMError, LLMSession, make_llm
from ir_harness.llm.openai_http import OpenAICompatLLM, retry_after_s
from ir_harness.llm.parse import extract_json
from ir_harness.run.context import RunContext

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

pytest.importorskip("httpx")

# An action answers one request: (status, headers, body, delay_s).
Action = tuple[int, dict[str, str], str, float]


def ok_body(text: str, prompt_tokens: int = 7, completion_tokens: int = 3) -> str:
    return json.dumps(
        {
            "choices": [
                {"message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens},
        }
    )


class FaultServer:
    """Loopback HTTP server answering ``/v1/chat/completions`` from a script of actions.

    After the script runs out it answers ``default(body)`` (echo of the last user message).
    It refuses to serve more than ``max_requests`` requests, so a retry loop bug cannot spin.
    """

    def __init__(
        self,
        script: list[Action] | None = None,
        default: Callable[[dict[str, Any]], Action] | None = None,
        max_requests: int = 50,
    ) -> None:
        self.script = list(script or [])
        self.default = default or (
            lambda body: (200, {}, ok_body(body["messages"][-1]["content"]), 0.0)
        )
        self.max_requests = max_requests
        self.requests: list[dict[str, Any]] = []
        self.inflight = 0
        self.max_inflight = 0
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                n = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(n) or b"{}")
                with outer._lock:
                    outer.requests.append(body)
                    over = len(outer.requests) > outer.max_requests
                    action = outer.script.pop(0) if outer.script else None
                    outer.inflight += 1
                    outer.max_inflight = max(outer.max_inflight, outer.inflight)
                counted = True
                try:
                    if over:
                        status, headers, text, delay = 503, {}, "request budget exceeded", 0.0
                    else:
                        status, headers, text, delay = action or outer.default(body)
                    if delay:
                        time.sleep(delay)
                    # no longer in flight once the answer is ready: the client may send its next
                    # request as soon as it reads this one, before this thread has finished
                    with outer._lock:
                        outer.inflight -= 1
                        counted = False
                    data = text.encode()
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    if counted:
                        with outer._lock:
                            outer.inflight -= 1

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def client(server: FaultServer, **kw: Any) -> OpenAICompatLLM:
    kw = {"backoff_s": 0.01, "max_retries": 4, "timeout_s": 5.0, **kw}
    return OpenAICompatLLM("test-model", server.url, api_key="k", **kw)


def req(llm: OpenAICompatLLM, prompt: str = "hello", **kw: Any) -> Any:
    from ir_harness.llm.base import Request, as_messages

    return llm.generate(Request(messages=as_messages(prompt), **kw))


def test_429_honours_retry_after_over_backoff() -> None:
    script = [(429, {"Retry-After": "0.6"}, "slow down", 0.0)]
    with FaultServer(script) as srv:
        llm = client(srv, backoff_s=0.001)
        t0 = time.perf_counter()
        out = req(llm, "ping")
        elapsed = time.perf_counter() - t0
    assert out.text == "ping"
    assert len(srv.requests) == 2 and llm.retries == 1
    assert elapsed >= 0.6  # the header's wait, not the 1 ms backoff


def test_retry_after_zero_beats_a_long_backoff() -> None:
    script = [(429, {"Retry-After": "0"}, "", 0.0)]
    with FaultServer(script) as srv:
        llm = client(srv, backoff_s=30.0)
        t0 = time.perf_counter()
        assert req(llm).text == "hello"
    assert time.perf_counter() - t0 < 10


def test_retry_after_http_date() -> None:
    from email.utils import formatdate

    assert 8 <= retry_after_s(formatdate(time.time() + 10, usegmt=True)) <= 10.5
    assert retry_after_s("3") == 3.0
    assert retry_after_s("soon") is None and retry_after_s(None) is None


def test_5xx_are_retried_then_succeed() -> None:
    script = [(500, {}, "boom", 0.0), (502, {}, "bad gateway", 0.0)]
    with FaultServer(script) as srv:
        llm = client(srv)
        out = req(llm, "x")
    assert out.text == "x" and out.prompt_tokens == 7 and out.completion_tokens == 3
    assert len(srv.requests) == 3 and llm.retries == 2


def test_persistent_5xx_gives_up_after_max_retries() -> None:
    with FaultServer(default=lambda b: (503, {}, "down", 0.0)) as srv:
        llm = client(srv, max_retries=2)
        with pytest.raises(LLMError, match="giving up after 3 attempts"):
            req(llm)
    assert len(srv.requests) == 3


def test_fatal_4xx_is_not_retried() -> None:
    with FaultServer([(401, {}, '{"error": "bad key"}', 0.0)]) as srv:
        with pytest.raises(LLMError, match="401"):
            req(client(srv))
    assert len(srv.requests) == 1


def test_timeout_is_retried() -> None:
    script = [(200, {}, ok_body("late"), 1.5)]
    with FaultServer(script) as srv:
        llm = client(srv, timeout_s=0.3)
        out = req(llm, "on time")
    assert out.text == "on time" and llm.retries == 1


@pytest.mark.parametrize(
    "body", ["not json at all", '{"choices": []}', '{"choices": [{"message": {}}]}']
)
def test_malformed_body_is_retried(body: str) -> None:
    with FaultServer([(200, {}, body, 0.0)]) as srv:
        llm = client(srv)
        assert req(llm, "fine").text == "fine"
    assert len(srv.requests) == 2


SCHEMA = {"type": "object", "properties": {"grade": {"type": "integer"}}, "required": ["grade"]}


def test_structured_output_is_requested_with_response_format() -> None:
    with FaultServer(default=lambda b: (200, {}, ok_body('{"grade": 3}'), 0.0)) as srv:
        out = req(client(srv), "rate", json_schema=SCHEMA)
    rf = srv.requests[0]["response_format"]
    assert rf["type"] == "json_schema" and rf["json_schema"]["schema"] == SCHEMA
    assert extract_json(out.text) == {"grade": 3}


def test_server_without_schema_support_falls_back_to_prompt_and_tolerant_parse() -> None:
    script = [
        (400, {}, '{"error": "response_format is not supported"}', 0.0),
        (500, {}, '{"error": "response_format.type: json_object not allowed"}', 0.0),
    ]
    answer = 'Sure! Here it is:\n```json\n{"grade": 2,}\n```'
    with FaultServer(script, default=lambda b: (200, {}, ok_body(answer), 0.0)) as srv:
        llm = client(srv)
        out = req(llm, "rate", json_schema=SCHEMA)
        req(llm, "rate again", json_schema=SCHEMA)
    assert srv.requests[0]["response_format"]["type"] == "json_schema"
    assert srv.requests[1]["response_format"] == {"type": "json_object", "schema": SCHEMA}
    assert "response_format" not in srv.requests[2]
    assert json.dumps(SCHEMA) in srv.requests[2]["messages"][-1]["content"]
    assert "response_format" not in srv.requests[3]  # remembered: no rejected attempts again
    assert len(srv.requests) == 4 and llm.retries == 0
    assert extract_json(out.text) == {"grade": 2}


def test_llama_cpp_dialect_is_used_after_json_schema_is_rejected() -> None:
    script = [(500, {}, "response_format.type: Input should be 'text' or 'json_object'", 0.0)]
    with FaultServer(script, default=lambda b: (200, {}, ok_body('{"grade": 1}'), 0.0)) as srv:
        llm = client(srv)
        assert extract_json(req(llm, "rate", json_schema=SCHEMA).text) == {"grade": 1}
        req(llm, "rate again", json_schema=SCHEMA)
    assert [r["response_format"]["type"] for r in srv.requests] == [
        "json_schema",
        "json_object",
        "json_object",
    ]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"a": 1}', {"a": 1}),
        ('The answer: {"a": [1, 2,],} thanks', {"a": [1, 2]}),
        ("```\n[3, 1, 2]\n```", [3, 1, 2]),
        ('{"a": "x}", "b": {"c": 1}} trailing {"d": 2}', {"a": "x}", "b": {"c": 1}}),
        ('{"order": [3, 1, 2', {"order": [3, 1, 2]}),
        ('{"why": "cut off mid-str', {"why": "cut off mid-str"}),
    ],
)
def test_extract_json_repairs(text: str, value: Any) -> None:
    assert extract_json(text) == value


def test_extract_json_failure_is_an_error() -> None:
    with pytest.raises(ValueError, match="no JSON"):
        extract_json("I think the grade is two.")


def test_concurrency_is_bounded(tmp_path: Path) -> None:
    slow = lambda b: (200, {}, ok_body(b["messages"][-1]["content"]), 0.2)  # noqa: E731
    with FaultServer(default=slow) as srv:
        llm = client(srv, max_concurrency=2)
        ctx = RunContext(cache_dir=tmp_path)
        with LLMSession(llm, ctx, cache=False) as s:
            outs = s.complete_many([f"p{i}" for i in range(8)], max_tokens=5)
    assert [o.text for o in outs] == [f"p{i}" for i in range(8)]  # input order kept
    assert srv.max_inflight <= 2
    assert len(srv.requests) == 8


def test_cache_second_run_makes_zero_calls_and_partial_run_resumes(tmp_path: Path) -> None:
    prompts = [f"question {i}" for i in range(6)]
    with FaultServer() as srv:
        llm = client(srv)
        # A "killed" run that got through the first half only.
        ctx0 = RunContext(cache_dir=tmp_path)
        with LLMSession(llm, ctx0) as s:
            s.complete_many(prompts[:3])
        assert len(srv.requests) == 3
        # The rerun calls the backend only for what is missing.
        ctx1 = RunContext(cache_dir=tmp_path)
        with LLMSession(llm, ctx1) as s:
            first = s.complete_many(prompts)
        assert len(srv.requests) == 6
        assert ctx1.stats["llm_calls"] == 3 and ctx1.stats["llm_cache_hits"] == 3
        assert ctx1.stats["llm_prompt_tokens"] == 21 and ctx1.stats["llm_completion_tokens"] == 9
        # An identical run: zero backend calls, same answers.
        ctx2 = RunContext(cache_dir=tmp_path)
        with LLMSession(llm, ctx2) as s:
            second = s.complete_many(prompts)
        assert len(srv.requests) == 6
        assert "llm_calls" not in ctx2.stats and ctx2.stats["llm_cache_hits"] == 6
        assert [c.text for c in second] == [c.text for c in first]
        assert all(c.cached for c in second)
        # Different sampling parameters are a different cache entry.
        with LLMSession(llm, RunContext(cache_dir=tmp_path)) as s:
            s.complete(prompts[0], max_tokens=99)
        assert len(srv.requests) == 7


def test_make_llm_parses_openai_spec() -> None:
    llm = make_llm("openai:my/model-7b@http://127.0.0.1:9/v1")
    assert isinstance(llm, OpenAICompatLLM)
    assert llm.model == "my/model-7b" and llm.base_url == "http://127.0.0.1:9/v1"
