"""Adding a system or a task is one file plus one entry-point line.

``tests/plugin_pkg`` is a separate package (its own pyproject.toml) with one system module, one
task module and one entry-point line for each; ``scripts/setup.sh`` installs it into the test
environment. Nothing in the core names it, yet ``harness list`` shows it and ``harness run`` runs it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest

from ir_harness.registry import SYSTEMS, TASKS
from ir_harness.testing import check_system_plugin, check_task_plugin

PKG = Path(__file__).parent / "plugin_pkg"
HARNESS = Path(sys.executable).parent / "harness"


REINSTALL = (
    "run scripts/setup.sh (or: pip install --no-deps --no-build-isolation -e tests/plugin_pkg)"
)


@pytest.fixture(scope="module", autouse=True)
def _installed() -> None:
    try:
        dist = distribution("harness-test-plugin")
    except PackageNotFoundError:
        pytest.fail(f"tests/plugin_pkg is not installed in this environment; {REINSTALL}")
    groups = tomllib.loads((PKG / "pyproject.toml").read_text())["project"]["entry-points"]
    declared = {(g, n, v) for g, eps in groups.items() for n, v in eps.items()}
    missing = declared - {(e.group, e.name, e.value) for e in dist.entry_points}
    if missing:  # entry points are copied at install time: an older install lacks new ones
        pytest.fail(f"the installed tests/plugin_pkg lacks {sorted(missing)}; {REINSTALL}")


def _harness(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(HARNESS), *args], capture_output=True, text=True, check=False)


def test_the_package_is_one_file_per_plugin_and_one_entry_point_line_each() -> None:
    modules = sorted(p.name for p in (PKG / "harness_test_plugin").glob("*.py"))
    assert modules == ["__init__.py", "beir.py", "pick.py", "system.py", "task.py"]
    toml = (PKG / "pyproject.toml").read_text()
    assert 'plugin-overlap = "harness_test_plugin.system:WordOverlap"' in toml
    assert 'plugin-tiny = "harness_test_plugin.task:TinyTask"' in toml
    assert 'plugin-beir = "harness_test_plugin.beir:PluginBeir"' in toml
    assert 'plugin-pick = "harness_test_plugin.pick:PickReranker"' in toml
    assert 'plugin-pick = "harness_test_plugin.pick:PICK_PLOT"' in toml
    root = Path(__file__).parent.parent
    core = [
        p for d in ("harness/ir_harness", "kernels", "leaderboard") for p in (root / d).rglob("*.*")
    ]
    marks = ("plugin_pkg", "harness_test_plugin", "plugin-pick", "plugin-overlap", "plugin-beir")
    assert not [p for p in core if p.suffix in (".py", ".html") and any(
        m in p.read_text(encoding="utf-8") for m in marks
    )]  # fmt: skip


def test_plugins_pass_the_conformance_checks() -> None:
    check_system_plugin(SYSTEMS.get("plugin-overlap"))
    check_system_plugin(SYSTEMS.get("plugin-pick"))
    check_task_plugin(TASKS.get("plugin-tiny"))
    check_task_plugin(TASKS.get("plugin-beir"))


def test_harness_list_shows_them() -> None:
    systems = json.loads(_harness("list", "systems", "--json").stdout)
    assert {"name": "plugin-overlap", "target": "harness_test_plugin.system:WordOverlap"} in systems
    tasks = {r["name"]: r for r in json.loads(_harness("list", "tasks", "--json").stdout)}
    assert tasks["plugin-tiny"]["main_metric"] == "ndcg@10"
    assert tasks["plugin-tiny"]["sources"] == ["generated:inline"]


def test_harness_run_runs_them(tmp_path: Path) -> None:
    r = _harness(
        "run", "--system", "plugin-overlap", "--task", "plugin-tiny", "--results", str(tmp_path),
        "--device", "cpu", "--json",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    # q1 "green apples": d2 (2 words) above d1 (1), d2 relevant -> nDCG 1, recall@1 1.
    # q2 "sky": only d3 shares a word; the relevant d1 is not returned -> 0 and 0.
    assert out["metrics"]["ndcg@10"] == 0.5
    assert out["metrics"]["recall@1"] == 0.5
    assert out["n_queries"] == 2
    assert Path(out["result_dir"]) == tmp_path / "plugin-tiny" / "plugin-overlap"
    assert (Path(out["result_dir"]) / "run.trec").read_text().splitlines() == [
        "q1 Q0 d2 1 2 plugin-overlap",
        "q1 Q0 d1 2 1 plugin-overlap",
        "q2 Q0 d3 1 1 plugin-overlap",
    ]


# ---------------------------------------------------------------- its asks and its plot
def test_the_oracle_answers_the_plugins_calls_from_their_asks() -> None:
    from harness_test_plugin.pick import build_prompt, pick_ask

    from ir_harness.llm.base import Request, as_messages
    from ir_harness.llm.oracle.backend import OracleLLM
    from ir_harness.llm.oracle.knowledge import Knowledge

    data = TASKS.get("plugin-tiny")().load("", None)
    k = Knowledge(data.queries, data.corpus, data.qrels, corpus_hash=data.corpus.content_hash)
    o = OracleLLM("oracle", k, task="plugin-tiny")
    texts = [data.corpus[d].full_text for d in ("d1", "d3", "d2")]  # relevant d2 is third
    prompt = build_prompt(data.queries["q1"], texts)
    asked = Request(messages=as_messages(prompt), ask=pick_ask(data.queries["q1"], texts))
    assert o.generate(asked).text == "3"
    assert o.counts["pick"] == 1 and "plugin-pick" in o.describe()["sees"]["systems"]


def test_a_run_with_the_oracle_answers_the_plugin_and_the_site_draws_its_plot(
    tmp_path: Path,
) -> None:
    r = _harness(
        "run", "--system", "plugin-overlap>plugin-pick", "--task", "plugin-tiny",
        "--llm", "oracle", "--results", str(tmp_path / "r"), "--device", "cpu", "--json",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    meta = json.loads((Path(json.loads(r.stdout)["result_dir"]) / "metadata.json").read_text())
    stage = meta["stages"][-1]
    assert stage["kind"] == "oracle" and stage["parameters"]["llm"]["answers"] == {"pick": 2}
    site = tmp_path / "site"
    b = _harness("leaderboard", "build", "--results", str(tmp_path / "r"), "--out", str(site))
    assert b.returncode == 0, b.stderr
    html = (site / "plots.html").read_text()
    assert 'data-target="plugin-pick"' in html and "Test plugin: picks" in html


# ---------------------------------------------------------------- a BEIR-layout task, declared
def _beir_folder(data: Path) -> None:
    folder = data / "plugin-beir"
    (folder / "qrels").mkdir(parents=True)
    docs = [("d1", "", "apples and pears"), ("d2", "green", "apples"), ("d3", "", "blue sky")]
    (folder / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": d, "title": t, "text": x}) + "\n" for d, t, x in docs)
    )
    queries = {"q1": "green apples", "q2": "sky", "q3": "an unjudged query"}
    (folder / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": q, "text": t}) + "\n" for q, t in queries.items())
    )
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td2\t1\nq2\td1\t1\n")


def test_a_beir_layout_task_is_one_short_declaration_and_runs_with_a_system_whose_plot_the_site_draws(
    tmp_path: Path,
) -> None:
    assert len((PKG / "harness_test_plugin" / "beir.py").read_text().splitlines()) <= 15
    _beir_folder(tmp_path / "data")
    r = _harness(
        "run", "--system", "plugin-overlap>plugin-pick", "--task", "plugin-beir", "--llm", "oracle",
        "--data-dir", str(tmp_path / "data"), "--results", str(tmp_path / "r"), "--device", "cpu",
        "--json",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    # The unjudged q3 is dropped (BEIR's reader). q1: d2 ("green apples", 2 words) above d1 and
    # relevant -> nDCG 1; q2: only d3 shares "sky", the relevant d1 is missing -> 0.
    assert out["n_queries"] == 2 and out["metrics"]["ndcg@10"] == 0.5
    assert {"recall@1000", "map@100", "mrr@10"} <= set(out["metrics"])  # the kind's BEIR set
    site = tmp_path / "site"
    b = _harness("leaderboard", "build", "--results", str(tmp_path / "r"), "--out", str(site))
    assert b.returncode == 0, b.stderr
    html = (site / "plots.html").read_text()
    assert "Test plugin: picks" in html
    head = 'class="vl-spec" data-target="plugin-pick">'
    spec = json.loads(html.split(head, 1)[1].split("</script>", 1)[0])
    assert spec["data"]["values"] == [  # the system's own plot, with a bar for the plugin's task
        {"score": 0.5, "system": out["system"], "task": "plugin-beir"}
    ]
