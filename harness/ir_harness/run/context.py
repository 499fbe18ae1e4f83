"""Run-wide settings handed to systems: device, batch size, caches, logging."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ir_harness.run.config import (
    DEFAULT_BATCH_SIZE,
    Executor,
    LLMPolicy,
    LocalExecutor,
    RunConfig,
)

log = logging.getLogger("harness")


def default_cache_dir() -> Path:
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


@dataclass
class RunContext:
    """What every system call may need besides its inputs."""

    device: str = "cpu"
    batch_size: int = DEFAULT_BATCH_SIZE
    cache_dir: Path = field(default_factory=default_cache_dir)
    progress: bool = True
    seed: int = 0
    # The task being run and its data folder: what a simulated (oracle) LLM answers from.
    task: str | None = None
    data_dir: Path | str | None = None
    # Where corpus encoding, search and query batches run (``LocalExecutor``, ``RayExecutor``):
    # systems call it. Results are the same bytes either way, so it is not part of the config.
    executor: Executor = field(default_factory=LocalExecutor)
    # LLM fault settings (timeout, attempts, failed share): read by the backend and the run.
    llm_policy: LLMPolicy = field(default_factory=LLMPolicy)
    # Whether LLM sessions read and write the response cache (``RunConfig.llm_cache``).
    llm_cache: bool = True
    # A task's own settings ({family: {name: text}}, ``RunConfig.task_settings``).
    task_settings: dict[str, dict[str, str]] = field(default_factory=dict)
    # Counters systems fill in (encoded texts, cache hits, LLM calls ...); stored in metadata.
    stats: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: RunConfig, task: str | None = None) -> RunContext:
        """The context of a run of ``task`` under ``config`` (the device resolved)."""
        extra: dict[str, Any] = {"cache_dir": config.cache_dir} if config.cache_dir else {}
        return cls(
            device=resolve_device(config.device),
            batch_size=config.batch_size,
            progress=config.progress,
            seed=config.seed,
            task=task,
            data_dir=config.data_dir,
            executor=config.executor,
            llm_policy=config.llm_policy,
            llm_cache=config.llm_cache,
            task_settings=config.task_settings,
            **extra,
        )

    def count(self, key: str, n: int | float = 1) -> None:
        self.stats[key] = self.stats.get(key, 0) + n
