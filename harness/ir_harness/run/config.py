"""What a run is configured with, as typed values that travel down with the run.

``RunConfig`` is the whole of it (frozen); ``LLMPolicy`` and the ``Executor`` are parts of it.

``LLMPolicy`` holds the LLM fault settings. It is built once, by ``harness run`` (which reads
``$HARNESS_LLM_*`` in ``ir_harness.cli.env``, as defaults for flags not given) or by the caller of
``evaluate``, and handed to the backend and the session through the ``RunContext``, so two
evaluations in one process can use different settings, and the result records the ones it ran
under. No layer passes a setting to another through the environment.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ir_harness.corpus.policy import StorePolicy
from ir_harness.errors import ArgumentTypeError, ConfigError, check_type

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable


@dataclass(frozen=True)
class LLMPolicy:
    """How a run treats LLM faults: the per-call timeout (an HTTP request; a whole in-process
    GGUF call), the attempts of HTTP backends, and the share of unusable answers above which
    the result is not stored (unless allowed)."""

    timeout_s: float = 120.0
    attempts: int = 6
    max_failed_share: float = 0.5
    allow_failures: bool = False

    def __post_init__(self) -> None:
        t = self.timeout_s
        check_type("LLM timeout_s", t, (int, float), "a positive number of seconds")
        if not (0 < t < math.inf):
            raise ConfigError(f"LLM timeout_s {t!r}: expected a positive number of seconds")
        a = self.attempts
        check_type("LLM attempts", a, int, "a whole number of at least 1")
        if a < 1:
            raise ConfigError(f"LLM attempts {a!r}: expected a whole number of at least 1")
        s = self.max_failed_share
        check_type("LLM max_failed_share", s, (int, float), "a share between 0 and 1")
        if not (0.0 <= s <= 1.0):
            raise ConfigError(f"LLM max_failed_share {s!r}: expected a share between 0 and 1")
        check_type("LLM allow_failures", self.allow_failures, bool, "True or False")

    def record(self) -> dict[str, Any]:
        """The settings as stored in a result's metadata."""
        return asdict(self)


@runtime_checkable
class Executor(Protocol):
    """Where corpus encoding, exact search and query batches run. Systems call it (through
    ``ctx.executor``) instead of asking which executor it is; every executor gives the same
    bytes, so none is part of a result's config."""

    @property
    def name(self) -> str:
        """``local``, ``ray`` ...: for logs and records, never to branch on."""
        ...

    def encode_shards(
        self, system: Any, corpus: Any, store: Any, todo: list[int], ctx: Any
    ) -> tuple[int, Any]:
        """Encode the ``todo`` shards of ``system``'s embedding ``store``; returns the rows
        encoded and the store to read from afterwards."""
        ...

    def search_shards(self, queries: Any, store: Any, k: int, ctx: Any) -> tuple[Any, Any]:
        """Exact top-``k`` (scores, rows) of ``queries`` over the whole ``store``."""
        ...

    def query_batches(
        self, job: Any, batches: list[list[str]], ctx: Any, local: Callable[[list[str]], Any]
    ) -> Iterable[Any]:
        """The run of each batch of query ids, in batch order; ``local(qids)`` runs one batch
        in this process."""
        ...

    def describe(self) -> dict[str, Any]:
        """Its name and settings, as the run plan records them (never part of a result's config)."""
        ...


def store_read_rows(system: Any, ctx: Any) -> int:
    """Texts read from the corpus store per encode call: the system's ``store_batch``, and never
    fewer than one model batch (``batch_size``, the texts per model call)."""
    return max(int(ctx.batch_size), int(system.store_batch))


@dataclass(frozen=True)
class LocalExecutor:
    """Everything in this process."""

    name: str = field(default="local", init=False)

    def encode_shards(
        self, system: Any, corpus: Any, store: Any, todo: list[int], ctx: Any
    ) -> tuple[int, Any]:
        """Encodes the ``todo`` shards here, one by one, without the per-text cache."""
        from ir_harness.run.model_output import system_name

        rows = 0
        for i in todo:
            rows += store.encode_shard(
                i,
                corpus,
                lambda t: system.encode_uncached(t, "document", ctx),
                store_read_rows(system, ctx),
                system=system_name(system),
            )
        return rows, store

    def search_shards(self, queries: Any, store: Any, k: int, ctx: Any) -> tuple[Any, Any]:
        """Exact top-``k`` streamed over the store's shards on ``ctx.device``, a shard at a time."""
        from ir_harness.kernels.stream import stream_topk

        return stream_topk(queries, store.shards(), k, device=ctx.device)  # type: ignore[no-any-return]

    def query_batches(
        self, job: Any, batches: list[list[str]], ctx: Any, local: Callable[[list[str]], Any]
    ) -> Iterable[Any]:
        """Runs each batch here with ``local``, lazily and in order."""
        return (local(qids) for qids in batches)

    def describe(self) -> dict[str, Any]:
        """Just the name: a local run has no settings worth recording."""
        return {"executor": self.name}


# Texts per model call (encoding, reranking): the one default of ``--batch-size``.
DEFAULT_BATCH_SIZE = 64


@dataclass(frozen=True)
class RunConfig:
    """How a run is done, built once (by ``harness run`` or ``evaluate``) and passed down whole:
    the data, the scope, device and batching, the result store, the LLM policy and the
    executor. What runs on which task is beside it (``ir_harness.run.job.RunJob``)."""

    # data
    data_dir: str | Path | None = None
    # score against judge-made qrels (restricted to the human-judged pairs) instead of the task's
    qrels_from: Path | None = None
    # scope
    limit_queries: int | None = None
    seed: int = 0
    # device and batching
    device: str = "auto"
    batch_size: int = DEFAULT_BATCH_SIZE
    query_batch: int = 256
    # results and caches
    results: Path | None = Path("results")
    cache_dir: Path | None = None
    # which corpora go to the on-disk store instead of memory
    corpus_store: StorePolicy = field(default_factory=StorePolicy)
    # what the metadata records as the command (default: this process's ``harness`` argv)
    command: str | None = None
    # the Python API call that started the run (function and parameters), recorded as it was
    # made; set by ``evaluate`` (the CLI's command line is ``command``)
    call: dict[str, Any] | None = None
    progress: bool = False
    llm_policy: LLMPolicy = field(default_factory=LLMPolicy)
    # reuse LLM answers from (and add them to) the cache folder's response cache
    llm_cache: bool = True
    # a task's own settings, as text: {family: {name: value}} (``Task.settings``)
    task_settings: dict[str, dict[str, str]] = field(default_factory=dict)
    executor: Executor = field(default_factory=LocalExecutor)
    # pre-flight plan (``ir_harness.plan``): print it, record it, refuse a run that cannot fit
    plan: bool = False
    force: bool = False
    # bytes the plan may count on (None: MemAvailable or the cgroup's room)
    memory_available: int | None = None

    def __post_init__(self) -> None:
        for key in ("data_dir", "qrels_from", "results", "cache_dir"):
            value = getattr(self, key)
            if value is not None:
                check_type(key, value, (str, os.PathLike), "a path (str or pathlib.Path) or None")
            if key != "data_dir" and isinstance(value, str | os.PathLike):
                object.__setattr__(self, key, Path(value))
        check_type("seed", self.seed, int, "a whole number")
        check_type("device", self.device, str, "'auto', 'cpu', 'cuda' or 'cuda:N'")
        if self.command is not None:
            check_type("command", self.command, str, "the command line as one string, or None")
        if self.call is not None:
            check_type("call", self.call, dict, "the API call as {parameter: value}, or None")
        for key in ("progress", "llm_cache", "plan", "force"):
            check_type(key, getattr(self, key), bool, "True or False")
        check_type("llm_policy", self.llm_policy, LLMPolicy, "an ir_harness.LLMPolicy")
        check_type(
            "corpus_store",
            self.corpus_store,
            StorePolicy,
            "an ir_harness.corpus.policy.StorePolicy",
        )
        if not isinstance(self.executor, Executor):
            raise ArgumentTypeError(
                "executor",
                self.executor,
                "an executor object (ir_harness.run.config.LocalExecutor or "
                "ir_harness.executors.ray_executor.RayExecutor)",
            )
        for key in ("batch_size", "query_batch"):
            n = getattr(self, key)
            check_type(key, n, int, "a whole number of at least 1")
            if n < 1:
                raise ConfigError(f"{key} {n!r}: expected a whole number of at least 1")
        if self.memory_available is not None:
            check_type("memory_available", self.memory_available, int, "a number of bytes")
        check_type("task_settings", self.task_settings, dict, "{family: {name: text}}")
        for family, values in self.task_settings.items():
            check_type(f"task_settings[{family!r}]", values, dict, "{name: text}")
        lim = self.limit_queries
        if lim is not None:
            check_type("limit_queries", lim, int, "a whole number of at least 0, or None")
            if lim < 0:
                raise ConfigError(f"limit_queries {lim!r}: expected a whole number of at least 0")

    def results_dir(self) -> Path:
        """The results folder; a run that stores needs one."""
        if self.results is None:
            raise ConfigError("the run config names no results folder (results=None)")
        return self.results

    def with_overrides(self, **overrides: Any) -> RunConfig:
        """A copy with ``overrides`` (field names); an unknown name is a ConfigError."""
        names = {f.name for f in fields(self)}
        if unknown := sorted(set(overrides) - names):
            raise ConfigError(
                f"unknown run setting(s) {', '.join(unknown)}; expected: {', '.join(sorted(names))}"
            )
        return replace(self, **overrides) if overrides else self
