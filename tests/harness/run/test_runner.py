"""The runner end to end on tiny plugins: storing, resuming after a crash, pipelines, rerank tasks."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from ir_harness.data.spec import TaskSpec
from ir_harness.errors import ConfigError, DataFormatError
from ir_harness.registry import SYSTEMS, TASKS
from ir_harness.run.job import RunJob
from ir_harness.run.runner import run
from ir_harness.store.results import METADATA_FILE, METRICS_FILE, RUN_FILE, iter_results
from tests.harness.fakes import OverlapRetriever, TinyTask

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(autouse=True)
def _register() -> None:
    TASKS.register("tiny", TinyTask)
    SYSTEMS.register("overlap", OverlapRetriever)
    OverlapRetriever.calls.clear()


def opts(tmp_path: Path, **kw: object) -> RunJob:
    base: dict[str, object] = {
        "system": "overlap",
        "task": "tiny",
        "results": tmp_path / "results",
        "progress": False,
        "cache_dir": tmp_path / "cache",
    }
    base.update(kw)
    return RunJob.of(**base)  # type: ignore[arg-type]


def test_run_stores_three_files_with_metadata(tmp_path: Path) -> None:
    out = run(opts(tmp_path))
    assert {p.name for p in out.path.iterdir()} == {RUN_FILE, METRICS_FILE, METADATA_FILE}
    metrics = json.loads((out.path / METRICS_FILE).read_text())
    assert metrics["schema_version"] == 1
    assert metrics["main_metric"] == "ndcg@10"
    assert set(metrics["per_query"]["ndcg@10"]) == {"q1", "q2", "q3"}
    meta = json.loads((out.path / METADATA_FILE).read_text())
    for key in (
        "command",
        "config",
        "git_sha",
        "packages",
        "hardware",
        "seed",
        "timings",
        "stages",
        "data_source",
    ):
        assert key in meta
    assert meta["stages"][0]["name"] == "overlap"
    assert out.main_score == pytest.approx(1.0)
    assert not [p for p in (tmp_path / "results" / ".partial").rglob("*") if p.is_file()]


def test_crashed_run_resumes_and_matches_uninterrupted(tmp_path: Path) -> None:
    clean = run(opts(tmp_path / "a", query_batch=1))
    OverlapRetriever.calls.clear()
    SYSTEMS.register("overlap", lambda: OverlapRetriever(fail_after=2))
    with pytest.raises(RuntimeError, match="simulated crash"):
        run(opts(tmp_path / "b", query_batch=1))
    assert not (tmp_path / "b" / "results" / "tiny").exists()  # nothing half-written
    SYSTEMS.register("overlap", OverlapRetriever)
    OverlapRetriever.calls.clear()
    resumed = run(opts(tmp_path / "b", query_batch=1))
    assert OverlapRetriever.calls == [["q3"]]  # only the unfinished query was searched again
    assert resumed.metadata.stats["resumed_queries"] == 2
    assert (resumed.path / RUN_FILE).read_text() == (clean.path / RUN_FILE).read_text()
    assert resumed.per_query == clean.per_query


def test_interrupted_batch_write_is_not_counted(tmp_path: Path) -> None:
    """A batch file that was being written when the process died (temp name) never counts."""
    SYSTEMS.register("overlap", lambda: OverlapRetriever(fail_after=1))
    with pytest.raises(RuntimeError):
        run(opts(tmp_path, query_batch=1))
    (folder,) = (tmp_path / "results" / ".partial" / "tiny").iterdir()
    assert sorted(p.name for p in folder.iterdir()) == ["000000.run.json", "000000.stats.json"]
    (folder / ".000001.run.json.abc.tmp").write_text("q2 Q0 d2 1 0.5")  # killed mid-write
    SYSTEMS.register("overlap", OverlapRetriever)
    OverlapRetriever.calls.clear()
    out = run(opts(tmp_path, query_batch=1))
    assert OverlapRetriever.calls == [["q2"], ["q3"]]
    assert out.main_score == pytest.approx(1.0)


def test_old_style_checkpoint_with_a_partly_written_query_is_not_trusted(tmp_path: Path) -> None:
    """A checkpoint holding a prefix of a finished run's lines (q1 complete, q2 with only its
    first document) must not make q2 count as done with one document."""
    clean = run(opts(tmp_path / "a"))
    lines = (clean.path / RUN_FILE).read_text().splitlines(keepends=True)
    q2_first = next(i for i, ln in enumerate(lines) if ln.startswith("q2 "))
    legacy = tmp_path / "b" / "results" / ".partial" / "tiny"
    legacy.mkdir(parents=True)
    name = (tmp_path / "a" / "results" / ".partial" / "tiny").iterdir()
    assert not list(name)  # the finished run removed its checkpoint
    cfg_hash = clean.metadata.config_hash
    (legacy / f"overlap-{cfg_hash}.trec").write_text("".join(lines[: q2_first + 1]))
    OverlapRetriever.calls.clear()
    resumed = run(opts(tmp_path / "b"))
    assert (resumed.path / RUN_FILE).read_text() == (clean.path / RUN_FILE).read_text()
    assert resumed.per_query == clean.per_query


def test_pipeline_reranks_top_k_and_keeps_tail(tmp_path: Path) -> None:
    out = run(opts(tmp_path, system="overlap>overlap"))
    lines = (out.path / RUN_FILE).read_text().splitlines()
    q1 = [ln.split()[2] for ln in lines if ln.startswith("q1 ")]
    # the second stage reorders the top-2 (d1, d2) by -len(id) -> tie -> doc id desc; d3 stays below
    assert q1[-1] == "d3"
    assert len(q1) == 3
    assert out.metadata.stages[1].name == "overlap"


def test_rerank_task_uses_candidates(tmp_path: Path) -> None:
    out = run(opts(tmp_path, task="tiny/rerank"))
    assert OverlapRetriever.calls == []  # search() never called: candidates came from the task
    run_lines = (out.path / RUN_FILE).read_text().splitlines()
    assert {ln.split()[2] for ln in run_lines if ln.startswith("q1 ")} == {"d1", "d2", "d3"}


def test_unknown_names_suggest_close_matches(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="did you mean 'overlap'"):
        run(opts(tmp_path, system="overlp"))
    with pytest.raises(Exception, match="did you mean 'tiny'"):
        run(opts(tmp_path, task="tinny"))


def test_unaccepted_option_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not accepted"):
        run(opts(tmp_path, options={"temperature": 3}))


def test_bad_input_leaves_existing_results_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = run(opts(tmp_path))
    before = {p.name: p.read_bytes() for p in good.path.iterdir()}

    def broken_load(self: TinyTask, subset: str, data_dir: object) -> None:
        raise DataFormatError("qrels.txt", 2, "qrels line has 3 fields", "4 fields")

    monkeypatch.setattr(TinyTask, "load", broken_load)
    with pytest.raises(DataFormatError, match="qrels.txt:2"):
        run(opts(tmp_path))
    assert {p.name: p.read_bytes() for p in good.path.iterdir()} == before
    assert len(iter_results(tmp_path / "results")) == 1


def test_family_run_stores_members_and_macro_mean(tmp_path: Path) -> None:
    from ir_harness.run.family import run_any
    from tests.harness.fakes import TinyFamily

    TASKS.register("fam", TinyFamily)
    outs = run_any(opts(tmp_path, task="fam"))
    assert [o.task for o in outs] == ["fam/a", "fam/b", "fam"]
    agg = outs[-1].record
    assert agg.main_score == pytest.approx((outs[0].main_score + outs[1].main_score) / 2)
    assert set(agg.extra["members"]) == {"fam/a", "fam/b"}
    assert (outs[-1].path / "members.json").exists()
    hashes = outs[-1].metadata.data["members"]  # each member's qrels identity beside the mean
    assert hashes == {o.task: o.metadata.data["qrels_sha256"] for o in outs[:2]}
    assert {m.task for m, _, _ in iter_results(tmp_path / "results")} == {"fam", "fam/a", "fam/b"}


def test_excluded_ids_never_reach_a_reranking_stage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, set[str]] = {}
    real_load = TinyTask.load

    def load_with_exclusions(self: TinyTask, subset: str, data_dir: object) -> object:
        data = real_load(self, subset, None)
        data.excluded_ids = {"q1": {"d1"}}
        return data

    def spy_rerank(self: OverlapRetriever, queries, corpus, candidates, ctx):  # type: ignore[no-untyped-def]
        seen.update({q: set(docs) for q, docs in candidates.items()})
        return {q: dict(docs) for q, docs in candidates.items()}

    monkeypatch.setattr(TinyTask, "load", load_with_exclusions)
    monkeypatch.setattr(OverlapRetriever, "rerank", spy_rerank)
    out = run(opts(tmp_path, system="overlap>overlap"))
    assert "d1" not in seen["q1"] and "d1" in seen["q2"]  # excluded for q1 only
    assert "q1 Q0 d1 " not in (out.path / RUN_FILE).read_text()


def test_exclusion_aware_first_stage_is_told_the_excluded_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the ExclusionAware protocol (isinstance), not by probing for an attribute."""
    from ir_harness.protocols import ExclusionAware

    told: list[dict[str, set[str]]] = []

    class Aware(OverlapRetriever):
        def set_excluded(self, excluded_ids: dict[str, set[str]]) -> None:
            told.append(excluded_ids)

    real_load = TinyTask.load

    def load_with_exclusions(self: TinyTask, subset: str, data_dir: object) -> object:
        data = real_load(self, subset, None)
        data.excluded_ids = {"q1": {"d1"}}
        return data

    monkeypatch.setattr(TinyTask, "load", load_with_exclusions)
    SYSTEMS.register("aware", Aware)
    assert isinstance(Aware(), ExclusionAware) and not isinstance(
        OverlapRetriever(), ExclusionAware
    )
    run(opts(tmp_path, system="aware"))
    assert told == [{"q1": {"d1"}}]


# ---------------------------------------------------------------- result identity and scope
def test_full_and_limited_runs_are_both_kept_with_their_scope(tmp_path: Path) -> None:
    full = run(opts(tmp_path))
    part = run(opts(tmp_path, limit_queries=2))
    seeded = run(opts(tmp_path, seed=3))
    assert full.path.name == "overlap"  # a full-scope run keeps the plain folder
    assert part.path.name == "overlap@limit2"
    assert seeded.path.name == "overlap@seed3"
    stored = {d.name: m for m, _, d in iter_results(tmp_path / "results")}
    assert set(stored) == {"overlap", "overlap@limit2", "overlap@seed3"}
    assert stored["overlap"].n_queries == 3 and stored["overlap@limit2"].n_queries == 2
    assert stored["overlap"].scope["partial"] is False
    s = stored["overlap@limit2"].scope
    assert (s["task_queries"], s["evaluated_queries"], s["partial"], s["limit_queries"]) == (
        3,
        2,
        True,
        2,
    )
    assert (
        part.scope == s
        and part.metadata.scope is None
        and part.metadata.config["limit_queries"] == 2
    )


def test_qrels_from_runs_get_a_folder_named_by_file_and_content(tmp_path: Path) -> None:
    judged = tmp_path / "judge.txt"
    judged.write_text("q1 0 d1 2\nq2 0 d2 1\nq3 0 d3 0\n")
    out = run(opts(tmp_path, qrels_from=judged))
    assert out.path.parent.name == "tiny_qrels_judge.txt_-" + out.path.parent.name[-8:]
    assert out.path.name.startswith("overlap@qrels=judge-") and len(out.path.name) == 28
    assert out.scope["qrels_hash"] in out.path.name
    judged.write_text("q1 0 d1 0\nq2 0 d2 1\nq3 0 d3 1\n")  # same name, other labels
    assert run(opts(tmp_path, qrels_from=judged)).path != out.path


def test_run_with_zero_queries_is_an_error_and_stores_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = run(opts(tmp_path))
    before = {p.name: p.read_bytes() for p in good.path.iterdir()}
    real_load = TinyTask.load

    def empty_queries(self: TinyTask, subset: str, data_dir: object) -> object:
        data = real_load(self, subset, data_dir)  # type: ignore[arg-type]
        data.queries = {}
        return data

    monkeypatch.setattr(TinyTask, "load", empty_queries)
    with pytest.raises(ConfigError, match="no judged queries to evaluate"):
        run(opts(tmp_path))
    assert {p.name: p.read_bytes() for p in good.path.iterdir()} == before
    assert [m.n_queries for m, _, _ in iter_results(tmp_path / "results")] == [3]


def test_zero_evaluated_items_are_refused_by_store_result(tmp_path: Path) -> None:
    from ir_harness.run.context import RunContext
    from ir_harness.run.pipeline import build_pipeline
    from ir_harness.run.runner import ResultRecord, store_result
    from ir_harness.task import Scores

    o = opts(tmp_path)
    pipe = build_pipeline("overlap", {})
    record = ResultRecord(
        o,
        TinyTask().spec(""),
        pipe,
        RunContext.from_config(o.config, o.task),
        {},
        Scores(metrics={"ndcg@10": 0.0}, n_items=0, source="x"),
        {},
    )
    with pytest.raises(ConfigError, match="evaluated zero queries"):
        store_result(record)
    assert not (tmp_path / "results" / "tiny").exists()


def test_second_writer_of_one_identity_fails_naming_it(tmp_path: Path) -> None:
    """A real second process holds the identity's lock, as a concurrent run would."""
    import subprocess
    import sys

    from ir_harness.store.results import ResultLockedError, result_dir

    target = result_dir(tmp_path / "results", "tiny", "overlap")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, pathlib; from ir_harness.store.results import result_lock\n"
            f"with result_lock(pathlib.Path({str(target)!r})):\n"
            "    print('held', flush=True); sys.stdin.readline()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(ResultLockedError, match="another run is writing .*tiny/overlap"):
            run(opts(tmp_path))
        assert not list((tmp_path / "results" / ".partial").rglob("*.trec"))
        assert run(opts(tmp_path, limit_queries=1)).n_queries == 1  # other identity
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=30)
    assert run(opts(tmp_path)).n_queries == 3  # lock released with its holder


def test_judged_at_10_is_stored_only_where_the_qrels_judge_non_relevant_documents(
    tmp_path: Path,
) -> None:
    """TinyTask's qrels list positives only: every other document is unjudged by construction,
    so the hole rate says nothing and is not stored (pooled qrels: tests/harness/eval)."""
    out = run(opts(tmp_path))
    metrics = json.loads((out.path / METRICS_FILE).read_text())
    assert "judged@10" not in metrics["metrics"]
    assert "judged@10" not in metrics["per_query"]


class _NoAucTask(TinyTask):
    """TinyTask declaring no measures beyond its ranking metrics."""

    def spec(self, subset: str) -> TaskSpec:
        return super().spec(subset).model_copy(update={"name": "no-auc", "run_measures": ()})


def test_the_measures_beside_the_ranking_metrics_are_the_tasks_declaration(
    tmp_path: Path,
) -> None:
    """AUC by pool is stored because the spec declares it (its default), not because the runner
    adds it: a task declaring ``run_measures=()`` stores its ranking metrics only."""
    with_auc = json.loads((run(opts(tmp_path)).path / METRICS_FILE).read_text())
    assert "auc_global(top100)" in with_auc["metrics"] and "auc_pools" in with_auc["extra"]
    TASKS.register("no-auc", _NoAucTask)
    bare = json.loads((run(opts(tmp_path, task="no-auc")).path / METRICS_FILE).read_text())
    assert not [k for k in bare["metrics"] if k.startswith("auc")]
    assert "auc_pools" not in bare.get("extra", {})
    assert bare["metrics"]["ndcg@10"] == with_auc["metrics"]["ndcg@10"]


def test_a_spec_declaring_an_unknown_measure_is_refused() -> None:
    with pytest.raises(ValueError, match="run_measures: unknown measure 'auc_by_pol'"):
        TaskSpec(name="t", family="t", run_measures=("auc_by_pol",))
