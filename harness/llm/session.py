"""Calling a backend inside a run: response cache, bounded concurrency, per-call accounting.

Counters go to ``ctx.stats`` (and so into result metadata): ``llm_calls`` (backend calls made),
``llm_cache_hits``, ``llm_prompt_tokens`` / ``llm_completion_tokens`` and ``llm_latency_s``
(backend calls only; cached responses cost nothing and are not counted as calls).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from harness.llm.base import Completion, Message, Request, as_messages
from harness.llm.cache import ResponseCache

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from harness.llm.base import LLM
    from harness.llm.progress import LLMProgress
    from harness.runtime import RunContext


T = TypeVar("T")
R = TypeVar("R")


def cache_enabled() -> bool:
    return os.environ.get("HARNESS_LLM_CACHE", "1") != "0"


class LLMSession:
    def __init__(self, llm: LLM, ctx: RunContext, *, cache: bool | None = None) -> None:
        self.llm = llm
        self.ctx = ctx
        use_cache = cache_enabled() if cache is None else cache
        self.cache = (
            ResponseCache(ctx.cache_dir / "llm" / "responses.sqlite") if use_cache else None
        )
        self._lock = threading.Lock()
        # An LLMProgress to tell about every call (set by the system running the session).
        self.progress: LLMProgress | None = None

    def request(
        self,
        prompt: str | list[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        json_schema: dict[str, Any] | None = None,
        stop: list[str] | None = None,
    ) -> Request:
        return Request(
            messages=as_messages(prompt),
            max_tokens=max_tokens,
            temperature=temperature,
            json_schema=json_schema,
            stop=list(stop or []),
            seed=self.ctx.seed,
        )

    def complete(self, prompt: str | list[Message], **kw: Any) -> Completion:
        return self.run(self.request(prompt, **kw))

    def complete_many(self, prompts: list[str | list[Message]], **kw: Any) -> list[Completion]:
        """Completions in input order; at most ``llm.max_concurrency`` backend calls at once."""
        reqs = [self.request(p, **kw) for p in prompts]
        workers = max(1, int(getattr(self.llm, "max_concurrency", 1)))
        if workers == 1 or len(reqs) <= 1:
            return [self.run(r) for r in reqs]
        with ThreadPoolExecutor(max_workers=min(workers, len(reqs))) as pool:
            return list(pool.map(self.run, reqs))

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``fn`` over per-query work items, in input order, at most ``llm.max_concurrency`` at
        once: one query's LLM calls stay sequential (each depends on the last), queries overlap."""
        workers = max(1, min(int(getattr(self.llm, "max_concurrency", 1)), len(items)))
        if workers == 1:
            return [fn(x) for x in items]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(fn, items))

    def run(self, req: Request) -> Completion:
        key = req.key(self.llm.backend, self.llm.fingerprint)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                self._account(hit)
                return hit
        out = self.llm.generate(req)
        if self.cache is not None:
            self.cache.put(key, out)
        self._account(out)
        return out

    def _account(self, c: Completion) -> None:
        if self.progress is not None:
            self.progress.on_call(c)
        with self._lock:
            if c.cached:
                self.ctx.count("llm_cache_hits")
                return
            self.ctx.count("llm_calls")
            self.ctx.count("llm_prompt_tokens", c.prompt_tokens)
            self.ctx.count("llm_completion_tokens", c.completion_tokens)
            self.ctx.count("llm_latency_s", round(c.latency_s, 4))

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()

    def __enter__(self) -> LLMSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
