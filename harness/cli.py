"""The ``harness`` command line. Heavy libraries are imported inside commands, so listing is instant."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from harness.errors import ConfigError, HarnessError
from harness.paths import check_writable_dir, require_dir, require_file

if TYPE_CHECKING:
    from collections.abc import Iterator

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Evaluation harness for information retrieval research.",
)
leaderboard_app = typer.Typer(
    no_args_is_help=True, help="Build the static leaderboard from a results folder."
)
app.add_typer(leaderboard_app, name="leaderboard")

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="local data folder (default: $HARNESS_DATA_DIR)")
]
Results = Annotated[Path, typer.Option("--results", help="result store folder")]
QrelsFrom = Annotated[
    Path | None,
    typer.Option(
        "--qrels-from",
        help="judge-made qrels file (qid 0 docid grade) to score with instead of the human qrels",
    ),
]
JsonOut = Annotated[bool, typer.Option("--json", help="print one JSON object instead of a table")]
Executor = Annotated[
    str,
    typer.Option("--executor", help="local, or ray: corpus encoding and search over Ray workers"),
]
RayAddress = Annotated[
    str | None,
    typer.Option(
        "--ray-address",
        help="Ray cluster to join (e.g. auto, HOST:6379); default: start a local one",
    ),
]
Workers = Annotated[
    int, typer.Option("--workers", min=1, help="Ray actors / tasks (one GPU each on CUDA)")
]


def _console() -> Any:
    from rich.console import Console

    return Console(stderr=False)


def parse_options(pairs: list[str] | None) -> dict[str, Any]:
    """``-o KEY=VALUE`` strings; values are JSON when they parse (numbers, true/false)."""
    out: dict[str, Any] = {}
    for p in pairs or []:
        key, sep, value = p.partition("=")
        if not sep or not key:
            raise ConfigError(f"-o {p!r}: expected KEY=VALUE")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


@app.command("list")
def list_cmd(
    what: Annotated[str, typer.Argument(help="tasks or systems")] = "tasks",
    json_out: JsonOut = False,
) -> None:
    """List registered tasks (with subsets, main metric and data sources) or systems."""
    from harness.registry import SYSTEMS, TASKS

    if what not in ("tasks", "systems"):
        raise ConfigError(f"harness list {what!r}: expected 'tasks' or 'systems'")
    if what == "systems":
        rows: list[dict[str, Any]] = [
            {"name": n, "target": SYSTEMS.target(n)} for n in SYSTEMS.names()
        ]
    else:
        rows = []
        for fam in TASKS.names():
            try:
                cls = TASKS.get(fam)  # task modules import only the light core
                task = cls()
            except Exception as e:  # a broken third-party plugin must not hide the others
                rows.append(
                    {
                        "name": fam,
                        "subsets": [],
                        "description": f"failed to load: {type(e).__name__}: {e}",
                        "main_metric": "",
                        "sources": [],
                    }
                )
                continue
            subsets = task.subsets()
            # A family of free-form subsets may name a representative spec (synthetic/<N>).
            spec = task.spec(subsets[0]) if subsets else getattr(task, "example_spec", None)
            spec = spec() if callable(spec) else spec
            rows.append(
                {
                    "name": fam,
                    "subsets": [s for s in subsets if s],
                    "description": cls.description,
                    "main_metric": spec.main_metric if spec else "per dataset (nDCG@10)",
                    "sources": [f"{s.kind}:{s.location}" for s in spec.sources]
                    if spec
                    else ["local:<name>/ (BEIR layout)", "ir_datasets:beir/<name>"],
                }
            )
    if json_out:
        print(json.dumps(rows))
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"registered {what}")
    for col in rows[0] if rows else []:
        table.add_column(col)
    for r in rows:
        table.add_row(
            *[escape(", ".join(v) if isinstance(v, list) else str(v)) for v in r.values()]
        )
    _console().print(table)


@app.command("run")
def run_cmd(
    system: Annotated[
        str,
        typer.Option("--system", "-s", help="system or pipeline, e.g. bm25, dense, 'bm25>dense'"),
    ],
    task: Annotated[
        str, typer.Option("--task", "-t", help="task name, e.g. trec-dl/2019, beir/scifact")
    ],
    data_dir: DataDir = None,
    results: Results = Path("results"),
    device: Annotated[str, typer.Option(help="cpu, cuda or auto")] = "auto",
    batch_size: Annotated[int, typer.Option(min=1)] = 64,
    limit_queries: Annotated[
        int | None, typer.Option(min=1, help="keep the first N judged queries")
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="model id or path for model-based systems")
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option("-o", "--option", help="system option KEY=VALUE (STAGE.KEY for one stage)"),
    ] = None,
    llm: Annotated[
        str | None,
        typer.Option(help="LLM for LLM-based systems: openai:MODEL@URL, hf:ID, gguf:PATH_OR_ID"),
    ] = None,
    qrels_from: QrelsFrom = None,
    executor: Executor = "local",
    ray_address: RayAddress = None,
    workers: Workers = 2,
    json_out: JsonOut = False,
    quiet: Annotated[bool, typer.Option(help="no progress bars or logs")] = False,
    llm_timeout: Annotated[
        float | None,
        typer.Option(min=0.001, help="seconds per LLM HTTP request (default 120)"),
    ] = None,
    llm_attempts: Annotated[
        int | None, typer.Option(min=1, help="attempts per LLM HTTP request (default 6)")
    ] = None,
    llm_max_failed_share: Annotated[
        float,
        typer.Option(
            min=0.0, max=1.0, help="refuse to store when more LLM answers than this share failed"
        ),
    ] = 0.5,
    allow_llm_failures: Annotated[
        bool, typer.Option(help="store the result even above --llm-max-failed-share")
    ] = False,
) -> None:
    """Run a system on a task and store run file, metrics and metadata."""
    import shlex

    from harness.api import evaluate
    from harness.runtime import default_cache_dir

    _logging(quiet or json_out)
    check_writable_dir(results, "--results")
    check_writable_dir(default_cache_dir(), "cache folder ($HARNESS_CACHE_DIR)")
    if qrels_from is not None:
        require_file(qrels_from, "--qrels-from")
    _llm_settings(llm_timeout, llm_attempts, llm_max_failed_share, allow_llm_failures)
    opts = parse_options(option)
    if model:
        opts["model"] = model
    if llm:
        opts["llm"] = llm
    with _stdout_reserved(json_out):
        res = evaluate(
            system,
            task,
            data_dir=data_dir,
            results=results,
            device=device,
            batch_size=batch_size,
            limit_queries=limit_queries,
            options=opts,
            qrels_from=qrels_from,
            progress=not (quiet or json_out),
            command=shlex.join(["harness", *sys.argv[1:]]),
            executor=executor,
            ray_address=ray_address,
            workers=workers,
        )
    payload = {
        "task": res.task,
        "system": res.system,
        "main_metric": res.main_metric,
        "main_score": res.main_score,
        "metrics": res.metrics,
        "n_queries": res.n_queries,
        "result_dir": str(res.path),
        "timings": res.metadata.timings,
        "stats": res.metadata.stats,
    }
    if res.members:
        payload["members"] = {
            m.task: {"main_score": m.main_score, "metrics": m.metrics} for m in res.members
        }
    if json_out:
        print(json.dumps(payload))
    else:
        for r in (*res.members, res):
            _print_metrics(r.task, r.system, r.metrics, r.main_metric, r.n_queries)
        _console().print(f"stored in {res.path} ({res.metadata.timings['total_s']:.1f}s)")


def _llm_settings(
    timeout: float | None, attempts: int | None, max_failed_share: float, allow: bool
) -> None:
    """LLM fault settings reach the backend and the session through the environment (backends
    are built lazily by the systems, long after option parsing)."""
    if timeout is not None:
        os.environ["HARNESS_LLM_TIMEOUT_S"] = str(timeout)
    if attempts is not None:
        os.environ["HARNESS_LLM_ATTEMPTS"] = str(attempts)
    os.environ["HARNESS_LLM_MAX_FAILED_SHARE"] = str(max_failed_share)
    if allow:
        os.environ["HARNESS_LLM_ALLOW_FAILURES"] = "1"


@app.command("grid")
def grid_cmd(
    systems: Annotated[str, typer.Option("--systems", help="comma-separated systems or pipelines")],
    tasks: Annotated[str, typer.Option("--tasks", help="comma-separated task names")],
    data_dir: DataDir = None,
    results: Results = Path("results"),
    device: Annotated[str, typer.Option(help="cpu, cuda or auto")] = "auto",
    batch_size: Annotated[int, typer.Option(min=1)] = 64,
    limit_queries: Annotated[
        int | None, typer.Option(min=1, help="keep the first N judged queries")
    ] = None,
    option: Annotated[
        list[str] | None, typer.Option("-o", "--option", help="system option KEY=VALUE")
    ] = None,
    executor: Executor = "local",
    ray_address: RayAddress = None,
    workers: Workers = 2,
    retries: Annotated[int, typer.Option(min=0, help="retries of a failed cell")] = 1,
    cpus_per_cell: Annotated[float, typer.Option(help="Ray: CPUs each cell declares")] = 1.0,
    gpus_per_cell: Annotated[float, typer.Option(help="Ray: GPUs each cell declares")] = 0.0,
    memory_per_cell: Annotated[
        float | None, typer.Option(help="Ray: memory each cell declares, in GB")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="only the final table")] = False,
) -> None:
    """Run every system on every task; stored cells are skipped, failed ones reported."""
    from harness.grid import GridOptions, run_grid
    from harness.runner import RunOptions
    from harness.runtime import resolve_device

    _logging(True)
    if executor not in ("local", "ray"):
        raise ConfigError(f"--executor {executor!r}: expected local or ray")
    base = RunOptions(
        system="",
        task="",
        data_dir=data_dir,
        results=results,
        device=resolve_device(device),
        batch_size=batch_size,
        limit_queries=limit_queries,
        system_options=parse_options(option),
        progress=False,
        ray_address=ray_address,
        workers=workers,
    )
    grid = GridOptions(
        systems=[s.strip() for s in systems.split(",") if s.strip()],
        tasks=[t.strip() for t in tasks.split(",") if t.strip()],
        base=base,
        retries=retries,
        cpus=cpus_per_cell,
        gpus=gpus_per_cell,
        memory_gb=memory_per_cell,
    )
    cells = run_grid(grid, executor=executor, live=not quiet)
    failed = [c for c in cells if c.status == "failed"]
    if failed:
        raise HarnessError(
            f"{len(failed)} of {len(cells)} cells failed: "
            + "; ".join(f"{c.task} x {c.system}: {c.error}" for c in failed)
        )


@app.command("eval")
def eval_cmd(
    run_file: Annotated[Path, typer.Argument(help="TREC run file (six columns)")],
    task: Annotated[str, typer.Option("--task", "-t")],
    data_dir: DataDir = None,
    qrels_from: QrelsFrom = None,
    run_set: Annotated[
        Path | None,
        typer.Option(
            "--run-set",
            help="folder of TREC runs for tasks that rank systems (llmjudge tau/rho)",
        ),
    ] = None,
    json_out: JsonOut = False,
) -> None:
    """Score an existing TREC run file with the task's official conventions."""
    from harness.coverage import read_judge_qrels_checked, run_coverage
    from harness.io import read_trec_run_table
    from harness.metrics import evaluate
    from harness.task import get_task, load_for_scoring, resolve_data_dir

    require_file(run_file, "RUN_FILE")
    if qrels_from is not None:
        require_file(qrels_from, "--qrels-from")
    coverage: dict[str, int] = {}
    with _stdout_reserved(json_out):
        task_obj, subset = get_task(task)
        spec = task_obj.spec(subset)
        if task_obj.evaluates_files:
            kw: dict[str, Path] = {}
            if run_set is not None:
                if not task_obj.takes_run_set:
                    raise ConfigError(f"task {spec.name!r} takes no --run-set")
                kw["run_set"] = run_set
            res = task_obj.evaluate_file(subset, run_file, resolve_data_dir(data_dir), **kw)
            means, n, extra = res.metrics, res.n_items, res.extra
        else:
            if run_set is not None:
                raise ConfigError(f"task {spec.name!r} takes no --run-set")
            run = read_trec_run_table(run_file)
            data = load_for_scoring(task_obj, subset, resolve_data_dir(data_dir))
            qrels = data.qrels
            if qrels_from:
                qrels, coverage = read_judge_qrels_checked(qrels_from, data.qrels)
            qname = str(qrels_from) if qrels_from else f"task {spec.name}'s qrels"
            ranked = run.rows_per_query()  # what run_coverage reads: query -> truthy if ranked
            coverage.update(run_coverage(ranked, qrels, run_file, qname, known=data.queries))
            ev = evaluate(run, qrels, spec, data)
            means, n, extra = ev.means, len(ev.query_ids), {}
    payload: dict[str, Any] = {
        "task": spec.name,
        "run": str(run_file),
        "main_metric": spec.main_metric,
        "main_score": means[spec.main_metric],
        "metrics": means,
        "n_queries": n,
    }
    if extra:
        payload["extra"] = extra  # e.g. warnings, the llmjudge run set and its hashes
    if coverage:
        payload["coverage"] = coverage
    if json_out:
        print(json.dumps(payload))
    else:
        _print_metrics(spec.name, run_file.name, means, spec.main_metric, n)


@app.command("compare")
def compare_cmd(
    task: Annotated[str, typer.Option("--task", "-t")],
    results: Results = Path("results"),
    baseline: Annotated[
        str | None, typer.Option(help="system to compare against (default: best on the metric)")
    ] = None,
    metric: Annotated[
        str | None, typer.Option(help="metric (default: the task's main metric)")
    ] = None,
    test: Annotated[str, typer.Option(help="randomization or t-test")] = "randomization",
    alpha: float = 0.05,
    json_out: JsonOut = False,
) -> None:
    """Paired significance tests (Holm-corrected) of every stored system against a baseline.

    Each pair is tested on the queries both were scored on (column "queries"); the default
    baseline is the best full, held-out row (partial rows and rows scored on their own training
    queries are flagged and never chosen as best)."""
    from harness.compare import best_row, compare, flags, task_query_count
    from harness.store import iter_results, row_label

    if not 0.0 < alpha < 1.0:
        raise ConfigError(f"--alpha {alpha}: expected a significance level between 0 and 1")
    if test not in ("randomization", "t-test"):
        raise ConfigError(f"--test {test!r}: expected 'randomization' or 't-test'")
    require_dir(results, "--results")

    stored = [(m, meta) for m, meta, _ in iter_results(results) if m.task == task]
    recs = {row_label(m.system, m.scope): m for m, _ in stored}
    # oracle (simulated LLM) runs are never the default baseline
    simulated = frozenset(
        row_label(m.system, m.scope)
        for m, meta in stored
        if any(st.kind == "oracle" for st in meta.stages)
    )
    if len(recs) < 2:
        raise ConfigError(
            f"compare needs at least two stored results for task {task!r} under {results}; found {len(recs)}"
        )
    metric = metric or next(iter(recs.values())).main_metric
    missing = [k for k, m in recs.items() if metric not in m.per_query]
    if missing:
        raise ConfigError(f"metric {metric!r} is not stored for {', '.join(missing)}")
    per_query = {k: m.per_query[metric] for k, m in recs.items()}
    base = baseline or best_row(recs, metric, simulated)
    if base is None:
        raise ConfigError(
            f"no row of {task!r} can be the default baseline (all were scored on their own "
            "training queries); name one with --baseline"
        )
    n_task = task_query_count(list(recs.values()))
    notes = {k: flags(m, n_task) for k, m in recs.items()}
    comps = compare(per_query, base, metric, test=test, alpha=alpha)  # type: ignore[arg-type]
    if json_out:
        print(json.dumps([{**c.__dict__, "flags": notes[c.system]} for c in comps]))
        return
    from rich.markup import escape
    from rich.table import Table

    # names like "dense[model=x]" are text, not rich markup
    t = Table(
        title=escape(
            f"{task}: {metric}, {test} test vs {base} (Holm-corrected, alpha={alpha}); "
            "means over the queries each pair shares"
        )
    )
    for col in ("system", "mean", "baseline", "p", "p (Holm)", "W/T/L", "queries", "", "flags"):
        t.add_column(col)
    for c in comps:
        t.add_row(
            escape(c.system),
            f"{c.mean:.4f}",
            f"{c.baseline_mean:.4f}",
            f"{c.p_value:.4g}",
            f"{c.p_holm:.4g}",
            f"{c.wins}/{c.ties}/{c.losses}",
            f"{c.n_queries}/{n_task}",
            "significant" if c.significant else "",
            escape("; ".join(notes[c.system].values())),
        )
    _console().print(t)


@leaderboard_app.command("build")
def leaderboard_build(
    results: Results = Path("results"), out: Annotated[Path, typer.Option("--out")] = Path("site")
) -> None:
    """Write summary.json and static HTML pages (no network needed to view them)."""
    from leaderboard.build import build

    index = build(results, out)
    print(f"leaderboard written to {index}")


@leaderboard_app.command("serve")
def leaderboard_serve(
    site: Annotated[Path, typer.Argument(help="built site folder")] = Path("site"),
    port: Annotated[int, typer.Option("--port", help="port on 127.0.0.1")] = 8000,
) -> None:
    """Serve a built site on 127.0.0.1 for a quick look (Ctrl-C stops)."""
    from leaderboard.serve import serve

    serve(site, port)


@app.command("convert-candidates")
def convert_candidates(src: Path, dst: Path, tag: str = "candidates") -> None:
    """Convert a RankGPT-style candidate jsonl (query + hits) into a TREC run file."""
    from harness.io import atomic_write_text, format_trec_run
    from tasks.trec_dl import read_rankgpt_candidates

    run, _, _ = read_rankgpt_candidates(src)
    atomic_write_text(dst, format_trec_run(run, tag))
    print(f"wrote {sum(len(v) for v in run.values())} lines for {len(run)} queries to {dst}")


@app.command("demo")
def demo_cmd(
    results: Results = Path("demo-results"),
    out: Annotated[Path, typer.Option("--out")] = Path("demo-site"),
    systems: str = "bm25,dense",
) -> None:
    """Run the embedded LIMIT-style task with BM25 and dense retrieval, then build the leaderboard."""
    from harness.runner import RunOptions, run
    from leaderboard.build import build

    _logging(False)
    for s in systems.split(","):
        o = run(RunOptions(system=s, task="demo", results=results))
        _print_metrics(
            o.metrics.task,
            o.metrics.system,
            o.metrics.metrics,
            o.metrics.main_metric,
            o.metrics.n_queries,
        )
    print(f"leaderboard written to {build(results, out)}")


def _print_metrics(task: str, system: str, metrics: dict[str, float], main: str, n: int) -> None:
    from rich.markup import escape
    from rich.table import Table

    t = Table(title=escape(f"{system} on {task} ({n} queries)"))
    for m in metrics:
        t.add_column(m + (" *" if m == main else ""), justify="right")
    t.add_row(*[f"{v:.4f}" for v in metrics.values()])
    _console().print(t)


@contextlib.contextmanager
def _stdout_reserved(reserve: bool) -> Iterator[None]:
    """With --json, stdout carries only the JSON object: anything else written to file
    descriptor 1 meanwhile (the JVM's log4j lines, native libraries) goes to stderr."""
    if not reserve:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _logging(quiet: bool) -> None:
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("faiss").setLevel(logging.WARNING)
    if quiet:
        import os

        os.environ.setdefault("TQDM_DISABLE", "1")


INTERRUPTED = (
    "interrupted; finished query batches are checkpointed, re-run the same command to resume"
)


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so the run unwinds like Ctrl-C and exits 143."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


def _os_error_message(e: OSError) -> str:
    """One line for a file-system fault: the path and what went wrong."""
    what = e.strerror or str(e) or type(e).__name__
    if e.filename is not None:
        return f"{e.filename}: {what}"
    return what


def main() -> None:
    """Entry point: clean one-line errors, exit 2 for bad input or usage, 130 for Ctrl-C.

    Typer bundles its own copy of click, so its usage errors are ``typer._click`` classes, and
    in non-standalone mode it turns Ctrl-C into a returned 130 rather than raising."""
    from typer import _click as tclick
    from typer.exceptions import Abort

    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        rv = app(standalone_mode=False)
    except Terminated:
        print(INTERRUPTED.replace("interrupted", "terminated"), file=sys.stderr)
        sys.exit(143)
    except HarnessError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        sys.exit(130)
    except tclick.exceptions.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except (Abort, EOFError) as e:  # typer turns EOFError (a truncated input) into Abort
        if isinstance(e, EOFError) or isinstance(e.__cause__, EOFError):
            print("error: unexpected end of input (a truncated file?)", file=sys.stderr)
            sys.exit(2)
        print(INTERRUPTED, file=sys.stderr)
        sys.exit(130)
    except (OSError, UnicodeDecodeError) as e:  # unreadable, missing, not-a-file, bad gzip
        msg = _os_error_message(e) if isinstance(e, OSError) else f"not UTF-8 text: {e}"
        print(f"error: {msg}", file=sys.stderr)
        sys.exit(2)
    if rv == 130:  # typer's non-standalone answer to KeyboardInterrupt
        print(INTERRUPTED, file=sys.stderr)
        sys.exit(130)
    if isinstance(rv, int) and not isinstance(rv, bool):
        sys.exit(rv)


# Training commands live with the systems they train; the module imports only typer at load.
from systems.training.cli import grid_command, train_command  # noqa: E402

app.command("train")(train_command)
app.command("starbucks-grid")(grid_command)

# LATTICE tree building lives with the system; the module imports only typer at load.
from systems.lattice.cli import build_tree_command  # noqa: E402

app.command("build-tree")(build_tree_command)

# The oracle LLM's server and sweep live with the oracle; the module imports only typer at load.
from harness.llm.oracle.cli import llm_serve_command, oracle_sweep_command  # noqa: E402

app.command("llm-serve")(llm_serve_command)
app.command("oracle-sweep")(oracle_sweep_command)
