"""Run-wide settings handed to systems: device, batch size, caches."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ir_harness.run.config import Executor, LLMPolicy, RunConfig


def default_cache_dir() -> Path:
    """The cache root when the config names none: ``$HARNESS_CACHE_DIR`` (the one location
    every process and Ray worker agrees on, like ``HF_HOME``), else ``~/.cache/ir-harness``."""
    return Path(os.environ.get("HARNESS_CACHE_DIR") or Path.home() / ".cache" / "ir-harness")


def resolve_device(device: str | None) -> str:
    """``auto`` (or None) picks CUDA when torch sees a GPU, else CPU."""
    if device in (None, "auto"):
        try:
            import torch

            return "cuda" if torch.cuda.is_available() else "cpu"
        except ImportError:
            return "cpu"
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        from ir_harness.errors import ConfigError

        raise ConfigError(f"--device {device!r}: expected cpu, cuda, cuda:N or auto")
    return device


class RunContext:
    """What every system call may need besides its inputs: the run's config (whole, not a
    copy field by field), the task being run, the device (resolved once, here) and the
    counters systems fill in.

    ``RunContext(config, task)`` is a run's context; ``RunContext(batch_size=8, ...)`` (any
    ``RunConfig`` field) is a context for a direct system call (tests, tools), where the
    device defaults to ``cpu`` and progress to on."""

    def __init__(
        self,
        config: RunConfig | None = None,
        task: str | None = None,
        *,
        stats: dict[str, Any] | None = None,
        **settings: Any,
    ) -> None:
        if config is None:
            config = RunConfig(device="cpu", progress=True, results=None)
        self.config = config.with_overrides(**settings)
        # The task being run: what a simulated (oracle) LLM answers from, with ``data_dir``.
        self.task = task
        # Resolved once; a Ray actor sets its own GPU as ``cuda``.
        self.device = resolve_device(self.config.device)
        self.cache_dir: Path = self.config.cache_dir or default_cache_dir()
        # Counters systems fill in (encoded texts, cache hits, LLM calls ...); stored in metadata.
        self.stats: dict[str, Any] = {} if stats is None else stats

    @classmethod
    def from_config(cls, config: RunConfig, task: str | None = None) -> RunContext:
        """The context of a run of ``task`` under ``config``."""
        return cls(config, task)

    def derived(self, **settings: Any) -> RunContext:
        """This context with ``settings`` (``RunConfig`` fields) replaced, fresh counters and
        the same device (a worker's context)."""
        out = RunContext(self.config.with_overrides(**settings), self.task)
        out.device, out.cache_dir = self.device, self.cache_dir
        return out

    # The config's fields systems read, by their old names.
    @property
    def batch_size(self) -> int:
        """Texts per model call (encoding, reranking)."""
        return self.config.batch_size

    @property
    def progress(self) -> bool:
        return self.config.progress

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def data_dir(self) -> Path | str | None:
        return self.config.data_dir

    @property
    def executor(self) -> Executor:
        """Where corpus encoding, search and query batches run (``LocalExecutor``,
        ``RayExecutor``): systems call it. Results are the same bytes either way."""
        return self.config.executor

    @property
    def llm_policy(self) -> LLMPolicy:
        """LLM fault settings (timeout, attempts, failed share): read by the backend and the run."""
        return self.config.llm_policy

    @property
    def llm_cache(self) -> bool:
        """Whether LLM sessions read and write the response cache."""
        return self.config.llm_cache

    @property
    def task_settings(self) -> dict[str, dict[str, str]]:
        """A task's own settings ({family: {name: text}})."""
        return self.config.task_settings

    def count(self, key: str, n: int | float = 1) -> None:
        """Add ``n`` to the counter ``key`` of ``stats`` (stored in the result's metadata)."""
        self.stats[key] = self.stats.get(key, 0) + n
