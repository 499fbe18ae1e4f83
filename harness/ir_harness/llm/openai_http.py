"""An OpenAI-compatible chat-completions client (OpenAI, vLLM, llama.cpp's server) over httpx.

Transient failures (429, 5xx, timeouts, connection errors, unparsable bodies) are retried with
exponential backoff and jitter; a ``Retry-After`` header (seconds or HTTP date) overrides the
backoff, capped at ``max_wait_s``. Structured output is requested with ``response_format`` in
the first dialect the server accepts: OpenAI/vLLM's ``json_schema``, then llama-cpp-python's
``json_object`` + ``schema`` (its server rejects the former with a 500), then none: the schema
goes into the prompt and parsing is left to ``ir_harness.llm.parse.extract_json``. A rejected
dialect is remembered, so each costs one failed request per client.
"""

from __future__ import annotations

import email.utils
import json
import os
import random
import time
from typing import Any

from ir_harness.llm.base import Completion, LLMError, Request
from ir_harness.redact import filter_http_logs, redact_text, redact_url
from ir_harness.run.config import LLMPolicy

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
DEFAULT_URL = "https://api.openai.com/v1"
# The body field carrying a call's ask to an oracle served over HTTP (``harness llm-serve``).
ASK_FIELD = "harness_ask"
# response_format dialects, tried in order; None = schema in the prompt, tolerant parsing.
DIALECTS: tuple[str | None, ...] = ("json_schema", "json_object", None)


# An answer larger than this is refused (a chat completion is kilobytes; a huge body is a fault).
MAX_ANSWER_BYTES = 16 * 1024 * 1024


def retry_after_s(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class _Retryable(Exception):
    def __init__(self, msg: str, wait_s: float | None = None) -> None:
        super().__init__(msg)
        self.wait_s = wait_s


class OpenAICompatLLM:
    """A chat-completions endpoint as an ``LLM``: up to ``max_concurrency`` calls at once, each
    bounded by ``timeout_s`` and retried with backoff; the endpoint is part of the fingerprint, and
    only the HTTP client holds the API key."""

    backend = "openai-http"

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout_s: float | None = None,
        max_retries: int | None = None,
        backoff_s: float = 1.0,
        max_wait_s: float = 60.0,
        max_concurrency: int = 8,
        structured: bool = True,
    ) -> None:
        import httpx

        filter_http_logs()
        self.model = model
        url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_URL).rstrip("/")
        # Only the HTTP client holds the credentials in the URL; the identity, the metadata and
        # every message use the redacted form.
        self.base_url = redact_url(url)
        key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY", "")
        # Defaults 120 s and 6 attempts (``LLMPolicy``); a run passes its policy's values.
        if timeout_s is None:
            timeout_s = LLMPolicy().timeout_s
        if max_retries is None:
            max_retries = LLMPolicy().attempts - 1
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_wait_s = max_wait_s
        self.max_concurrency = max_concurrency
        self.dialects = list(DIALECTS if structured else (None,))
        # The same model name on another server is another model: the endpoint is in the key.
        self.fingerprint = f"{model}@{self.base_url}"
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._client = httpx.Client(
            base_url=url,
            headers=headers,
            timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_connections=max_concurrency),
        )
        self.retries = 0  # retried attempts over this client's life, for tests and logs
        # A served oracle reads each call's ask from the body (``ASK_FIELD``); real servers
        # never see it. What those asks disclosed goes into the result's metadata.
        from ir_harness.llm.oracle.spec import is_oracle

        self.sends_asks = is_oracle(model)
        self.disclosures: dict[str, str] = {}

    def describe(self) -> dict[str, Any]:
        """The endpoint (credentials redacted), timeout and attempts for result metadata; never the
        API key."""
        return {
            "backend": self.backend,
            "model": self.model,
            "base_url": self.base_url,
            "timeout_s": self.timeout_s,
            "attempts": self.max_retries + 1,
        }

    # ---------------------------------------------------------------- request building
    def _body(self, req: Request, dialect: str | None) -> dict[str, Any]:
        messages = [dict(m) for m in req.messages]
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": req.max_tokens,
            "temperature": req.temperature,
            "seed": req.seed,
        }
        if req.stop:
            body["stop"] = req.stop
        if self.sends_asks and req.ask is not None:
            body[ASK_FIELD] = req.ask.to_json()
            if req.ask.disclosure:
                self.disclosures[req.ask.system] = req.ask.disclosure
        if req.json_schema is not None:
            if dialect == "json_schema":
                body["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": "response", "schema": req.json_schema, "strict": True},
                }
            elif dialect == "json_object":
                body["response_format"] = {"type": "json_object", "schema": req.json_schema}
            else:
                hint = "\n\nRespond only with JSON matching this schema: " + json.dumps(
                    req.json_schema
                )
                messages[-1] = {**messages[-1], "content": messages[-1]["content"] + hint}
        return body

    # ---------------------------------------------------------------- calling
    def generate(self, req: Request) -> Completion:
        """One completion; transient failures (``RETRY_STATUS``, timeouts, connection errors,
        malformed bodies) are retried up to ``max_retries`` times, then ``LLMError``; other HTTP
        errors and redirects fail at once."""
        attempt = 0
        while True:
            try:
                return self._once(req)
            except _Retryable as e:
                if attempt >= self.max_retries:
                    raise LLMError(
                        redact_text(f"{self.base_url}: giving up after {attempt + 1} attempts: {e}")
                    ) from e
                wait = e.wait_s
                if wait is None:
                    wait = self.backoff_s * 2**attempt * (0.5 + random.random() / 2)
                time.sleep(min(wait, self.max_wait_s))
                attempt += 1
                self.retries += 1

    def _once(self, req: Request) -> Completion:
        import httpx

        dialect = self.dialects[0] if req.json_schema is not None else None
        t0 = time.perf_counter()
        try:
            r = self._post(req, dialect, t0)
        except (httpx.TimeoutException, httpx.TransportError) as e:
            raise _Retryable(f"{type(e).__name__}: {e}") from e
        latency = time.perf_counter() - t0
        if dialect is not None and r.status_code in (400, 422, 500) and _about_format(r.text):
            self.dialects.pop(0)  # this server cannot do this dialect; try the next one
            return self._once(req)
        if r.status_code in RETRY_STATUS:
            raise _Retryable(
                f"HTTP {r.status_code}: {r.text[:200]}", retry_after_s(r.headers.get("retry-after"))
            )
        if r.status_code >= 400:
            raise LLMError(redact_text(f"{self.base_url}: HTTP {r.status_code}: {r.text[:500]}"))
        if 300 <= r.status_code < 400:
            # Never followed: the API key would go with the request to wherever it points.
            to = r.headers.get("location")
            where = f"to {redact_url(to)}" if to else "with no Location header"
            raise LLMError(
                f"{redact_url(self.base_url)}: HTTP {r.status_code}: the server redirects {where};"
                " redirects are not followed (the API key would go with them): use the final"
                " URL as the endpoint"
            )
        try:
            data = r.json()
            choice = data["choices"][0]
            text = choice["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError) as e:
            raise _Retryable(f"malformed response body: {r.text[:200]!r}") from e
        if not isinstance(text, str):
            raise LLMError(
                f"{redact_url(self.base_url)}: answer field choices[0].message.content is a "
                f"{type(text).__name__}, expected a string"
            )
        usage = data.get("usage") or {}
        if not isinstance(usage, dict):
            usage = {}
        return Completion(
            text=text,
            prompt_tokens=self._token_count(usage, "prompt_tokens"),
            completion_tokens=self._token_count(usage, "completion_tokens"),
            latency_s=latency,
            finish_reason=str(choice.get("finish_reason") or ""),
        )

    def _token_count(self, usage: dict[str, Any], key: str) -> int:
        """A usage count as a whole number (absent or null: 0); anything else is a server fault."""
        v = usage.get(key)
        if v is None:
            return 0
        if isinstance(v, bool) or not isinstance(v, int | float) or not float(v).is_integer():
            raise LLMError(
                f"{redact_url(self.base_url)}: answer field usage.{key} is {v!r}, expected a "
                "whole number of tokens"
            )
        return int(v)

    def _post(self, req: Request, dialect: str | None, t0: float) -> Any:
        """The response with its body read, within ``timeout_s`` of ``t0`` for the whole call.

        httpx's timeout bounds each read; a server trickling bytes would keep a call alive for
        ever, so the body is read in chunks and the call abandoned once the deadline passes."""
        import httpx

        deadline = t0 + self.timeout_s
        with self._client.stream("POST", "/chat/completions", json=self._body(req, dialect)) as r:
            body = bytearray()
            for chunk in r.iter_raw():
                body += chunk
                if time.perf_counter() > deadline:
                    raise httpx.ReadTimeout(
                        f"no complete answer within the {self.timeout_s:g} s limit of one call"
                    )
                if len(body) > MAX_ANSWER_BYTES:
                    raise LLMError(
                        redact_text(
                            f"{self.base_url}: answer larger than {MAX_ANSWER_BYTES:,} bytes"
                        )
                    )
            r._content = bytes(body)  # the body as read, for .text/.json()
        return r

    def close(self) -> None:
        """Close the connection pool; the client is unusable after."""
        self._client.close()


def _about_format(body: str) -> bool:
    low = body.lower()
    return "response_format" in low or "json_schema" in low or "json_object" in low
