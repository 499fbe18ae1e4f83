"""The options of ``harness train``, one typed model per method plus the ones all methods share.

A method declares its options as one pydantic model (its spec's ``options``); the command's
flags are generated from the models' fields (name, type, default, help), so adding a method adds
nothing to the command. Only pydantic and the standard library are imported, so
``harness --help`` stays instant.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from collections.abc import Sequence


def opt(
    default: Any = ...,
    help: str | None = None,
    *,
    flags: tuple[str, ...] = (),
    min: int | None = None,
    tail: bool = False,
) -> Any:
    """A field that is also a command-line option: ``flags`` are its names when not derived
    from the field name; ``tail`` lists it after the method options in ``--help``."""
    extra: dict[str, Any] = {"flags": list(flags), "tail": tail}
    if min is not None:
        extra["min"] = min
    return Field(default, description=help, ge=min, json_schema_extra=extra)


class TrainOptions(BaseModel):
    """What every method takes: the training data, the start model and the optimisation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: str = opt(
        help="a training method (infonce, mw, pgrank or one a system registers)",
        flags=("--method", "-m"),
    )
    out: Path = opt(help="folder for the trained model", flags=("--out",))
    task: str | None = opt(
        None, "task whose queries+qrels train, as NAME/SPLIT", flags=("--task", "-t")
    )
    triples: str | None = opt(
        None,
        "MS MARCO triples: a local TSV (query, positive, negative) or 'msmarco' (ir_datasets, online)",
    )
    sts: Path | None = opt(
        None, "STS pairs file (STS-B CSV, SICK TSV), for methods that train on STS"
    )
    base_model: str | None = opt(
        None,
        "model to start from (default: the method's own, else all-MiniLM-L6-v2)",
        flags=("--model",),
    )
    data_dir: Path | None = opt(None, "local data folder", flags=("--data-dir",))
    steps: int = opt(100, min=1)
    batch_size: int = opt(16, min=1)
    lr: float = opt(2e-5)
    scale: float = opt(20.0, "score scale (1/temperature)")
    negatives: str = opt(
        "random",
        "negative mining: random, model (the start model), none, or a retriever system's name",
    )
    n_negatives: int = opt(8, "mined negatives kept per query")
    batch_negatives: int = opt(1, "negatives per query in each batch")
    min_relevance: int = opt(1, "qrel grade that counts as positive")
    max_queries: int | None = opt(None, "sample this many training queries")
    max_examples: int = opt(20000, "cap for triples / STS pairs")
    max_length: int | None = opt(None, tail=True)
    seed: int = opt(0, tail=True)
    device: str = opt("auto", "cpu, cuda or auto", tail=True)
    amp: bool = opt(True, "mixed precision on CUDA", tail=True)
    save_every: int = opt(50, "checkpoint every N steps (0: never)", tail=True)
    resume: bool = opt(True, "continue from a checkpoint in --out", tail=True)
    json_out: bool = opt(False, "print the training record as JSON", flags=("--json",), tail=True)
    quiet: bool = opt(False, tail=True)


class NoOptions(BaseModel):
    """A method with nothing of its own (InfoNCE)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class MWOptions(NoOptions):
    """MW (AUC) loss."""

    mw_chunk: int = opt(1024)
    mw_within_query: bool = opt(False, "MW ablation: pairs within a query only")


class PGRankOptions(NoOptions):
    """PG-Rank: Gumbel-sampled rankings of each query's candidates."""

    pg_samples: int = opt(8)
    pg_candidates: int = opt(16)
    pg_k: int = opt(10)


class RerankOptions(NoOptions):
    """Reranker distillation: the teacher and the method's own settings."""

    teacher_run: str | None = opt(
        None, "reranker methods: teacher scores (TREC run file, result folder or 'candidates')"
    )
    option: list[str] | None = opt(
        None, "reranker methods' settings, KEY=VALUE", flags=("-o", "--option")
    )


def _parameter(name: str, info: Any) -> inspect.Parameter:
    import typer

    extra = info.json_schema_extra or {}
    option = typer.Option(*extra.get("flags", ()), help=info.description, min=extra.get("min"))
    default = inspect.Parameter.empty if info.is_required() else info.default
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=default,
        annotation=Annotated[info.annotation, option],
    )


def command_signature(models: Sequence[type[BaseModel]]) -> inspect.Signature:
    """The ``harness train`` parameters: shared options, each method's (``models``, see
    ``ir_harness.train.methods.option_models``), then the shared tail."""
    fields = TrainOptions.model_fields
    head = [_parameter(n, f) for n, f in fields.items() if not (f.json_schema_extra or {})["tail"]]  # type: ignore[index]
    tail = [_parameter(n, f) for n, f in fields.items() if (f.json_schema_extra or {})["tail"]]  # type: ignore[index]
    dense: list[inspect.Parameter] = []
    rerank: list[inspect.Parameter] = []
    for model in models:
        params = [_parameter(n, f) for n, f in model.model_fields.items()]
        (rerank if issubclass(model, RerankOptions) else dense).extend(params)
    return inspect.Signature([*head, *dense, *tail, *rerank])


def parse_values(
    values: dict[str, Any], models: Sequence[type[BaseModel]]
) -> tuple[TrainOptions, dict[str, Any]]:
    """The shared options, and every method model's options validated and merged (a dense
    training run records all of them, its own method's and the others' defaults)."""
    common = TrainOptions(**{k: values[k] for k in TrainOptions.model_fields})
    merged: dict[str, Any] = {}
    for model in models:
        merged.update(model(**{k: values[k] for k in model.model_fields}).model_dump())
    return common, merged
