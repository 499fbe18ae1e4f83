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


def train_command(
    method: Annotated[
        str,
        typer.Option("--method", "-m", help="infonce, mw, pgrank, starbucks, dear-distill or mvp"),
    ],
    out: Annotated[Path, typer.Option("--out", help="folder for the trained model")],
    task: Annotated[
        str | None,
        typer.Option("--task", "-t", help="task whose queries+qrels train, e.g. nfcorpus/dev"),
    ] = None,
    triples: Annotated[
        str | None,
        typer.Option(
            help="MS MARCO triples: a local TSV (query, positive, negative) or 'msmarco' (ir_datasets, online)"
        ),
    ] = None,
    sts: Annotated[
        Path | None, typer.Option(help="STS pairs file (STS-B CSV, SICK TSV) for starbucks")
    ] = None,
    base_model: Annotated[
        str | None,
        typer.Option(
            "--model", help="model to start from (default: all-MiniLM-L6-v2; t5-base for mvp)"
        ),
    ] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="local data folder")] = None,
    steps: Annotated[int, typer.Option(min=1)] = 100,
    batch_size: Annotated[int, typer.Option(min=1)] = 16,
    lr: float = 2e-5,
    scale: Annotated[float, typer.Option(help="score scale (1/temperature)")] = 20.0,
    negatives: Annotated[
        str, typer.Option(help="negative mining: random, bm25, model, none")
    ] = "random",
    n_negatives: Annotated[int, typer.Option(help="mined negatives kept per query")] = 8,
    batch_negatives: Annotated[int, typer.Option(help="negatives per query in each batch")] = 1,
    min_relevance: Annotated[int, typer.Option(help="qrel grade that counts as positive")] = 1,
    max_queries: Annotated[
        int | None, typer.Option(help="sample this many training queries")
    ] = None,
    max_examples: Annotated[int, typer.Option(help="cap for triples / STS pairs")] = 20000,
    mw_chunk: int = 1024,
    mw_within_query: Annotated[
        bool, typer.Option(help="MW ablation: pairs within a query only")
    ] = False,
    pg_samples: int = 8,
    pg_candidates: int = 16,
    pg_k: int = 10,
    starbucks_pairs: Annotated[
        str | None, typer.Option(help="LAYERSxDIM list; default scales to the backbone")
    ] = None,
    kl_weight: float = 1.0,
    kl_temperature: float = 1.0,
    sts_kl: Annotated[
        str,
        typer.Option(
            help="starbucks on STS: embedding (authors': KL over embedding coordinates, "
            "weight --sts-kl-weight, not detached) or scores (KL over score rows, --kl-weight)"
        ),
    ] = "embedding",
    sts_kl_weight: Annotated[
        float, typer.Option(help="weight of the embedding KL (authors': 0.3 x 1)")
    ] = 0.3,
    max_length: int | None = None,
    seed: int = 0,
    device: Annotated[str, typer.Option(help="cpu, cuda or auto")] = "auto",
    amp: Annotated[bool, typer.Option(help="mixed precision on CUDA")] = True,
    save_every: Annotated[int, typer.Option(help="checkpoint every N steps (0: never)")] = 50,
    resume: Annotated[bool, typer.Option(help="continue from a checkpoint in --out")] = True,
    json_out: Annotated[
        bool, typer.Option("--json", help="print the training record as JSON")
    ] = False,
    quiet: bool = False,
    teacher_run: Annotated[
        str | None,
        typer.Option(
            help="dear-distill / mvp: teacher scores (TREC run file, result folder or 'candidates')"
        ),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option("-o", "--option", help="dear-distill / mvp settings, KEY=VALUE"),
    ] = None,
) -> None:
    """Fine-tune a dense retriever (InfoNCE, MW, PG-Rank or Starbucks) into a checkpoint that
    `harness run --system dense --model OUT` (or `--system starbucks`) evaluates."""
    import logging
    import os

    from ir_harness.systems.training.loop import TrainConfig, train

    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO)
    if quiet or json_out:
        os.environ.setdefault("TQDM_DISABLE", "1")
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    from ir_harness.systems.training.rerank_train import RERANK_METHODS

    base_model = start_model(method, base_model)
    if method in RERANK_METHODS:
        from ir_harness.systems.training.rerank_cli import train_reranker_command

        return train_reranker_command(
            method, out, task, teacher_run, option, base_model, data_dir, steps, batch_size,
            lr, min_relevance, max_queries, seed, device, amp, json_out, quiet,
        )  # fmt: skip
    given = [x for x in (task, triples, sts) if x]
    if len(given) != 1:
        raise ConfigError("give exactly one training source: --task, --triples or --sts")
    data, source, trained_on = _load_examples(
        task,
        triples,
        sts,
        data_dir,
        base_model,
        negatives,
        n_negatives,
        min_relevance,
        max_queries,
        max_examples,
        seed,
        device,
        method,
    )
    cfg = TrainConfig(
        method=method,
        base_model=base_model,
        out=str(out),
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        scale=scale,
        n_negatives=batch_negatives,
        mw_chunk=mw_chunk,
        mw_within_query=mw_within_query,
        pg_samples=pg_samples,
        pg_candidates=pg_candidates,
        pg_k=pg_k,
        starbucks_pairs=_pairs(starbucks_pairs),
        kl_weight=kl_weight,
        kl_temperature=kl_temperature,
        sts_kl=sts_kl,
        sts_kl_weight=sts_kl_weight,
        seed=seed,
        device=device,
        amp=amp,
        save_every=save_every,
        max_length=max_length,
        data_source=source,
        extra={
            "negatives": negatives,
            "mined_per_query": n_negatives,
            "min_relevance": min_relevance,
            "max_queries": max_queries,
        },
    )
    rec = train(
        cfg, data, resume=resume, progress=not (quiet or json_out), training_queries=trained_on
    )
    report(rec, json_out, f"{len(data)} examples", out)


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
    data_dir: Annotated[Path | None, typer.Option("--data-dir")] = None,
    results: Annotated[Path, typer.Option("--results")] = Path("results"),
    device: str = "auto",
    batch_size: int = 64,
    limit_queries: int | None = None,
    option: Annotated[
        list[str] | None, typer.Option("-o", "--option", help="KEY=VALUE for starbucks")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Evaluate a whole (layers x dim) grid of a 2D Matryoshka model from one forward pass and
    store it as one result (extra["grid"], drawn as a heatmap on the leaderboard)."""
    from ir_harness.cli.options import parse_options
    from ir_harness.run.context import resolve_device
    from ir_harness.systems.training.starbucks_grid import run_grid

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
    grid = o.metrics.extra["grid"]
    if json_out:
        print(
            json.dumps(
                {
                    "task": o.metrics.task,
                    "main_metric": o.metrics.main_metric,
                    "grid": [{k: c[k] for k in ("layers", "dim", "score")} for c in grid],
                    "result_dir": str(o.path),
                }
            )
        )
        return
    ls = sorted({c["layers"] for c in grid})
    ds = sorted({c["dim"] for c in grid})
    cell = {(c["layers"], c["dim"]): c["score"] for c in grid}
    print(f"{o.metrics.task} {o.metrics.main_metric} by layers (rows) x dim (columns)")
    print("layers " + " ".join(f"{d:>7}" for d in ds))
    for n in ls:
        print(f"{n:>6} " + " ".join(f"{cell[(n, d)]:7.4f}" for d in ds))
    print(f"stored in {o.path}")


def register_train(app: typer.Typer) -> None:
    """Entry point ``harness.commands: train``."""
    app.command("train")(train_command)


def register_starbucks_grid(app: typer.Typer) -> None:
    """Entry point ``harness.commands: starbucks-grid``."""
    app.command("starbucks-grid")(grid_command)
