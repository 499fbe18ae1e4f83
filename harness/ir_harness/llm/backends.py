"""The LLM backend registry: the part of an ``--llm`` spec before ``:`` names a factory here.

Built-in backends (``openai``, ``hf``, ``gguf``, ``oracle``) are registered below as lazy
``"module:attr"`` targets, so naming one imports only its own library. Other packages add a
backend with one line in their ``[project.entry-points."harness.llm_backends"]`` table, pointing
at a factory with the signature of the ones below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ir_harness.registry import Registry
from ir_harness.run.config import LLMPolicy

if TYPE_CHECKING:
    from pathlib import Path

    from ir_harness.llm.base import LLM

LLM_BACKEND_GROUP = "harness.llm_backends"
LLM_BACKENDS: Registry[Any] = Registry("backend", LLM_BACKEND_GROUP)


@dataclass(frozen=True)
class RunTarget:
    """What a backend may need from the run besides its own options: the cache folder (GGUF
    downloads), the task with its data folder (the oracle answers from that task's qrels), and
    the run's LLM fault policy (an HTTP backend's timeout and attempts)."""

    cache_dir: Path | None = None
    task: str | None = None
    data_dir: str | Path | None = None
    policy: LLMPolicy = field(default_factory=LLMPolicy)


_OPENAI = re.compile(r"^(?P<model>.+?)(?:@(?P<url>https?://\S+))?$")


def openai_backend(rest: str, *, spec: str, run: RunTarget, **options: Any) -> LLM:
    """``openai:MODEL[@URL]``: any OpenAI-compatible server."""
    from ir_harness.llm.openai_http import OpenAICompatLLM

    m = _OPENAI.match(rest)
    assert m is not None  # the pattern matches any non-empty text
    options.setdefault("timeout_s", run.policy.timeout_s)
    options.setdefault("max_retries", run.policy.attempts - 1)
    return OpenAICompatLLM(m.group("model"), m.group("url"), **options)


def hf_backend(rest: str, *, spec: str, run: RunTarget, **options: Any) -> LLM:
    """``hf:ID_OR_PATH``: a transformers causal LM."""
    from ir_harness.llm.hf import TransformersLLM

    return TransformersLLM(rest, **options)


def gguf_backend(rest: str, *, spec: str, run: RunTarget, **options: Any) -> LLM:
    """``gguf:PATH_OR_KNOWN_ID``: llama-cpp-python."""
    from ir_harness.llm.gguf import LlamaCppLLM

    options.setdefault("timeout_s", run.policy.timeout_s)  # the whole call, prompt included
    return LlamaCppLLM(rest, cache_dir=run.cache_dir, **options)


def oracle_backend(rest: str, *, spec: str, run: RunTarget, **options: Any) -> LLM:
    """``oracle[...]``: the simulated LLM answering from the run task's qrels."""
    from ir_harness.llm.oracle.backend import make_oracle

    return make_oracle(spec, task=run.task, data_dir=run.data_dir, cache_dir=run.cache_dir)


for _name, _factory in {
    "openai": openai_backend,
    "hf": hf_backend,
    "gguf": gguf_backend,
    "oracle": oracle_backend,
}.items():
    LLM_BACKENDS.register(_name, f"{__name__}:{_factory.__name__}")
