"""``--llm-timeout`` is a deadline for the whole call, not for each read."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ir_harness.llm.base import LLMError, Request

pytest.importorskip("httpx")


class _Trickle(BaseHTTPRequestHandler):
    """Answers with a 50-byte body, one byte a second (each read well inside any timeout)."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", "50")
        self.end_headers()
        try:
            for _ in range(50):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(1.0)
        except OSError:
            pass

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def test_a_trickling_body_is_cut_at_the_deadline() -> None:
    from ir_harness.llm.openai_http import OpenAICompatLLM

    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        llm = OpenAICompatLLM(
            "m", f"http://127.0.0.1:{srv.server_address[1]}/v1", timeout_s=3, max_retries=0
        )
        t0 = time.perf_counter()
        with pytest.raises(LLMError, match="3 s limit"):
            llm.generate(Request(messages=[{"role": "user", "content": "hi"}]))
        assert time.perf_counter() - t0 < 10
        llm.close()
    finally:
        srv.shutdown()
