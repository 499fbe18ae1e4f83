"""``harness train``: a core command registered on demand (``register_train``), because its
flags are generated from the options of every registered training method.

Only typer and the standard library are imported at module level so ``harness --help`` stays
instant; torch and the models load inside the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ir_harness.errors import ConfigError
from ir_harness.train.report import report

if TYPE_CHECKING:
    import typer

DENSE_DEFAULT = "sentence-transformers/all-MiniLM-L6-v2"


def start_model(method: str, given: str | None) -> str:
    """The model a method starts from: the one given, else the method's default (an explicit
    ``--model`` is never replaced, e.g. an encoder-only start for a method that has its own)."""
    from ir_harness.train.methods import get_method

    return given or get_method(method).default_model or DENSE_DEFAULT


def train_command(**values: Any) -> None:
    """Fine-tune a dense retriever or a reranker into a checkpoint that `harness run --system
    dense --model OUT` (or the method's own system) evaluates."""
    import logging
    import os

    from ir_harness.cli.env import data_dir_default, store_policy
    from ir_harness.corpus.policy import adopt
    from ir_harness.train.loop import TrainConfig, train
    from ir_harness.train.methods import get_method, option_models
    from ir_harness.train.options import RerankOptions, parse_values

    o, m = parse_values(values, option_models())
    data_dir = o.data_dir or data_dir_default()
    adopt(store_policy())
    logging.basicConfig(level=logging.WARNING if o.quiet else logging.INFO)
    if o.quiet or o.json_out:
        os.environ.setdefault("TQDM_DISABLE", "1")
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    method = o.method
    base_model = start_model(method, o.base_model)
    if get_method(method).kind == "rerank":
        from ir_harness.train.rerank_cli import train_reranker_command

        return train_reranker_command(
            method, o.out, o.task, m["teacher_run"], m["option"], base_model, data_dir,
            o.steps, o.batch_size, o.lr, o.min_relevance, o.max_queries, o.seed, o.device,
            o.amp, o.json_out, o.quiet,
        )  # fmt: skip
    given = [x for x in (o.task, o.triples, o.sts) if x]
    if len(given) != 1:
        raise ConfigError("give exactly one training source: --task, --triples or --sts")
    data, source, trained_on = _load_examples(
        o.task,
        o.triples,
        o.sts,
        data_dir,
        base_model,
        o.negatives,
        o.n_negatives,
        o.min_relevance,
        o.max_queries,
        o.max_examples,
        o.seed,
        o.device,
        method,
    )
    cfg = TrainConfig(
        method=method,
        base_model=base_model,
        out=str(o.out),
        steps=o.steps,
        batch_size=o.batch_size,
        lr=o.lr,
        scale=o.scale,
        n_negatives=o.batch_negatives,
        options={k: v for k, v in m.items() if k not in RerankOptions.model_fields},
        seed=o.seed,
        device=o.device,
        amp=o.amp,
        save_every=o.save_every,
        max_length=o.max_length,
        data_source=source,
        extra={
            "negatives": o.negatives,
            "mined_per_query": o.n_negatives,
            "min_relevance": o.min_relevance,
            "max_queries": o.max_queries,
        },
    )
    rec = train(
        cfg,
        data,
        resume=o.resume,
        progress=not (o.quiet or o.json_out),
        training_queries=trained_on,
    )
    report(rec, o.json_out, f"{len(data)} examples", o.out)


def _load_examples(
    task: str | None,
    triples: str | None,
    sts: Path | None,
    data_dir: Path | None,
    base_model: str,
    negatives: str,
    n_negatives: int,
    min_relevance: int,
    max_queries: int | None,
    max_examples: int,
    seed: int,
    device: str,
    method: str = "",
) -> tuple[list[Any], str, dict[str, Any] | None]:
    """Training examples, their source in words, and the training-queries record (None for
    STS pairs and triples, whose queries belong to no evaluation task)."""
    from ir_harness.store.training_record import training_queries_record
    from ir_harness.train import data as D

    if sts:
        return D.read_sts_pairs(sts)[:max_examples], f"sts:{sts}", None
    if triples:
        if triples == "msmarco":
            return (
                D.msmarco_triples_online(max_examples),
                "ir_datasets:msmarco-passage/train/triples-small",
                None,
            )
        return D.read_triples_file(Path(triples), max_examples), f"triples:{triples}", None
    assert task is not None
    from ir_harness.run.context import RunContext, resolve_device
    from ir_harness.run.runner import load_task
    from ir_harness.train.mining import make_miner

    spec, td = load_task(task, data_dir)
    ctx = RunContext(device=resolve_device(device), progress=False, seed=seed)
    miner = make_miner(negatives, td, n_negatives, ctx, base_model, seed)
    ex = D.examples_from_task(td, miner, min_relevance, max_queries, seed=seed)
    source = f"task:{spec.name} ({td.source}); positives: qrels >= {min_relevance}; negatives: {negatives}"
    return (
        ex,
        source,
        training_queries_record(spec.name, spec.split, method, [e.qid for e in ex], source),
    )


def register_train(app: typer.Typer) -> None:
    """Adds ``train`` to ``app``; its flags come from the methods' option models
    (``ir_harness.train.options``)."""
    from ir_harness.train.methods import option_models
    from ir_harness.train.options import command_signature

    train_command.__signature__ = command_signature(option_models())  # type: ignore[attr-defined]
    app.command("train")(train_command)
