"""The one interface every LLM backend implements, and the records it returns.

Backends only turn a request into text; caching, accounting and concurrency live in
``ir_harness.llm.session`` so every backend gets them the same way.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ir_harness.errors import HarnessError

if TYPE_CHECKING:
    from ir_harness.llm.ask import Ask

Message = dict[str, str]
"""One chat turn: ``{"role": "system" | "user" | "assistant", "content": text}``."""


def as_messages(prompt: str | list[Message]) -> list[Message]:
    """A bare prompt is one user turn, so every backend sees chat messages."""
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    return [{"role": m["role"], "content": m["content"]} for m in prompt]


@dataclass(frozen=True)
class Request:
    """Everything that determines a completion; hashed into the response-cache key.

    ``ask`` is what the call asks as data (``ir_harness.llm.ask``): only the oracle reads it,
    and it is left out of the key, so answers cached before it existed are still found."""

    messages: list[Message]
    max_tokens: int = 256
    temperature: float = 0.0
    json_schema: dict[str, Any] | None = None
    stop: list[str] = field(default_factory=list)
    seed: int = 0
    ask: Ask | None = field(default=None, compare=False, repr=False)

    def key(self, backend: str, model: str) -> str:
        """The response-cache key: sha256 over the backend, ``model`` (the session passes the
        fingerprint) and every field but ``ask``, so equal requests to the same model share one
        answer."""
        fields = asdict(self)
        fields.pop("ask")
        payload = {"backend": backend, "model": model, **fields}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Completion:
    """One answer and what it cost, as ``LLMSession`` accounts it; ``cached`` marks an answer read
    back from the response cache (a hit, not a call). Token counts are 0 where the backend reports
    none."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    cached: bool = False
    finish_reason: str = ""


@runtime_checkable
class LLM(Protocol):
    """A backend. ``backend`` and ``model`` identify it in cache keys and result metadata."""

    backend: str
    model: str
    # How many requests may run at once (1 for in-process models).
    max_concurrency: int

    @property
    def fingerprint(self) -> str:
        """What determines the outputs besides the request (weights hash, model name, the
        oracle's qrels): the cache key. An attribute or a property."""
        ...

    def generate(self, request: Request) -> Completion:
        """The completion for ``request``; ``LLMError`` once the backend has given up (any
        retrying happens inside, and is counted in a ``retries`` attribute where it has one)."""
        ...

    def describe(self) -> dict[str, Any]:
        """What produced the outputs (model path, sha256, server URL ...), for result metadata."""
        ...


@runtime_checkable
class ScopedCache(Protocol):
    """A backend whose answer to a request also depends on state that can change between calls
    (the oracle's tree files): ``cache_scope`` names that state for the request's cache key."""

    def cache_scope(self, request: Request) -> str:
        """A name for the state this request's answer depends on, joined to the fingerprint in
        its cache key; empty when the answer depends on none."""
        ...


class LLMError(HarnessError):
    """A backend failed for good: retries exhausted, bad credentials, unusable responses."""
