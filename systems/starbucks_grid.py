"""``harness starbucks-grid``: evaluate a whole (layers x dim) Starbucks grid on a task and
store it as one result.

The stored result is the full model's (all layers, all dims) score with its per-query values,
so ``harness compare`` works on it; ``extra["grid"]`` holds every cell as
``{"layers", "dim", "score"}`` for the leaderboard heatmap, ``extra["grid_metric"]`` names it.
Retrieval tasks: exact top-k per cell and the task's own metrics. Tasks of sentence pairs
(``ir_harness.self_running.SentenceSimilarityTask``, e.g. ``mteb/<STS>``): cosine Spearman per cell.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer

from ir_harness.errors import ConfigError
from ir_harness.run.config import DEFAULT_BATCH_SIZE
from ir_harness.self_running import SentenceSimilarityTask

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ir_harness.store.results import Result


def default_grid(num_layers: int, hidden: int) -> tuple[list[int], list[int]]:
    """The scaled Starbucks list's layers and dims, as a full cross product."""
    from ir_harness.systems.starbucks_training import starbucks_pairs

    pairs = starbucks_pairs(num_layers, hidden)
    return sorted({n for n, _ in pairs}), sorted({d for _, d in pairs})


def run_grid(
    model: str,
    task: str,
    data_dir: str | Path | None = None,
    results: Path = Path("results"),
    layers: Sequence[int] | None = None,
    dims: Sequence[int] | None = None,
    device: str = "cpu",
    batch_size: int = DEFAULT_BATCH_SIZE,
    limit_queries: int | None = None,
    system_options: dict[str, Any] | None = None,
    progress: bool = False,
) -> Result:
    """Scores every (layers, dims) cell from one forward pass per text and stores one result holding the grid."""
    from ir_harness.data.identity import data_identity
    from ir_harness.run.config import RunConfig
    from ir_harness.run.context import RunContext
    from ir_harness.run.job import RunJob
    from ir_harness.run.pipeline import build_pipeline
    from ir_harness.run.runner import ResultRecord, job_config, store_result
    from ir_harness.task import Scores, get_task, resolve_data_dir

    t0 = time.perf_counter()
    opts = {"model": model, **(system_options or {})}
    pipe = build_pipeline("starbucks", opts)
    pipe.options = {**opts, "grid": True}
    sb = pipe.stages[0]
    ro = RunJob(
        system="starbucks",
        task=task,
        config=RunConfig(
            data_dir=data_dir,
            results=results,
            device=device,
            batch_size=batch_size,
            limit_queries=limit_queries,
            progress=progress,
        ),
        options=pipe.options,
    )
    ctx = RunContext.from_config(ro.config, task)
    enc = sb.load(device)
    if layers is None or dims is None:
        dl, dd = default_grid(enc.num_layers, enc.hidden_size)
        layers, dims = list(layers or dl), list(dims or dd)
    full = (enc.num_layers, enc.hidden_size)
    layers = sorted(set(layers) | {full[0]})
    dims = sorted(set(dims) | {full[1]})
    task_obj, subset = get_task(task)
    spec = task_obj.spec(subset)
    ddir = resolve_data_dir(data_dir)
    if isinstance(task_obj, SentenceSimilarityTask):
        cells, means, per_q, n, artifact, source, name = _sts_grid(
            enc, task_obj, spec.name, subset, ddir, layers, dims, batch_size
        )
    else:
        cells, means, per_q, n, artifact, source, name = _retrieval_grid(
            enc, task_obj, subset, spec, ddir, layers, dims, batch_size, device, limit_queries
        )
    total = time.perf_counter() - t0
    extra = {
        "grid": cells,
        "grid_metric": spec.main_metric,
        "grid_full": {"layers": full[0], "dim": full[1]},
        "grid_note": "one forward pass over all texts; each cell slices layer n's pooled "
        "vector to its first d dims (normalised after slicing when the model normalises)",
    }
    config = job_config(ro, spec.name, grid_layers=layers, grid_dims=dims)
    return store_result(
        ResultRecord(
            ro,
            spec,
            pipe,
            ctx,
            config,
            Scores(
                metrics=means,
                per_item=per_q,
                artifact=artifact,
                artifact_name=name,
                n_items=n,
                source=source,
                extra=extra,
            ),
            timings={"total_s": total},
            data=data_identity(spec, ddir, None, ctx.cache_dir),  # sources; qrels stay in loader
        )
    )


def _retrieval_grid(
    enc: Any,
    task_obj: Any,
    subset: str,
    spec: Any,
    ddir: Path | None,
    layers: list[int],
    dims: list[int],
    batch_size: int,
    device: str,
    limit: int | None,
) -> tuple[list[dict[str, Any]], dict[str, float], dict[str, dict[str, float]], int, str, str, str]:
    from ir_harness.data.formats import format_trec_run
    from ir_harness.eval.metrics import evaluate
    from ir_harness.kernels.topk import exact_topk
    from ir_harness.systems.starbucks import grid_vectors
    from ir_harness.task import limit_queries

    data = limit_queries(task_obj.load(subset, ddir), limit)
    if data.candidates is not None:
        raise ConfigError(
            f"{spec.name} is a reranking task; grids cover full-corpus retrieval only"
        )
    ids = data.corpus.ids()
    qids = sorted(data.queries)
    dv = grid_vectors(enc, data.corpus.texts(), layers, dims, batch_size)
    qv = grid_vectors(enc, [data.queries[q] for q in qids], layers, dims, batch_size)
    k = (
        spec.run_depth
        + spec.ignore_identical_ids
        + max((len(v) for v in data.excluded_ids.values()), default=0)
    )
    cells: list[dict[str, Any]] = []
    full_eval, full_run = None, None
    for n in layers:
        for d in dims:
            s, ix = exact_topk(qv[(n, d)], dv[(n, d)], min(k, len(ids)), device=device)
            run = {
                q: {ids[j]: float(v) for v, j in zip(s[r], ix[r]) if j >= 0}
                for r, q in enumerate(qids)
            }
            ev = evaluate(run, data.qrels, spec, data)
            cells.append(
                {"layers": n, "dim": d, "score": ev.means[spec.main_metric], "metrics": ev.means}
            )
            if n == layers[-1] and d == dims[-1]:
                full_eval, full_run = ev, run
    assert full_eval is not None and full_run is not None
    return (
        cells,
        full_eval.means,
        full_eval.per_query,
        len(full_eval.query_ids),
        format_trec_run(full_run, "starbucks-grid"),
        data.source,
        "run.trec",
    )


def _sts_grid(
    enc: Any,
    task: SentenceSimilarityTask,
    name: str,
    subset: str,
    ddir: Path | None,
    layers: list[int],
    dims: list[int],
    batch_size: int,
) -> tuple[list[dict[str, Any]], dict[str, float], dict[str, dict[str, float]], int, str, str, str]:
    from ir_harness.data.sts import cosine_pairs, spearman
    from ir_harness.systems.starbucks import grid_vectors

    local = task.sentence_pairs(subset, ddir)
    if local is None:
        raise ConfigError(f"{name}: STS grids need the local pairs under --data-dir")
    pairs, _, src = local
    v1 = grid_vectors(enc, [p.sentence1 for p in pairs], layers, dims, batch_size)
    v2 = grid_vectors(enc, [p.sentence2 for p in pairs], layers, dims, batch_size)
    gold = np.array([p.score for p in pairs])
    cells = []
    for n in layers:
        for d in dims:
            rho = spearman(gold, cosine_pairs(v1[(n, d)], v2[(n, d)]))
            cells.append({"layers": n, "dim": d, "score": float(rho)})
    full = (layers[-1], dims[-1])
    cos = cosine_pairs(v1[full], v2[full])
    rho = float(spearman(gold, cos))
    artifact = "pair_id\tgold\tcosine\n" + "".join(
        f"{p.pair_id}\t{p.score:g}\t{c:.6f}\n" for p, c in zip(pairs, cos)
    )
    return cells, {"cosine_spearman": rho}, {}, len(pairs), artifact, src, "sts_scores.tsv"


def _ints(spec: str | None) -> list[int] | None:
    return [int(x) for x in spec.split(",")] if spec else None


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


def register(app: typer.Typer) -> None:
    """Entry point ``harness.commands: starbucks-grid``."""
    app.command("starbucks-grid")(grid_command)
