"""Summary and build without a browser: what the summary holds, what the site contains."""

from __future__ import annotations

import json
import shutil
import threading
import urllib.request
from typing import TYPE_CHECKING

import pytest

from ir_harness import evaluate
from ir_harness.errors import ConfigError
from ir_harness.eval.compare import compare
from ir_harness.leaderboard.build import build
from ir_harness.leaderboard.serve import make_server
from ir_harness.leaderboard.summary import SUMMARY_VERSION, pareto_front, summarise
from tests.leaderboard.helpers import REPO, values, write_fake_result

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """Two families: 'fam' with two tasks (one system missing one), 'solo' with one task."""
    r = tmp_path / "results"
    for task, seeds in {"fam/a": (1, 2, 3), "fam/b": (4, 5, None), "solo": (6, 7, 8)}.items():
        for system, seed, shift, kind in zip(
            ("lex", "den", "rer"), seeds, (0.0, 0.3, -0.2), ("lexical", "dense", "reranker")
        ):
            if seed is None:
                continue
            write_fake_result(
                r,
                task,
                system,
                {"ndcg@10": values(seed, shift=shift), "recall@100": values(seed + 50)},
                kind=kind,
                per_query_s={"lex": 0.001, "den": 0.01, "rer": 0.1}[system],
            )
    return r


def test_summary_family_means_and_task_counts(store: Path) -> None:
    s = summarise(store)
    assert s["summary_version"] == SUMMARY_VERSION
    fam = next(f for f in s["families"] if f["family"] == "fam")
    assert fam["tasks"] == ["fam/a", "fam/b"]
    by_task = {t["task"]: {r["system"]: r for r in t["results"]} for t in s["tasks"]}
    a, b = by_task["fam/a"], by_task["fam/b"]
    lex = fam["scores"]["lex"]["ndcg@10"]
    assert lex["n_tasks"] == 2
    assert lex["mean"] == pytest.approx(
        (a["lex"]["metrics"]["ndcg@10"] + b["lex"]["metrics"]["ndcg@10"]) / 2
    )
    # 'rer' has no result on fam/b: its average covers one task, and says so.
    assert fam["scores"]["rer"]["ndcg@10"] == {
        "mean": a["rer"]["metrics"]["ndcg@10"],
        "n_tasks": 1,
        "trained": False,
    }
    den = next(x for x in s["systems"] if x["system"] == "den")
    assert den["overall"]["main"]["n_families"] == 2


def test_summary_significance_matches_harness_compare(store: Path) -> None:
    from ir_harness.store.results import iter_results

    s = summarise(store)
    task = next(t for t in s["tasks"] if t["task"] == "solo")
    sig = task["significance"]
    per_query = {
        m.system: m.per_query["ndcg@10"] for m, _, _ in iter_results(store) if m.task == "solo"
    }
    expected = {c.system: c for c in compare(per_query, "lex", "ndcg@10", test=sig["test"])}
    got = sig["by_metric"]["ndcg@10"]["baselines"]["lex"]
    assert set(got) == {"den", "rer"}
    for name, c in expected.items():
        assert got[name]["p_holm"] == pytest.approx(c.p_holm)
        assert got[name]["significant"] == c.significant
    best = max(task["results"], key=lambda r: r["metrics"]["ndcg@10"])["system"]
    assert sig["by_metric"]["ndcg@10"]["best"] == best


def test_pareto_front() -> None:
    # (cost, score): the cheap weak one and the costly strong one are on the front.
    front = pareto_front([(1, 0.2), (10, 0.5), (20, 0.4), (10, 0.5001)])
    assert front == [True, False, False, True]


def test_build_copies_every_file_and_renders_pages(store: Path, tmp_path: Path) -> None:
    write_fake_result(
        store,
        "custom",
        "judge",
        {"acc": values(9)},
        kind="llm",
        artifact_name="labels.tsv",
        stats={"llm_calls": 60, "prompt_tokens": 6000},
    )
    index = build(store, tmp_path / "site")
    site = index.parent
    summary = json.loads((site / "summary.json").read_text())
    assert summary["summary_version"] == SUMMARY_VERSION
    custom = next(t for t in summary["tasks"] if t["task"] == "custom")["results"][0]
    assert custom["files"]["run"].endswith("labels.tsv.txt")  # published as text
    assert (site / custom["files"]["run"]).read_text() == "q0 Q0 d1 1 1.0 test\n"
    assert custom["cost"]["llm_calls_per_query"] == pytest.approx(2.0)
    assert custom["cost"]["tokens_per_query"] == pytest.approx(200.0)
    for t in summary["tasks"]:
        assert (site / f"task-{t['slug']}.html").exists()
        for r in t["results"]:
            for key in ("run", "metrics", "metadata"):
                assert (site / r["files"][key]).is_file()
    for sy in summary["systems"]:
        assert (site / f"system-{sy['slug']}.html").exists()
    for js in ("leaderboard.js", "leaderboard.css", "vega-6.4.0.min.js", "vega-embed-7.3.0.min.js"):
        assert (site / "static" / js).is_file()
    html = (site / "task-custom.html").read_text()
    assert "https://" not in html.replace("https://vega.github.io/schema", "")  # no remote assets
    system_html = (site / "system-judge.html").read_text()
    assert "harness run --system &#39;judge&#39; --task &#39;custom&#39;" in system_html


def test_task_page_shows_unchanged_and_unusable_listwise_windows(
    store: Path, tmp_path: Path
) -> None:
    """A listwise stage whose answers moved nothing showed only "repaired 0/16"."""
    write_fake_result(
        store,
        "solo",
        "rankgpt",
        {"ndcg@10": values(11), "recall@100": values(12)},
        kind="llm",
        stats={
            "rankgpt_windows": 16,
            "rankgpt_repaired_windows": 0,
            "rankgpt_windows_unchanged": 16,
            "rankgpt_windows_unusable": 0,
        },
    )
    site = build(store, tmp_path / "site").parent
    summary = json.loads((site / "summary.json").read_text())
    r = next(
        r
        for t in summary["tasks"]
        if t["task"] == "solo"
        for r in t["results"]
        if r["system"] == "rankgpt"
    )
    assert r["windows"] == [
        {"stage": "rankgpt", "windows": 16, "repaired": 0, "unchanged": 16, "unusable": 0}
    ]
    html = (site / "task-solo.html").read_text()
    assert "<h2>Listwise windows</h2>" in html
    assert "<td>16</td><td>0</td><td>16</td><td>0</td>" in html


def test_a_result_made_by_the_api_shows_its_call_escaped(tmp_path: Path) -> None:
    store = tmp_path / "results"
    call = {"function": "ir_harness.evaluate", "system": "<b>dense</b>", "tasks": ["nfcorpus"],
            "options": {"model": "m"}}  # fmt: skip
    write_fake_result(store, "nfcorpus", "<b>dense</b>", {"ndcg@10": values(3)}, call=call)
    write_fake_result(store, "nfcorpus", "bm25", {"ndcg@10": values(4)})
    site = build(store, tmp_path / "site").parent
    summary = json.loads((site / "summary.json").read_text())
    rows = {r["system"]: r for t in summary["tasks"] for r in t["results"]}
    made = rows["<b>dense</b>"]["made_by"]
    assert made == {
        "kind": "API call",
        "text": "ir_harness.evaluate(system='<b>dense</b>', tasks=['nfcorpus'], "
        "options={'model': 'm'})",
    }
    assert rows["bm25"]["made_by"]["kind"] == "command"
    task_html = (site / "task-nfcorpus.html").read_text()
    assert "<summary>API call</summary>" in task_html and "<b>dense</b>" not in task_html
    assert "ir_harness.evaluate(system=&#39;&lt;b&gt;dense&lt;/b&gt;&#39;" in task_html
    assert "<summary>command</summary><code>harness run --system &#39;bm25&#39;" in task_html


def test_rebuild_replaces_site_but_never_a_foreign_folder(store: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build(store, site)
    (site / "task-stale.html").write_text("old")
    build(store, site)
    assert not (site / "task-stale.html").exists()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="not a leaderboard site"):
        build(store, foreign)
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_builds_from_the_repository_results_folder(tmp_path: Path) -> None:
    """CI builds the site from the committed results/; empty or not, it must build."""
    index = build(REPO / "results", tmp_path / "site")
    assert index.is_file()
    summary = json.loads((index.parent / "summary.json").read_text())
    assert len(summary["tasks"]) == len(
        {
            p.parent.parent
            for p in (REPO / "results").glob("*/*/metrics.json")
            if not p.parent.name.startswith(".")
        }
    )


def test_plots_omitted_without_data_and_drawn_with_it(store: Path, tmp_path: Path) -> None:
    from ir_harness.systems.starbucks_plots import starbucks_grids
    from ir_harness.tasks.limit_plots import limit_recall_vs_dim
    from ir_harness.tasks.llmjudge.plots import judge_agreement

    s = summarise(store)
    assert starbucks_grids(s) == []
    assert limit_recall_vs_dim(s) is None
    assert judge_agreement(s) is None
    grid = [{"layers": n, "dim": d, "score": n * d / 1000} for n in (2, 4) for d in (32, 64)]
    write_fake_result(store, "sts", "starbucks", {"spearman": values(3)}, extra={"grid": grid})
    for dim in (64, 128):
        write_fake_result(
            store,
            "limit-small",
            f"emb-{dim}",
            {"recall@2": values(dim), "recall@10": values(dim + 1)},
            parameters={"dim": dim},
        )
    write_fake_result(
        store,
        "llmjudge",
        "judge-a",
        {"cohen_kappa": values(11)},
        kind="llm",
        metrics={"kendall_tau": 0.8},
    )
    s = summarise(store)
    ((label, spec),) = starbucks_grids(s)
    assert {(c["layers"], c["dim"]) for c in spec["data"]["values"]} == {
        (2, 32),
        (2, 64),
        (4, 32),
        (4, 64),
    }
    lim = limit_recall_vs_dim(s)
    assert lim is not None
    assert sorted({r["dimension"] for r in lim["data"]["values"]}) == [64, 128]
    judge = judge_agreement(s)
    assert judge is not None and judge["data"]["values"][0]["tau"] == 0.8
    site = build(store, tmp_path / "site").parent
    html = (site / "plots.html").read_text()
    for target in ('data-target="limit"', 'data-target="starbucks-0"', 'data-target="judge"'):
        assert target in html


def test_no_plots_page_when_no_plot_has_data(tmp_path: Path) -> None:
    r = tmp_path / "results"
    write_fake_result(r, "t", "only", {"ndcg@10": values(1)}, per_query_s=0.0)
    site = build(r, tmp_path / "site").parent
    assert not (site / "plots.html").exists()
    assert "plots.html" not in (site / "index.html").read_text()


def test_serve_answers_on_loopback(store: Path, tmp_path: Path) -> None:
    site = build(store, tmp_path / "site").parent
    server = make_server(site, 0)
    host, port = server.server_address[:2]
    assert host == "127.0.0.1"
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/summary.json", timeout=10) as resp:
            assert json.loads(resp.read())["summary_version"] == SUMMARY_VERSION
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(ConfigError, match="build it first"):
        make_server(tmp_path / "nothing", 0)


def test_full_and_limited_runs_both_appear_labelled_and_trained_rows_are_never_best(
    tmp_path: Path,
) -> None:
    import re

    from ir_harness.registry import SYSTEMS, TASKS
    from ir_harness.store.results import METRICS_FILE, MetricsRecord
    from tests.harness.fakes import OverlapRetriever, TinyTask

    TASKS.register("tiny", TinyTask)
    SYSTEMS.register("overlap", OverlapRetriever)
    res = tmp_path / "results"
    for limit in (None, 2):
        evaluate(system="overlap", tasks="tiny", results=res, progress=False,
                       limit_queries=limit, cache_dir=tmp_path / "c")  # fmt: skip
    # a stored student scored on its own training queries, with the top score
    trained = evaluate(system="overlap>overlap", tasks="tiny", results=res, progress=False,
                             cache_dir=tmp_path / "c")  # fmt: skip
    rec = trained.record.model_copy(
        update={
            "main_score": 2.0,
            "metrics": {**trained.metrics, "ndcg@10": 2.0},
            "trained_on_evaluated": {"label": "trained on these queries", "overlap": 3,
                                     "evaluated_queries": 3, "stage": "overlap",
                                     "training_task": "tiny", "training_method": "mvp",
                                     "training_queries": 3},
        }
    )  # fmt: skip
    (trained.path / METRICS_FILE).write_text(MetricsRecord.model_validate(rec).model_dump_json())
    s = summarise(res)
    (task,) = s["tasks"]
    rows = {r["row"]: r for r in task["results"]}
    assert set(rows) == {"overlap", "overlap@limit2", "overlap>overlap"}
    assert rows["overlap@limit2"]["flags"]["partial"] == "partial: 2 of 3 queries"
    assert task["best"] == "overlap"  # neither the partial nor the trained row
    comps = task["significance"]["by_metric"]["ndcg@10"]["baselines"]["overlap"]
    assert comps["overlap@limit2"]["n_queries"] == 2 and comps["overlap>overlap"]["n_queries"] == 3
    build(res, tmp_path / "site")
    page = (tmp_path / "site" / "task-tiny.html").read_text()
    assert 'data-name="overlap@limit2"' in page and 'data-name="overlap"' in page
    assert "partial: covers 2 of 3 queries" in page and "trained on these queries (3 of 3)" in page
    best_cells = re.findall(r'<tr data-name="([^"]+)"(?:(?!</tr>).)*?class="best"', page, re.S)
    assert best_cells and set(best_cells) == {"overlap"}
    assert (tmp_path / "site" / "files" / "tiny" / "overlap@limit2" / "run.trec.txt").exists()
    sys_page = (tmp_path / "site" / "system-overlap.html").read_text()
    assert 'id="r-tiny-limit2"' in sys_page and 'href="#r-tiny-limit2"' in sys_page
    assert sys_page.count('<section class="result"') == 2


def test_costs_and_windows_are_read_by_the_counters_kind_not_their_name(tmp_path: Path) -> None:
    r = tmp_path / "results"
    n = len(values(1))
    tags = {
        "asks": {"kind": "llm_calls"},
        "words_in": {"kind": "llm_tokens"},
        "pick_rounds": {"kind": "windows", "stage": "pick"},
        "pick_fixed": {"kind": "windows_repaired", "stage": "pick"},
    }
    stats = {"asks": 2 * n, "words_in": 10 * n, "pick_rounds": 7, "pick_fixed": 1}
    stats |= {"recall_calls": 999, "token_budget": 999, "x_windows": 5}  # untagged: not counted
    write_fake_result(r, "t", "tagged", {"ndcg@10": values(1)}, stats=stats, stat_tags=tags)
    # a result stored before tags existed: the LLM session's and window counters' fixed names
    old = {"llm_calls": 3 * n, "llm_prompt_tokens": n, "rankgpt_windows": 4}
    write_fake_result(r, "t", "legacy", {"ndcg@10": values(2)}, stats=old)
    rows = {x["system"]: x for x in summarise(r)["tasks"][0]["results"]}
    tagged, legacy = rows["tagged"], rows["legacy"]
    assert tagged["cost"]["llm_calls_per_query"] == 2 and tagged["cost"]["tokens_per_query"] == 10
    assert tagged["windows"] == [
        {"stage": "pick", "windows": 7, "repaired": 1, "unchanged": None, "unusable": None}
    ]
    assert legacy["cost"]["llm_calls_per_query"] == 3 and legacy["cost"]["tokens_per_query"] == 1
    assert [w["stage"] for w in legacy["windows"]] == ["rankgpt"]


def test_site_family_mean_is_the_stored_family_result(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import ir_harness as harness
    from ir_harness.registry import SYSTEMS, TASKS
    from tests.harness.fakes import OverlapRetriever, TinyFamily

    TASKS.register("fam", TinyFamily)
    SYSTEMS.register("overlap", OverlapRetriever)
    res = tmp_path / "results"
    agg = harness.evaluate("overlap", "fam", results=res, device="cpu", cache_dir=tmp_path / "c")
    assert [m.task for m in agg.members] == ["fam/a", "fam/b"]
    (loaded,) = (r for r in harness.load_results(res) if r.task == "fam")
    assert [m.task for m in loaded.members] == ["fam/a", "fam/b"]  # read back from disk too
    assert [m.main_score for m in loaded.members] == [m.main_score for m in agg.members]
    (fam,) = summarise(res)["families"]
    site = fam["scores"]["overlap"]["main"]
    # the members only (the stored aggregate is not a third member), the same bits
    assert site["n_tasks"] == 2
    assert site["mean"] == agg.main_score
    assert fam["scores"]["overlap"][agg.main_metric]["mean"] == agg.main_score
    gone = agg.members[1].path
    assert gone is not None
    shutil.rmtree(gone)
    (loaded,) = (r for r in harness.load_results(res) if r.task == "fam")
    assert [m.task for m in loaded.members] == ["fam/a"]
    assert "member fam/b is not at" in caplog.text
