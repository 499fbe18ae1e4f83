"""The Python API in a real interpreter: names that cannot delete, results= a file, and
``evaluate`` from several threads at once, wrong argument types, a partial result."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING

import pytest

from ir_harness.protocols import SystemMeta
from tests.harness.fakes import OverlapRetriever
from tests.probe.helpers import REPO, probe_env, tree_digest

if TYPE_CHECKING:
    from pathlib import Path

    from ir_harness.data.model import Queries, Run
    from ir_harness.run.context import RunContext

_SETUP = """
from pathlib import Path
from ir_harness import api
from ir_harness.errors import HarnessError
from ir_harness.registry import TASKS
from tests.harness.fakes import OverlapRetriever, TinyTask
TASKS.register("tiny", TinyTask)
"""


def _python(code: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_SETUP) + textwrap.dedent(code)],
        cwd=REPO,
        env=probe_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


BAD_NAMES = [".", "..", "", " ", ".mine", "../../x", "/", "//", "a/../b", "./a", "a/./b", "a//b"]


def test_no_name_deletes_or_hides_a_result(tmp_path: Path) -> None:
    results = tmp_path / "results"
    code = f"""
    import json
    R = Path({str(results)!r})
    api.evaluate("overlap", "tiny", results=R)  # a result of the same task, to be kept
    api.evaluate(OverlapRetriever(), "tiny", results=R, name="mine")
    print(json.dumps(sorted(str(p.relative_to(R)) for p in R.rglob("*"))))
    """
    # the registered "overlap" system: tests.probe.launcher registers it; here, by hand
    code = (
        "from ir_harness.registry import SYSTEMS\nSYSTEMS.register('overlap', OverlapRetriever)\n"
        + textwrap.dedent(code)
    )
    p = _python(code)
    assert p.returncode == 0, p.stderr[-3000:]
    before = tree_digest(results)
    assert "tiny/overlap/metrics.json" in before and "tiny/mine/metrics.json" in before
    outcome = _python(
        f"""
        import json
        R = Path({str(results)!r})
        out = {{}}
        for name in {BAD_NAMES!r}:
            try:
                api.evaluate(OverlapRetriever(), "tiny", results=R, name=name)
                out[name] = "stored"
            except HarnessError as e:
                out[name] = "refused: " + str(e)
        print(json.dumps(out))
        """
    )
    assert outcome.returncode == 0, outcome.stderr[-3000:]
    assert "Traceback" not in outcome.stderr
    answers = json.loads(outcome.stdout.strip().splitlines()[-1])
    for name in BAD_NAMES:
        assert answers[name].startswith("refused: name="), (name, answers[name])
        assert "plain name" in answers[name]
    assert tree_digest(results) == before  # nothing deleted, nothing added, no lock left
    assert not (tmp_path / ".locks").exists() and not (results / ".locks").exists()


def test_a_name_with_a_slash_is_its_own_visible_folder(tmp_path: Path) -> None:
    results = tmp_path / "results"
    p = _python(
        f"""
        r = api.evaluate(OverlapRetriever(), "tiny", results=Path({str(results)!r}), name="team/x")
        print(r.path)
        """
    )
    assert p.returncode == 0, p.stderr[-3000:]
    path = p.stdout.strip().splitlines()[-1]
    assert path == str(results / "tiny" / "team__x")


def test_a_meta_name_that_would_hide_the_result_is_refused(tmp_path: Path) -> None:
    p = _python(
        f"""
        from ir_harness.protocols import SystemMeta
        class Hidden(OverlapRetriever):
            def meta(self):
                return SystemMeta(name=".", kind="lexical", backend="python")
        try:
            api.evaluate(Hidden(), "tiny", results=Path({str(tmp_path / "r")!r}))
        except HarnessError as e:
            print("refused:", e)
        """
    )
    assert p.returncode == 0, p.stderr[-3000:]
    assert "refused: meta().name '.'" in p.stdout
    assert not (tmp_path / "r").exists()


def test_results_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("keep me")
    p = _python(
        f"""
        try:
            api.evaluate(OverlapRetriever(), "tiny", results={str(f)!r}, name="x")
        except HarnessError as e:
            print("refused:", e)
        """
    )
    assert p.returncode == 0, p.stderr[-3000:]
    assert "is a file, expected a folder" in p.stdout and "Traceback" not in p.stderr
    assert f.read_text() == "keep me"


@pytest.mark.parametrize("iterations", [10])
def test_evaluate_from_four_threads(tmp_path: Path, iterations: int) -> None:
    """Four threads call ``evaluate`` at once, in a loop, from a fresh interpreter (the
    registry not scanned yet). ``scripts/threads_probe.py`` runs the full 100 iterations."""
    p = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "threads_probe.py"),
            "--iterations",
            str(iterations),
            "--results",
            str(tmp_path / "results"),
        ],
        cwd=REPO,
        env=probe_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert p.returncode == 0, (p.returncode, p.stderr[-3000:])
    report = json.loads(p.stdout.strip().splitlines()[-1])
    assert report["calls"] == 4 * iterations and report["errors"] == []
    assert len(set(report["scores"])) == 1  # every thread got the same number


def test_int_ids_from_a_systems_search_are_read_as_their_text(tmp_path: Path) -> None:
    """A system answering with ``{11: {1: 2.0}}`` for query "11" and document "1" scores as if
    it had written the ids as text (they are the same ids in a run file)."""
    code = f"""
    import json
    from ir_harness.data.model import Corpus, Document, TaskData
    from tests.harness.fakes import OverlapRetriever

    class NumTask(TinyTask):
        def load(self, subset, data_dir):
            corpus = Corpus(Document(str(i + 1), t) for i, (_, t) in enumerate(self.corpus_lines))
            queries = {{"11": "red apples", "12": "green apples", "13": "sky"}}
            qrels = {{"11": {{"1": 2}}, "12": {{"2": 1}}, "13": {{"3": 1}}}}
            return TaskData(corpus=corpus, queries=queries, qrels=qrels, source="inline")

    class IntIds(OverlapRetriever):
        def search(self, queries, k, ctx):
            run = super().search(queries, k, ctx)
            return {{int(q): {{int(d): s for d, s in docs.items()}} for q, docs in run.items()}}

    TASKS.register("numtiny", NumTask)
    R = Path({str(tmp_path / "results")!r})
    text = api.evaluate(OverlapRetriever(), "numtiny", results=R, name="text")
    ints = api.evaluate(IntIds(), "numtiny", results=R, name="ints")
    print(json.dumps([text.metrics, ints.metrics]))
    """
    p = _python(code)
    assert p.returncode == 0, p.stderr[-3000:]
    text, ints = json.loads(p.stdout.strip().splitlines()[-1])
    assert ints == text and text["ndcg@10"] > 0


def test_documents_not_in_the_corpus_are_counted_in_a_warning(tmp_path: Path) -> None:
    """A system ranking ids the corpus does not hold (a typo, another corpus's ids) is stored
    as before (they count as non-relevant) but said: how many, and a few of them."""
    code = f"""
    import logging
    from tests.harness.fakes import OverlapRetriever

    class Strays(OverlapRetriever):
        def search(self, queries, k, ctx):
            run = super().search(queries, k, ctx)
            for i, q in enumerate(sorted(run)):
                run[q][f"ghost{{i}}"] = 99.0
            return run

    logging.basicConfig(level=logging.WARNING)
    api.evaluate(Strays(), "tiny", results=Path({str(tmp_path / "results")!r}), name="strays")
    """
    p = _python(code)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "3 " in p.stderr and "not in the corpus" in p.stderr, p.stderr[-3000:]
    assert "'ghost0', 'ghost1', 'ghost2'" in p.stderr, p.stderr[-3000:]


def test_a_partial_result_says_how_many_queries_it_covers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A score over 29 of a task's 120 queries says so in the table, not only "29 queries"."""
    from ir_harness.cli.options import print_metrics

    print_metrics("t", "s", {"recall@2": 0.517}, "recall@2", 29, task_queries=120)
    assert "covers 29 of 120 queries" in " ".join(capsys.readouterr().out.split())
    print_metrics("t", "s", {"recall@2": 0.5}, "recall@2", 120, task_queries=120)
    out = " ".join(capsys.readouterr().out.split())
    assert "(120 queries)" in out and "covers" not in out


# ---------------------------------------------------------------- argument types at the boundary
def _evaluate(where: Path, **kw: object) -> object:
    from ir_harness import evaluate

    args: dict[str, object] = {"system": OverlapRetriever(), "tasks": "tiny", "results": where}
    args.update(kw)
    return evaluate(**args)  # type: ignore[arg-type]


def _score(**kw: object) -> object:
    from ir_harness import score

    args: dict[str, object] = {"run": {"q1": {"d1": 1.0}}, "qrels": {"q1": {"d1": 1}}}
    args.update(kw)
    return score(**args)  # type: ignore[arg-type]


def _run_config(**kw: object) -> object:
    from ir_harness import RunConfig

    return RunConfig(**kw)  # type: ignore[arg-type]


def _as_pipeline(**kw: object) -> object:
    from ir_harness.api import as_pipeline

    args: dict[str, object] = {"system": OverlapRetriever()}
    args.update(kw)
    return as_pipeline(**args)  # type: ignore[arg-type]


# (call, keyword arguments, the argument the error must name, the type it must name)
WRONG_TYPES: list[tuple[str, dict[str, object], str, str]] = [
    ("evaluate", {"system": 42}, "system", "int"),
    ("evaluate", {"tasks": 7}, "tasks", "int"),
    ("evaluate", {"tasks": ["tiny", 7]}, "tasks", "int"),
    ("evaluate", {"tasks": {"tiny"}}, "tasks", "set"),
    ("evaluate", {"config": {"seed": 1}}, "config", "dict"),
    ("evaluate", {"system": "overlap", "options": "model=x"}, "options", "str"),
    ("evaluate", {"options": {1: "x"}, "system": "overlap"}, "options", "int"),
    ("evaluate", {"name": 5}, "name", "int"),
    ("evaluate", {"seed": "1"}, "seed", "str"),
    ("evaluate", {"device": 0}, "device", "int"),
    ("evaluate", {"results": 5}, "results", "int"),
    ("evaluate", {"data_dir": 3.5}, "data_dir", "float"),
    ("evaluate", {"qrels_from": 1}, "qrels_from", "int"),
    ("evaluate", {"progress": "yes"}, "progress", "str"),
    ("evaluate", {"command": ["harness", "run"]}, "command", "list"),
    ("evaluate", {"cache_dir": 0}, "cache_dir", "int"),
    ("evaluate", {"plan": "no"}, "plan", "str"),
    ("score", {"measures": 10}, "measures", "int"),
    ("score", {"measures": ["ndcg@10", None]}, "measures", "NoneType"),
    ("score", {"per_query": "yes"}, "per_query", "str"),
    ("score", {"depth": "10"}, "depth", "str"),
    ("score", {"relevance_threshold": "2"}, "relevance_threshold", "str"),
    ("score", {"spec": "tiny"}, "spec", "str"),
    ("score", {"data": {"q1": "x"}}, "data", "dict"),
    ("score", {"threshold": 2}, "threshold", "expected: spec"),
    ("RunConfig", {"seed": 1.5}, "seed", "float"),
    ("RunConfig", {"force": 1}, "force", "int"),
    ("as_pipeline", {"options": ["model=x"], "system": "overlap"}, "options", "list"),
    ("as_pipeline", {"name": 3}, "name", "int"),
]
_CALLS = {"score": _score, "RunConfig": _run_config, "as_pipeline": _as_pipeline}


@pytest.mark.parametrize(
    ("call", "kwargs", "argument", "got"),
    WRONG_TYPES,
    ids=[f"{c}-{a}-{i}" for i, (c, _, a, _) in enumerate(WRONG_TYPES)],
)
def test_a_wrong_argument_type_is_a_harness_error_naming_it(
    tmp_path: Path, call: str, kwargs: dict[str, object], argument: str, got: str
) -> None:
    """Each public function checks its arguments where the user hands them over: the error is
    a ``HarnessError`` naming the argument, the type it got and what was expected, and nothing
    is written."""
    from ir_harness.errors import HarnessError

    results = tmp_path / "results"
    with pytest.raises(HarnessError) as caught:
        if call == "evaluate":
            _evaluate(results, **kwargs)
        else:
            _CALLS[call](**kwargs)
    message = str(caught.value)
    assert argument in message and got in message and "expected" in message, message
    assert not results.exists()


class _SilentOnMost(OverlapRetriever):
    """Answers only the queries in ``answered``; an empty ranking for every other one."""

    def __init__(self, answered: set[str]) -> None:
        super().__init__()
        self.answered = answered

    def meta(self) -> SystemMeta:
        return SystemMeta(name="silent91", kind="lexical", backend="python")

    def search(self, queries: Queries, k: int, ctx: RunContext) -> Run:
        full = super().search(queries, k, ctx)
        return {q: (docs if q in self.answered else {}) for q, docs in full.items()}


def test_an_api_result_over_29_of_120_queries_says_so_in_the_table_and_on_the_site(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A system that returns nothing for 91 of the demo task's 120 queries, evaluated through
    ``evaluate``: the result is stored over 29 queries and flagged partial; ``harness compare``
    and the leaderboard built from that folder say the score covers 29 of 120."""
    from typer.testing import CliRunner

    from ir_harness import evaluate
    from ir_harness.cli import app
    from ir_harness.leaderboard.build import build

    results = tmp_path / "results"
    full = evaluate(OverlapRetriever(), "demo", results=results, name="full")
    answered = set(sorted(full.per_query[full.main_metric])[:29])
    part = evaluate(_SilentOnMost(answered), "demo", results=results)
    assert full.n_queries == 120 and part.n_queries == 29
    assert part.main_metric == "recall@2"
    assert part.record.scope["partial"] is True
    assert part.record.scope["task_queries"] == 120
    assert part.record.scope["evaluated_queries"] == 29
    assert set(part.per_query["recall@2"]) == answered
    mean = sum(part.per_query["recall@2"].values()) / 29
    assert part.main_score == pytest.approx(mean)  # the mean over the 29, not the 120

    out = CliRunner().invoke(app, ["compare", "--task", "demo", "--results", str(results)])
    assert out.exit_code == 0, out.output
    table = " ".join(out.output.split())
    assert "partial: 29 of 120 queries" in table, table

    build(results, tmp_path / "site")
    page = " ".join((tmp_path / "site" / "task-demo.html").read_text().split())
    assert "partial: covers 29 of 120 queries" in page
    assert 'data-name="silent91"' in page
