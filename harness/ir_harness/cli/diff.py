"""``harness diff A B``: where two runs of one task differ, per query and in their top 10."""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path  # noqa: TC003 - typer reads the annotations at runtime
from typing import Annotated, Any

import typer

from ir_harness.cli.options import DataDir, JsonOut, Wide  # noqa: TC001 (typer reads them)
from ir_harness.errors import ConfigError, HarnessError


@dataclass
class Side:
    """One of the two runs compared, reduced to what ``diff_runs`` needs: a stored result brings
    its own per-query values, a bare run file is scored here against the judgments."""

    name: str
    task: str | None
    per_query: dict[str, float]
    ranked: dict[str, list[str]]


def _ranked(path: Path) -> dict[str, list[str]]:
    from ir_harness.reproduce.artifacts import read_ranked

    return {q: [d for d, _ in docs] for q, docs in read_ranked(path).items()}


def _judgments(
    task: str | None, qrels_file: Path | None, data_dir: Path | None, named: bool
) -> tuple[Any, dict[str, dict[str, int]] | None, dict[str, str] | None, str]:
    """(task spec or None, qrels, query texts, where the judgments came from).

    A task only read from the result folders (``named`` False) may be one whose plugin or data
    is not here: then the diff goes on from the stored values, without judgments.
    """
    from ir_harness.data.formats import encode_id, read_trec_qrels

    spec, qrels, queries, source = None, None, None, "none"
    if task is not None:
        from ir_harness.task import get_task, resolve_data_dir

        try:
            task_obj, subset = get_task(task)
            spec = task_obj.spec(subset)
            data = task_obj.load_judgments(subset, resolve_data_dir(data_dir))
        except HarnessError as e:
            if named and spec is None:
                raise
            if qrels_file is None:
                print(f"note: task {task}'s judgments are not at hand ({e})", file=sys.stderr)
        else:
            qrels = {
                encode_id(q): {encode_id(d): g for d, g in docs.items()}
                for q, docs in data.qrels.items()
            }
            queries = {encode_id(q): t for q, t in data.queries.items()}
            source = f"task {spec.name}'s qrels"
    if qrels_file is not None:
        from ir_harness.data.path_checks import require_file

        require_file(qrels_file, "--qrels")
        qrels, source = read_trec_qrels(qrels_file), str(qrels_file)
    return spec, qrels, queries, source


def _side(path: Path, label: str, metric: str | None) -> tuple[Path | None, Any]:
    """A result folder's stored record, or None for a run file (scored later)."""
    if path.is_dir():
        from ir_harness.reproduce.rerun import load_stored

        metrics, _meta, artifact = load_stored(path)
        if artifact != "run.trec":
            raise ConfigError(f"{label} {path}: holds {artifact}, not a ranking (run.trec)")
        return path / "run.trec", metrics
    if not path.is_file():
        raise ConfigError(f"{label} {path}: neither a result folder nor a run file")
    return path, None


def diff_cmd(
    a: Annotated[Path, typer.Argument(help="result folder or TREC run file (the reference)")],
    b: Annotated[Path, typer.Argument(help="result folder or TREC run file (compared with A)")],
    task: Annotated[
        str | None, typer.Option("--task", "-t", help="task of run files (its qrels and queries)")
    ] = None,
    qrels: Annotated[
        Path | None, typer.Option("--qrels", help="TREC qrels (instead of the task's)")
    ] = None,
    metric: Annotated[
        str | None, typer.Option(help="metric (default: the task's main metric, else ndcg@10)")
    ] = None,
    largest: Annotated[int, typer.Option(min=1, help="how many queries to show")] = 5,
    test: Annotated[str, typer.Option(help="randomization or t-test")] = "randomization",
    html: Annotated[
        Path | None, typer.Option("--html", help="also write one self-contained HTML page")
    ] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
    wide: Wide = False,
) -> None:
    """Per-query wins, ties and losses of B against A, the largest differences with both top
    10s and their judgments, RBO@10 between the runs and the paired test's p-value."""
    from ir_harness.eval.run_diff import diff_runs

    if test not in ("randomization", "t-test"):
        raise ConfigError(f"--test {test!r}: expected 'randomization' or 't-test'")
    (run_a, rec_a), (run_b, rec_b) = _side(a, "A", metric), _side(b, "B", metric)
    tasks = {r.task for r in (rec_a, rec_b) if r is not None}
    named = task is not None
    if task is None and len(tasks) == 1:
        task = next(iter(tasks))
    if len(tasks) > 1 or (task is not None and tasks and task not in tasks):
        which = sorted(tasks | ({task} if task else set()))
        raise ConfigError(f"A and B are not of one task: {', '.join(which)}")
    if (rec_a is None or rec_b is None) and task is None and qrels is None:
        raise ConfigError("a run file needs --task TASK or --qrels QRELS_FILE to be scored")
    spec, qrels_map, queries, source = _judgments(task, qrels, data_dir, named)
    stored_main = next((r.main_metric for r in (rec_a, rec_b) if r is not None), None)
    metric = metric or (spec.main_metric if spec else stored_main) or "ndcg@10"
    sides = []
    for path, rec, arg in ((run_a, rec_a, a), (run_b, rec_b, b)):
        assert path is not None
        if rec is not None:
            if metric not in rec.per_query:
                raise ConfigError(f"{arg}: no per-query values of {metric!r} are stored")
            sides.append(Side(rec.system, rec.task, rec.per_query[metric], _ranked(path)))
            continue
        if qrels_map is None:
            raise ConfigError(
                f"{arg}: task {task}'s qrels are not at hand to score it; give --qrels"
            )
        from ir_harness.data.formats import read_trec_run_table
        from ir_harness.eval.score import measures_of, score_run

        mid = measures_of([metric])[0].id
        ev = score_run(read_trec_run_table(path), qrels_map, [mid], spec=spec)
        sides.append(Side(path.name, task, ev.per_query[mid], _ranked(path)))
    d = diff_runs(
        (sides[0].name, sides[1].name),
        (sides[0].per_query, sides[1].per_query),
        (sides[0].ranked, sides[1].ranked),
        metric,
        qrels=qrels_map,
        queries=queries,
        largest=largest,
        test=test,  # type: ignore[arg-type]
    )
    d["task"], d["judgments_from"] = task, source
    if html is not None:
        _write_html(html, d)
    if json_out:
        print(json.dumps(d, allow_nan=True))
        return
    _print(d, wide)


def _write_html(out: Path, d: dict[str, Any]) -> None:
    """Write the page through a temp file, so a failed write leaves no half page."""
    from ir_harness.eval.run_diff_page import diff_page

    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(diff_page(d))
    os.replace(tmp, out)


def _doc(e: dict[str, Any] | None, judged: bool) -> str:
    if e is None:
        return ""
    if not judged:
        return e["doc"]
    return f"{e['doc']} [{e['grade']}]" if e["judged"] else f"{e['doc']} [unjudged]"


def _print(d: dict[str, Any], wide: bool) -> None:
    from ir_harness.cli.tables import TextTable, print_table

    def f(v: float) -> str:
        return "nan" if math.isnan(v) else f"{v:.4f}"

    print(
        f"{d['b']} (B) against {d['a']} (A), {d['metric']} over {d['n_queries']} shared queries: "
        f"{f(d['mean_b'])} vs {f(d['mean_a'])}; B wins/ties/losses {d['wins']}/{d['ties']}/"
        f"{d['losses']}; {d['test']} p = {d['p_value']:.4g}; mean RBO@{d['depth']} {d['rbo']:.3f}"
    )
    if d["only_a"] or d["only_b"]:
        print(f"left out: {d['only_a']} queries scored only in A, {d['only_b']} only in B")
    t = TextTable(
        f"largest differences (B - A) on {d['metric']}",
        ["query", "A", "B", "delta", "rbo", "text"],
        justify_right={"A", "B", "delta", "rbo"},
    )
    for q in d["largest"]:
        t.add_row(
            q["query"],
            f(q["a"]),
            f(q["b"]),
            f"{q['delta']:+.4f}",
            f"{q['rbo']:.3f}",
            q["text"] or "",
        )
    print_table(t, wide=wide)
    judged = d["judgments"]
    for q in d["largest"]:
        top = TextTable(
            f"{q['query']}: top {d['depth']}" + ("" if judged else " (no judgments at hand)"),
            ["rank", f"A: {d['a']}", f"B: {d['b']}"],
            justify_right={"rank"},
        )
        n = max(len(q["top_a"]), len(q["top_b"]))
        for i in range(n):
            ea = q["top_a"][i] if i < len(q["top_a"]) else None
            eb = q["top_b"][i] if i < len(q["top_b"]) else None
            top.add_row(str(i + 1), _doc(ea, judged), _doc(eb, judged))
        print_table(top, wide=wide)
