"""LLM backends behind one interface (``LLM.generate``), selected by a spec string.

``openai:MODEL@URL`` (any OpenAI-compatible server; URL defaults to $OPENAI_BASE_URL or OpenAI),
``hf:ID_OR_PATH`` (transformers), ``gguf:PATH_OR_KNOWN_ID`` (llama-cpp-python), ``oracle[noise=S,seed=N,flip=P]`` (a simulated LLM
answering from the run task's qrels: ``ir_harness.llm.oracle``). With no spec the
packaged Qwen2.5-Coder-0.5B-Instruct GGUF is used when installed; ``default_spec`` says so.
The part before ``:`` names a factory in the backend registry (``ir_harness.llm.backends``).
Use an ``LLMSession`` to call a backend inside a run (cache, accounting, concurrency).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ir_harness.errors import ConfigError
from ir_harness.llm.base import LLM, Completion, LLMError, Message, Request
from ir_harness.llm.session import LLMSession

if TYPE_CHECKING:
    from pathlib import Path

    from ir_harness.run.config import LLMPolicy

__all__ = [
    "LLM",
    "Completion",
    "LLMError",
    "LLMSession",
    "Message",
    "Request",
    "default_spec",
    "make_llm",
]


def default_spec() -> str:
    """The spec used when none is given: the packaged Qwen 0.5B GGUF, if installed."""
    from ir_harness.llm.gguf import DEFAULT_GGUF, KNOWN_GGUF, packaged_available

    if packaged_available(DEFAULT_GGUF):
        return f"gguf:{DEFAULT_GGUF}"
    raise ConfigError(
        "no LLM given (--llm openai:MODEL@URL | hf:ID | gguf:PATH_OR_ID) and the default "
        f"packaged model is not installed ({KNOWN_GGUF[DEFAULT_GGUF].install})"
    )


def make_llm(
    spec: str | None = None,
    *,
    cache_dir: Path | None = None,
    task: str | None = None,
    data_dir: str | Path | None = None,
    policy: LLMPolicy | None = None,
    **options: Any,
) -> LLM:
    """Build a backend from ``spec``; ``options`` go to the backend's constructor.

    ``task`` / ``data_dir`` name the run's task; only the oracle uses them (it answers from
    that task's qrels). ``policy`` is the run's LLM fault policy (default: ``LLMPolicy()``):
    an HTTP backend's timeout and attempts come from it unless ``options`` set them."""
    from ir_harness.errors import UnknownNameError
    from ir_harness.llm.backends import LLM_BACKENDS, RunTarget
    from ir_harness.llm.oracle.spec import oracle_part
    from ir_harness.redact import protect, reveal

    # Errors show the redacted spec; only the backend's factory sees the credentials.
    shown = protect(spec or default_spec())
    spec = reveal(shown)

    if not spec.startswith("openai:") and oracle_part(spec) is not None:
        kind, rest = "oracle", spec
    else:
        kind, sep, rest = spec.partition(":")
        if not sep or not rest:
            raise ConfigError(
                f"--llm {shown!r}: expected openai:MODEL@URL, hf:ID, gguf:PATH_OR_ID or oracle"
            )
    try:
        factory = LLM_BACKENDS.get(kind)
    except UnknownNameError as e:
        raise ConfigError(f"--llm {shown!r}: {e}") from None
    from ir_harness.run.config import LLMPolicy

    target = RunTarget(
        cache_dir=cache_dir, task=task, data_dir=data_dir, policy=policy or LLMPolicy()
    )
    return factory(rest, spec=shown, run=target, **options)  # type: ignore[no-any-return]
