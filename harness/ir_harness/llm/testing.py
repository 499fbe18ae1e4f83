"""A deterministic in-process LLM for tests of LLM-based systems (no weights, no network)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ir_harness.llm.base import Completion, Request

if TYPE_CHECKING:
    from collections.abc import Callable


class MockLLM:
    """A deterministic in-process LLM: ``respond(messages) -> text``; records every request."""

    backend = "mock"
    max_concurrency = 1

    def __init__(self, respond: Callable[[list[dict[str, str]]], str], model: str = "mock") -> None:
        self.respond = respond
        self.model = model
        self.fingerprint = model
        self.requests: list[Request] = []

    def describe(self) -> dict[str, Any]:
        """Backend and model only: there are no weights or endpoint to identify."""
        return {"backend": self.backend, "model": self.model}

    def generate(self, req: Request) -> Completion:
        """``respond``'s text for the request's messages, the request kept in ``requests``; token
        counts are word counts."""
        self.requests.append(req)
        text = self.respond(req.messages)
        n_in = sum(len(m["content"].split()) for m in req.messages)
        return Completion(text=text, prompt_tokens=n_in, completion_tokens=len(text.split()))
