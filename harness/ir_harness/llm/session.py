"""Calling a backend inside a run: response cache, bounded concurrency, per-call accounting.

Counters go to ``ctx.stats`` (and so into result metadata): ``llm_calls`` (backend calls made),
``llm_cache_hits``, ``llm_prompt_tokens`` / ``llm_completion_tokens`` and ``llm_latency_s``
(backend calls only; cached responses cost nothing and are not counted as calls).

Faults are counted too: ``llm_retries`` (attempts the backend retried), ``llm_answers`` and
``llm_failed_answers`` (answers the caller's ``accept`` check rejected: unparsable or repaired).
A rejected answer is never kept in the response cache, and ``check_llm_faults`` refuses to store a
result when more than the run's ``LLMPolicy.max_failed_share`` (default 0.5) of answers failed,
unless it has ``allow_failures`` (``harness run --llm-max-failed-share/--allow-llm-failures``).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from ir_harness.cache.llm_responses import ResponseCache
from ir_harness.llm.base import Completion, LLMError, Message, Request, ScopedCache, as_messages

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ir_harness.llm.ask import Ask
    from ir_harness.llm.base import LLM
    from ir_harness.llm.progress import LLMProgress
    from ir_harness.run.config import LLMPolicy
    from ir_harness.run.context import RunContext


T = TypeVar("T")
R = TypeVar("R")


def check_llm_faults(stats: dict[str, Any], policy: LLMPolicy) -> None:
    """Record the failed share in ``stats``; raise when it exceeds the policy's share."""
    answers = int(stats.get("llm_answers", 0))
    failed = int(stats.get("llm_failed_answers", 0))
    if not answers:
        return
    share = failed / answers
    stats["llm_failed_share"] = round(share, 6)
    limit = policy.max_failed_share
    if share > limit and not policy.allow_failures:
        raise LLMError(
            f"{failed} of {answers} LLM answers were unusable or repaired ({share:.0%}, allowed"
            f" {limit:.0%}); the result was not stored (--allow-llm-failures stores it anyway)"
        )


class LLMSession:
    """One system's use of a backend within a run: answers from the response cache when the run
    allows it (``ctx.llm_cache``), calls otherwise, and counts every answer into ``ctx.stats``.
    Close it (a context manager) so retries are counted and the cache is closed."""

    def __init__(self, llm: LLM, ctx: RunContext, *, cache: bool | None = None) -> None:
        self.llm = llm
        self.ctx = ctx
        use_cache = bool(getattr(ctx, "llm_cache", True)) if cache is None else cache
        self.cache = (
            ResponseCache(ctx.cache_dir / "llm" / "responses.sqlite") if use_cache else None
        )
        self._lock = threading.Lock()
        # An LLMProgress to tell about every call (set by the system running the session).
        self.progress: LLMProgress | None = None
        self._retries0 = int(getattr(llm, "retries", 0))

    def request(
        self,
        prompt: str | list[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        json_schema: dict[str, Any] | None = None,
        stop: list[str] | None = None,
        ask: Ask | None = None,
    ) -> Request:
        """A request for ``prompt``; ``ask`` says what it asks as data (the oracle answers
        from it; it is not part of the cache key)."""
        return Request(
            messages=as_messages(prompt),
            max_tokens=max_tokens,
            temperature=temperature,
            json_schema=json_schema,
            stop=list(stop or []),
            seed=self.ctx.seed,
            ask=ask,
        )

    def complete(
        self, prompt: str | list[Message], *, accept: Callable[[str], bool] | None = None, **kw: Any
    ) -> Completion:
        """One completion; ``accept(text)`` False marks it failed (counted, never cached)."""
        return self.run(self.request(prompt, **kw), accept=accept)

    def complete_many(
        self,
        prompts: list[str | list[Message]],
        *,
        accept: Callable[[str], bool] | None = None,
        asks: Sequence[Ask] | None = None,
        **kw: Any,
    ) -> list[Completion]:
        """Completions in input order; at most ``llm.max_concurrency`` backend calls at once.
        ``asks``: one per prompt, what each asks (see ``request``)."""
        if asks is not None and len(asks) != len(prompts):
            raise ValueError(f"{len(asks)} asks for {len(prompts)} prompts")
        reqs = [
            self.request(p, ask=None if asks is None else asks[i], **kw)
            for i, p in enumerate(prompts)
        ]
        workers = max(1, int(getattr(self.llm, "max_concurrency", 1)))
        if workers == 1 or len(reqs) <= 1:
            return [self.run(r, accept=accept) for r in reqs]
        with ThreadPoolExecutor(max_workers=min(workers, len(reqs))) as pool:
            return list(pool.map(lambda r: self.run(r, accept=accept), reqs))

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``fn`` over per-query work items, in input order, at most ``llm.max_concurrency`` at
        once: one query's LLM calls stay sequential (each depends on the last), queries overlap."""
        workers = max(1, min(int(getattr(self.llm, "max_concurrency", 1)), len(items)))
        if workers == 1:
            return [fn(x) for x in items]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(fn, items))

    def run(self, req: Request, accept: Callable[[str], bool] | None = None) -> Completion:
        """The completion for ``req``: a cached answer that ``accept`` takes, else a backend call,
        cached only when accepted; a cached answer ``accept`` rejects is deleted and asked again."""
        fp = self.llm.fingerprint
        if isinstance(self.llm, ScopedCache):
            fp = f"{fp}|{self.llm.cache_scope(req)}"
        key = req.key(self.llm.backend, fp)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None and (accept is None or accept(hit.text)):
                self._account(hit, ok=True)
                return hit
            if hit is not None:  # cached by an older version that kept unusable answers
                self.cache.delete(key)
        out = self.llm.generate(req)
        ok = accept is None or accept(out.text)
        if self.cache is not None and ok:
            self.cache.put(key, out)
        self._account(out, ok=ok)
        return out

    def _account(self, c: Completion, ok: bool = True) -> None:
        if self.progress is not None:
            self.progress.on_call(c)
        with self._lock:
            self.ctx.count("llm_answers")
            if not ok:
                self.ctx.count("llm_failed_answers")
            if c.cached:
                self.ctx.count("llm_cache_hits")
                return
            self.ctx.count("llm_calls")
            self.ctx.count("llm_prompt_tokens", c.prompt_tokens)
            self.ctx.count("llm_completion_tokens", c.completion_tokens)
            self.ctx.count("llm_latency_s", round(c.latency_s, 4))

    def close(self) -> None:
        """Count the backend's retries since the session opened (or last closed) into ``ctx.stats``
        and close the response cache."""
        retries = int(getattr(self.llm, "retries", 0)) - self._retries0
        if retries:
            self.ctx.count("llm_retries", retries)
        self._retries0 += retries
        if self.cache is not None:
            self.cache.close()

    def __enter__(self) -> LLMSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
