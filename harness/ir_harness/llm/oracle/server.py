"""The oracle over the OpenAI chat-completions API, on loopback only (``harness llm-serve``).

Clients reach it as ``--llm openai:oracle[noise=0.5,seed=1]@http://127.0.0.1:PORT/v1``: the
request's ``model`` is an oracle spec, so one server answers every noise level of a sweep.
It keeps connections alive (HTTP/1.1) and answers each on its own thread, as a vLLM endpoint
would, so the client's concurrency, retries and cache are exercised for real. Errors use
OpenAI's shape (``{"error": {"message", "type"}}``): 400 for a prompt or model the oracle cannot
answer, 404 for unknown paths. Each call's ask (what it asks, ``ir_harness.llm.ask``) travels in
the body's ``harness_ask`` field, which the harness's client sends only to oracle models.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from ir_harness.errors import HarnessError

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from ir_harness.llm.oracle.backend import OracleLLM

HOST = "127.0.0.1"


class OracleServer(ThreadingHTTPServer):
    """A threaded HTTP server on loopback answering chat completions with oracles: one oracle from
    ``factory`` per model name the requests give, kept for the server's life. ``port`` 0 picks a
    free port (``url`` names it)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, port: int, factory: Callable[[str], OracleLLM]) -> None:
        self.factory = factory
        self.oracles: dict[str, OracleLLM] = {}
        self._lock = threading.Lock()
        self.requests_served = 0
        super().__init__((HOST, port), _Handler)

    def oracle(self, model: str) -> OracleLLM:
        """The oracle a request's model names (created once per distinct spec)."""
        with self._lock:
            o = self.oracles.get(model)
        if o is None:
            o = self.factory(model)
            with self._lock:
                self.oracles.setdefault(model, o)
        return o

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes; with Nagle's algorithm and the client's
    # delayed ACK each keep-alive response would wait ~40 ms for the second segment.
    disable_nagle_algorithm = True
    server: OracleServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # one line per request would dominate a throughput run

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, message: str, kind: str = "invalid_request_error") -> None:
        self._send(status, {"error": {"message": message, "type": kind}})

    def do_GET(self) -> None:
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            self._send(200, {"object": "list", "data": [{"id": "oracle", "object": "model"}]})
        else:
            self._error(404, f"no route {self.path}", "not_found")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._error(404, f"no route {self.path}", "not_found")
            return
        try:
            body = json.loads(raw)
            model = str(body.get("model") or "oracle")
            messages = [
                {"role": str(m["role"]), "content": str(m.get("content") or "")}
                for m in body["messages"]
            ]
            from ir_harness.llm.ask import Ask
            from ir_harness.llm.openai_http import ASK_FIELD

            raw_ask = body.get(ASK_FIELD)
            ask = None if raw_ask is None else Ask.from_json(raw_ask)
        except (ValueError, KeyError, TypeError) as e:
            self._error(400, f"bad request body: {e}")
            return
        from ir_harness.llm.base import Request

        try:
            c = self.server.oracle(model).generate(Request(messages=messages, ask=ask))
        except HarnessError as e:
            self._error(400, str(e))
            return
        self.server.requests_served += 1
        self._send(
            200,
            {
                "id": f"oracle-{self.server.requests_served}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": c.text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": c.prompt_tokens,
                    "completion_tokens": c.completion_tokens,
                    "total_tokens": c.prompt_tokens + c.completion_tokens,
                },
            },
        )


def task_factory(
    task: str, data_dir: Path | str | None = None, cache_dir: Path | None = None
) -> Callable[[str], OracleLLM]:
    """Oracles answering from ``task``'s data, one per model spec a request names."""
    from ir_harness.llm.oracle.backend import make_oracle

    return lambda model: make_oracle(model, task=task, data_dir=data_dir, cache_dir=cache_dir)


def serve_in_thread(factory: Callable[[str], OracleLLM], port: int = 0) -> OracleServer:
    """Start a server on a background thread (tests, benchmarks); ``.shutdown()`` stops it."""
    srv = OracleServer(port, factory)
    threading.Thread(target=srv.serve_forever, daemon=True, name="oracle-server").start()
    return srv
