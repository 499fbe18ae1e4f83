"""The Python API: ``evaluate(system, tasks)`` for notebooks and scripts.

The ``harness run`` command is a thin layer over this function, so a result evaluated here is
scored and stored exactly as the CLI's. ``system`` may be a registered name, a pipeline string
(``"bm25>dense"``), an object implementing the ``Retriever``/``Reranker`` protocols, or a
``SentenceTransformer``-like object (anything with ``encode(sentences, ...)``), which runs
through the registered ``dense`` system: no plugin package or entry point is needed.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from ir_harness.errors import ConfigError, check_type
from ir_harness.run.config import RunConfig

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ir_harness.run.pipeline import Pipeline
    from ir_harness.store.results import MetricsRecord, ResultId, RunMetadata, StoredResult


@dataclass(frozen=True)
class EvalResult:
    """One stored result: the task's metrics, per-query values and where it was written.

    ``path`` is None when ``evaluate(..., results=None)`` kept nothing on disk. A family task
    (``beir``, ``bright``) returns its macro average with one ``members`` entry per member task.
    """

    task: str
    system: str
    main_metric: str
    main_score: float
    metrics: dict[str, float]
    per_query: dict[str, dict[str, float]]
    n_queries: int
    path: Path | None
    record: MetricsRecord = field(repr=False)
    metadata: RunMetadata = field(repr=False)
    members: tuple[EvalResult, ...] = ()

    @property
    def stored(self) -> StoredResult:
        """The stored result this is a view of (the type the store, compare and the site read)."""
        from ir_harness.store.results import StoredResult

        return StoredResult(self.record, self.metadata, self.path)

    @property
    def id(self) -> ResultId:
        return self.stored.id

    @classmethod
    def from_outcome(
        cls, outcome: StoredResult, members: Sequence[EvalResult] = (), keep_path: bool = True
    ) -> EvalResult:
        m = outcome.metrics
        return cls(
            task=m.task,
            system=m.system,
            main_metric=m.main_metric,
            main_score=m.main_score,
            metrics=dict(m.metrics),
            per_query={k: dict(v) for k, v in m.per_query.items()},
            n_queries=m.n_queries,
            path=outcome.path if keep_path else None,
            record=m,
            metadata=outcome.metadata,
            members=tuple(members),
        )


def _looks_like_sentence_encoder(obj: Any) -> bool:
    """A SentenceTransformer (or a look-alike): ``encode`` but none of the harness protocols."""
    return callable(getattr(obj, "encode", None)) and not callable(getattr(obj, "meta", None))


def as_pipeline(
    system: Any, options: dict[str, Any] | None = None, name: str | None = None
) -> Pipeline:
    """A pipeline from a name, a pipeline string, a protocol object or a sentence encoder.

    An object's result is stored under ``name`` (default: its ``meta().name``; a sentence
    encoder is ``dense[model=in-memory:<base model or class>@<weights hash>]``, so it never replaces the
    stored result of the registered ``dense`` model)."""
    from ir_harness.protocols import Reranker, Retriever
    from ir_harness.run.pipeline import Pipeline, build_pipeline

    check_options(options)
    if name is not None:
        check_type("name", name, str, "the label to store an object's results under, or None")
    if isinstance(system, str):
        if name:
            raise ConfigError("name= is for objects; a registered system keeps its own name")
        return build_pipeline(system, options)
    if isinstance(system, Pipeline):
        return system
    label_options: dict[str, Any] = {}
    if _looks_like_sentence_encoder(system):
        from ir_harness.registry import SYSTEMS

        system = SYSTEMS.get("dense")(model=system, **(options or {}))
        options = None
        if not name:
            label_options = {"model": f"in-memory:{system.meta().backbone}"}
    if options:
        raise ConfigError(
            "options apply to systems given by name; configure the object itself instead"
        )
    if not isinstance(system, (Retriever, Reranker)):
        raise ConfigError(
            f"system {type(system).__name__}: expected a registered name, a pipeline string, an "
            "object with meta() and index()/search() or rerank(), or a SentenceTransformer"
        )
    from ir_harness.store.results import check_name

    label = (
        check_name(name, "name=")
        if name is not None
        else check_name(system.meta().name, "meta().name")
    )
    return Pipeline(names=[label], stages=[system], options=label_options)


def check_options(options: Any) -> None:
    """``options`` is None or a dict of ``-o KEY=VALUE`` settings with text keys."""
    if options is None:
        return
    check_type("options", options, dict, "a dict of system options such as {'model': 'x'}")
    for key in options:
        check_type("options key", key, str, "option names as text, such as 'model'")


def check_tasks(tasks: Any) -> list[str]:
    """``tasks`` as a list of names: one name, or a list or tuple of names."""
    check_type("tasks", tasks, (str, list, tuple), "a task name or a list of task names")
    names = [tasks] if isinstance(tasks, str) else list(tasks)
    for n in names:
        check_type("tasks", n, str, "task names as text")
    return names


def _command(system: str, tasks: Sequence[str], settings: dict[str, Any]) -> str:
    args = ", ".join(
        [repr(system), repr(list(tasks))] + [f"{k}={v!r}" for k, v in settings.items()]
    )
    return f"ir_harness.evaluate({args})"


@overload
def evaluate(
    system: Any,
    tasks: str,
    config: RunConfig | None = None,
    *,
    options: dict[str, Any] | None = None,
    name: str | None = None,
    **overrides: Any,
) -> EvalResult: ...


@overload
def evaluate(
    system: Any,
    tasks: Sequence[str],
    config: RunConfig | None = None,
    *,
    options: dict[str, Any] | None = None,
    name: str | None = None,
    **overrides: Any,
) -> list[EvalResult]: ...


def evaluate(
    system: Any,
    tasks: str | Sequence[str],
    config: RunConfig | None = None,
    *,
    options: dict[str, Any] | None = None,
    name: str | None = None,
    **overrides: Any,
) -> EvalResult | list[EvalResult]:
    """Run ``system`` on each task, score it with the task's conventions and store the result.

    ``config`` is a ``ir_harness.RunConfig`` (default ``RunConfig()``); ``overrides`` replace its
    fields for this call: ``data_dir``, ``results``, ``limit_queries``, ``seed``, ``device``,
    ``batch_size``, ``qrels_from``, ``llm_policy`` (``ir_harness.LLMPolicy``: LLM timeout,
    attempts, max failed share, allow failures; recorded in the result), ``executor``
    (``LocalExecutor()``, ``RayExecutor(address, workers)``), ``progress``, ``command`` ...
    ``results=None`` evaluates in a temporary store that is removed afterwards (results then
    carry ``path=None``). ``options`` are the CLI's ``-o KEY=VALUE`` system options (with
    ``model``/``llm``), for systems given by name; ``name`` labels an object's results. One task
    name returns one ``EvalResult``; a list of names returns a list. Bad input raises
    ``ir_harness.errors.HarnessError``; the environment is not read for settings.
    """
    from dataclasses import replace

    from ir_harness.eval.family import run_any
    from ir_harness.redact import protect
    from ir_harness.run.context import resolve_device
    from ir_harness.run.job import RunJob

    names = check_tasks(tasks)
    if config is not None:
        check_type("config", config, RunConfig, "an ir_harness.RunConfig or None")
    check_options(options)
    if name is not None:
        check_type("name", name, str, "the label to store an object's results under, or None")
    cfg = (config if config is not None else RunConfig()).with_overrides(**overrides)
    # A credential in an option (``llm=openai:m@http://user:pw@host/v1``) enters here: from now
    # on it is a SecretSpec, whose text (label, folder, config, command) is the redacted form.
    options = {k: protect(v) for k, v in options.items()} if options else options
    if isinstance(system, str) and name:
        raise ConfigError("name= is for objects; a registered system keeps its own name")
    if not names:
        raise ConfigError("evaluate: no task names given")
    if cfg.results is not None and Path(cfg.results).exists() and not Path(cfg.results).is_dir():
        raise ConfigError(f"results={str(cfg.results)!r}: is a file, expected a folder")
    pipe = None if isinstance(system, str) else as_pipeline(system, options, name)
    label = system if isinstance(system, str) else pipe.label  # type: ignore[union-attr]
    settings = {
        k: v
        for k, v in {
            "data_dir": str(cfg.data_dir) if cfg.data_dir else None,
            "limit_queries": cfg.limit_queries,
            "options": options,
            "qrels_from": str(cfg.qrels_from) if cfg.qrels_from else None,
            "seed": cfg.seed or None,
        }.items()
        if v
    }
    tmp = None if cfg.results is not None else Path(tempfile.mkdtemp(prefix="harness-eval-"))
    cfg = replace(
        cfg,
        results=cfg.results if tmp is None else tmp,
        device=resolve_device(cfg.device),
        command=cfg.command or _command(label, names, settings),
    )
    base = RunJob(
        system=label,
        task=names[0],
        config=cfg,
        options=dict(options or {}) if pipe is None else {},
        pipeline=pipe,
    )
    out: list[EvalResult] = []
    try:
        for task_name in names:
            outcomes = run_any(base.with_task(task_name))
            keep = tmp is None
            members = [EvalResult.from_outcome(o, keep_path=keep) for o in outcomes[:-1]]
            out.append(EvalResult.from_outcome(outcomes[-1], members, keep_path=keep))
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return out[0] if isinstance(tasks, str) else out
