"""The Python API: ``evaluate(system, tasks)`` for notebooks and scripts.

The ``harness run`` command is a thin layer over this function, so a result evaluated here is
scored and stored exactly as the CLI's. ``system`` may be a registered name, a pipeline string
(``"bm25>dense"``), an object implementing the ``Retriever``/``Reranker`` protocols, or a
``SentenceTransformer``-like object (anything with ``encode(sentences, ...)``), which runs
through the registered ``dense`` system: no plugin package or entry point is needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from ir_harness.errors import ConfigError, check_type
from ir_harness.run.config import RunConfig

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ir_harness.run.pipeline import Pipeline

from ir_harness.store.results import Result

# The name this type had when the API had a result type of its own.
EvalResult = Result


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


def _call(label: str, tasks: Sequence[str], settings: dict[str, Any]) -> dict[str, Any]:
    """The API call as made: the function, the system's label, the tasks and the settings given
    (paths and options as text, credentials redacted), recorded in each result's metadata."""
    from ir_harness.redact import redact_text

    def text(v: Any) -> Any:
        if isinstance(v, dict):
            return {str(k): text(x) for k, x in v.items()}
        if isinstance(v, bool | int | float) or v is None:
            return v
        return redact_text(str(v))

    return {"function": "ir_harness.evaluate", "system": text(label), "tasks": list(tasks)} | {
        k: text(v) for k, v in settings.items()
    }


@overload
def evaluate(
    system: Any,
    tasks: str,
    config: RunConfig | None = None,
    *,
    options: dict[str, Any] | None = None,
    name: str | None = None,
    **overrides: Any,
) -> Result: ...


@overload
def evaluate(
    system: Any,
    tasks: Sequence[str],
    config: RunConfig | None = None,
    *,
    options: dict[str, Any] | None = None,
    name: str | None = None,
    **overrides: Any,
) -> list[Result]: ...


def evaluate(
    system: Any,
    tasks: str | Sequence[str],
    config: RunConfig | None = None,
    *,
    options: dict[str, Any] | None = None,
    name: str | None = None,
    **overrides: Any,
) -> Result | list[Result]:
    """Run ``system`` on each task, score it with the task's conventions and return the results.

    ``config`` is a ``ir_harness.RunConfig`` (default ``RunConfig()``); ``overrides`` replace its
    fields for this call: ``data_dir``, ``results``, ``limit_queries``, ``seed``, ``device``,
    ``batch_size``, ``qrels_from``, ``llm_policy`` (``ir_harness.LLMPolicy``: LLM timeout,
    attempts, max failed share, allow failures; recorded in the result), ``executor``
    (``LocalExecutor()``, ``RayExecutor(address, workers)``), ``progress``, ``command`` ...
    Each result is saved in ``results`` (default ``results/``) as the CLI saves it;
    ``results=None`` keeps it in memory only (``path=None``): nothing is written, and
    :func:`save` stores it later. ``options`` are the CLI's ``-o KEY=VALUE`` system options (with
    ``model``/``llm``), for systems given by name; ``name`` labels an object's results. One task
    name returns one :class:`Result`; a list of names returns a list. Bad input raises
    ``ir_harness.errors.HarnessError``; the environment is not read for settings.
    """
    from dataclasses import replace

    from ir_harness.redact import protect
    from ir_harness.run.context import resolve_device
    from ir_harness.run.family import run_any
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
    cfg = replace(
        cfg,
        device=resolve_device(cfg.device),
        call=_call(label, names, {**settings, **_given(overrides)}),
    )
    base = RunJob(
        system=label,
        task=names[0],
        config=cfg,
        options=dict(options or {}) if pipe is None else {},
        pipeline=pipe,
    )
    out = [run_any(base.with_task(task_name))[-1] for task_name in names]
    return out[0] if isinstance(tasks, str) else out


def _given(overrides: dict[str, Any]) -> dict[str, Any]:
    """The settings a caller passed beside the ones :func:`evaluate` records itself: scalars and
    paths as given, objects (executor, policy) by their type's name."""
    skip = {"data_dir", "limit_queries", "qrels_from", "seed", "command", "progress"}
    out: dict[str, Any] = {}
    for k, v in overrides.items():
        if k in skip:
            continue
        out[k] = (
            v if isinstance(v, str | int | float | bool | Path) or v is None else type(v).__name__
        )
    return out


def save(result: Result | Sequence[Result], results: str | Path = "results") -> Any:
    """Save a result from :func:`evaluate` (or a list of them) in the results folder ``results``
    and return the saved copy (or list), whose ``path`` is its folder. The folder names, the
    atomic swap and the per-identity lock are those of ``harness run``; a family result saves
    its members first."""
    from ir_harness.store.results import save as store_save

    check_type("results", results, (str, Path), "a results folder path")
    if isinstance(result, Result):
        return store_save(result, Path(results))
    items = list(result)
    for r in items:
        check_type("result", r, Result, "an ir_harness.Result from evaluate() or load_results()")
    return [store_save(r, Path(results)) for r in items]


def load_results(path: str | Path = "results") -> list[Result]:
    """The saved results at ``path``: a results folder (all of them), one task's folder or one
    result's folder, as :class:`Result` (the type :func:`evaluate` returns). Every folder any
    version of the harness wrote loads; an unreadable one is skipped with a warning naming it."""
    from ir_harness.store.results import load

    check_type("path", path, (str, Path), "a results folder path")
    return load(Path(path))


def compare(
    results: Sequence[Result],
    baseline: str | None = None,
    metric: str | None = None,
    test: str = "randomization",
    alpha: float = 0.05,
) -> Any:
    """Paired significance tests (Holm-corrected) of results of one task against a baseline,
    as ``harness compare`` runs them: ``baseline`` is a row name (the system label with its
    scope suffix, default the best full, held-out row), ``metric`` defaults to the main metric,
    ``test`` is ``"randomization"`` or ``"t-test"``. Returns a ``ResultComparison``
    (``comparisons``: one ``Comparison`` per other row, ``flags``, ``baseline``, ``metric``)."""
    from ir_harness.eval.compare_results import compare_results

    check_type("results", results, (list, tuple), "a list of ir_harness.Result")
    for r in results:
        check_type("result", r, Result, "an ir_harness.Result from evaluate() or load_results()")
    return compare_results(results, baseline, metric, test, alpha)  # type: ignore[arg-type]
