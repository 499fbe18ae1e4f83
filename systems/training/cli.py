"""``harness train`` and ``harness starbucks-grid``: plugin commands of the ``harness.commands``
entry-point group (``register_train``, ``register_starbucks_grid``).

Only typer and the standard library are imported at module level so ``harness --help`` stays
instant; torch and the models load inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ir_harness.errors import ConfigError
from ir_harness.run.config import DEFAULT_BATCH_SIZE
from ir_harness.systems.training.report import report


def _pairs(spec: str | None) -> list[list[int]] | None:
    """``"2x32,4x64"`` -> [[2, 32], [4, 64]]."""
    if not spec:
        return None
    out = []
    for part in spec.split(","):
        a, sep, b = part.strip().partition("x")
        if not sep or not a.isdigit() or not b.isdigit():
            raise ConfigError(f"--starbucks-pairs {spec!r}: expected LAYERSxDIM,... e.g. 2x32,4x64")
        out.append([int(a), int(b)])
    return out


DENSE_DEFAULT = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_MODELS = {"mvp": "t5-base"}


def start_model(method: str, given: str | None) -> str:
    """The model a method starts from: the one given, else the method's default (an explicit
    ``--model`` is never replaced, e.g. an encoder-only start for a bert2bert MVP)."""
    return given or DEFAULT_MODELS.get(method, DENSE_DEFAULT)


def _ints(spec: str | None) -> list[int] | None:
    return [int(x) for x in spec.split(",")] if spec else None


def train_command(**values: Any) -> None:
    """Fine-tune a dense retriever (InfoNCE, MW, PG-Rank or Starbucks) into a checkpoint that
    `harness run --system dense --model OUT` (or `--system starbucks`) evaluates."""
    import logging
    import os

    from ir_harness.cli.env import data_dir_default, store_policy
    from ir_harness.corpus.policy import adopt
    from ir_harness.systems.training.loop import TrainConfig, train
    from ir_harness.systems.training.options import parse_values

    o, m = parse_values(values)
    data_dir = o.data_dir or data_dir_default()
    adopt(store_policy())
    logging.basicConfig(level=logging.WARNING if o.quiet else logging.INFO)
    if o.quiet or o.json_out:
        os.environ.setdefault("TQDM_DISABLE", "1")
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    from ir_harness.systems.training.rerank_train import RERANK_METHODS

    method = o.method
    base_model = start_model(method, o.base_model)
    if method in RERANK_METHODS:
        from ir_harness.systems.training.rerank_cli import train_reranker_command

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
        mw_chunk=m["mw_chunk"],
        mw_within_query=m["mw_within_query"],
        pg_samples=m["pg_samples"],
        pg_candidates=m["pg_candidates"],
        pg_k=m["pg_k"],
        starbucks_pairs=_pairs(m["starbucks_pairs"]),
        kl_weight=m["kl_weight"],
        kl_temperature=m["kl_temperature"],
        sts_kl=m["sts_kl"],
        sts_kl_weight=m["sts_kl_weight"],
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
    from ir_harness.systems.training import data as D

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
    from ir_harness.systems.training.mining import make_miner

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


def grid_command(
    task: Annotated[str, typer.Option("--task", "-t", help="retrieval task or mteb/<STS task>")],
    model: Annotated[
        str, typer.Option(help="2D Matryoshka model (id or path)")
    ] = "ielabgroup/Starbucks_STS",
    layers: Annotated[
        str | None, typer.Option(help="comma list; default: the scaled Starbucks list")
    ] = None,
    dims: Annotated[
        str | None, typer.Option(help="comma list; default: the scaled Starbucks list")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", envvar="HARNESS_DATA_DIR", show_envvar=False)
    ] = None,
    results: Annotated[Path, typer.Option("--results")] = Path("results"),
    device: str = "auto",
    batch_size: int = DEFAULT_BATCH_SIZE,
    limit_queries: int | None = None,
    option: Annotated[
        list[str] | None, typer.Option("-o", "--option", help="KEY=VALUE for starbucks")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Evaluate a whole (layers x dim) grid of a 2D Matryoshka model from one forward pass and
    store it as one result (extra["grid"], drawn as a heatmap on the leaderboard)."""
    from ir_harness.cli.env import store_policy
    from ir_harness.cli.options import parse_options
    from ir_harness.corpus.policy import adopt
    from ir_harness.run.context import resolve_device
    from ir_harness.systems.training.starbucks_grid import run_grid

    adopt(store_policy())
    opts = parse_options(option)
    o = run_grid(
        model,
        task,
        data_dir,
        results,
        _ints(layers),
        _ints(dims),
        resolve_device(device),
        batch_size,
        limit_queries,
        opts,
    )
    grid = o.record.extra["grid"]
    if json_out:
        print(
            json.dumps(
                {
                    "task": o.task,
                    "main_metric": o.main_metric,
                    "grid": [{k: c[k] for k in ("layers", "dim", "score")} for c in grid],
                    "result_dir": str(o.path),
                }
            )
        )
        return
    ls = sorted({c["layers"] for c in grid})
    ds = sorted({c["dim"] for c in grid})
    cell = {(c["layers"], c["dim"]): c["score"] for c in grid}
    print(f"{o.task} {o.main_metric} by layers (rows) x dim (columns)")
    print("layers " + " ".join(f"{d:>7}" for d in ds))
    for n in ls:
        print(f"{n:>6} " + " ".join(f"{cell[(n, d)]:7.4f}" for d in ds))
    print(f"stored in {o.path}")


def register_train(app: typer.Typer) -> None:
    """Entry point ``harness.commands: train``; its flags come from the methods' option models
    (``ir_harness.systems.training.options``)."""
    from ir_harness.systems.training.options import command_signature

    train_command.__signature__ = command_signature()  # type: ignore[attr-defined]
    app.command("train")(train_command)


def register_starbucks_grid(app: typer.Typer) -> None:
    """Entry point ``harness.commands: starbucks-grid``."""
    app.command("starbucks-grid")(grid_command)
