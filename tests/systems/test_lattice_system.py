"""LATTICE end to end with a deterministic mock LLM: tree building, search, excluded ids, rerank,
accounting, the runner (BRIGHT official schema) and the build-tree CLI."""

from __future__ import annotations

import json
import pickle
import re
import sys
import types
from pathlib import Path

import pytest

from ir_harness.data.model import Corpus, Document
from ir_harness.errors import ConfigError
from ir_harness.llm.testing import MockLLM
from ir_harness.run.context import RunContext
from ir_harness.systems.lattice.build import make_tree
from ir_harness.systems.lattice.cluster import group, hash_embed
from ir_harness.systems.lattice.system import Lattice
from ir_harness.systems.lattice.tree import FlatTree, StoredTree, tree_stats

TOPICS = {
    "moth": "Moths fly towards lamps because artificial light disrupts their navigation.",
    "python": "Python lists support append, pop and slicing for sequence manipulation.",
    "volcano": "Volcanoes erupt when magma pressure breaks through the crust of the earth.",
    "coffee": "Coffee beans are roasted to develop aroma and caffeine rich flavour.",
}
DOCS = [
    Document(f"{t}-{i}", f"{text} Detail {i} about {t} number {i}.")
    for t, text in TOPICS.items()
    for i in range(3)
]
QUERIES = {"q1": "why do moths fly towards lamps light", "q2": "magma volcano eruption crust"}


def ctx(tmp: Path) -> RunContext:
    return RunContext(cache_dir=tmp / "cache", progress=False)


def _query_and_candidates(prompt: str) -> tuple[set[str], list[str]]:
    q = re.search(r"## QUERY\n\n(.*?)\n\n## CANDIDATES", prompt, re.S)
    query = set(re.findall(r"[a-z]+", (q.group(1) if q else prompt).lower()))
    cands = re.findall(r"^\[(\d+)\]\. (.*)$", prompt, re.M)
    return query, [c for _, c in cands]


def overlap_llm() -> MockLLM:
    """Scores each candidate by word overlap with the query; summaries are first words."""

    def respond(msgs: list[dict[str, str]]) -> str:
        prompt = msgs[-1]["content"]
        query, cands = _query_and_candidates(prompt)
        if "retrieved for the query" in prompt:  # final rerank: reverse the given order
            q = set(re.findall(r"[a-z]+", prompt.split("\n\n", 1)[0].lower()))
            sc = [len(q & set(re.findall(r"[a-z]+", c.lower()))) for c in cands]
            order = sorted(range(len(cands)), key=lambda i: -sc[i])
            return json.dumps({"reasoning": "r", "ranking": order[:10]})
        if "## QUERY" not in prompt:  # a cluster summary request
            return " ".join(cands[0].split()[:6]) if cands else "group"
        scores = []
        for i, c in enumerate(cands):
            words = set(re.findall(r"[a-z]+", c.lower()))
            scores.append([i, min(100, 20 * len(query & words))])
        ranking = [i for i, _ in sorted(scores, key=lambda x: -x[1])]
        return "Sure! " + json.dumps({"ranking": ranking, "relevance_scores": scores})

    return MockLLM(respond)


def test_group_respects_max_fanout() -> None:
    x = hash_embed([d.text for d in DOCS] * 4)
    groups = group(x, 5)
    assert sorted(i for g in groups for i in g) == list(range(48))
    assert max(len(g) for g in groups) <= 5


@pytest.mark.parametrize("method", ["bottom-up", "top-down"])
def test_builders_cover_corpus_with_bounded_fanout(tmp_path: Path, method: str) -> None:
    corpus = Corpus(DOCS)
    st = make_tree(
        corpus,
        ctx(tmp_path),
        method=method,
        summarizer="extractive",
        embedder="hash",
        max_children=3,
    )
    stats = tree_stats(st.root)
    assert stats["leaves"] == len(DOCS) and stats["max_fanout"] <= 3
    assert sorted(str(n.id) for n in st.root.leaves()) == sorted(corpus.ids())
    assert all(n.desc for n in FlatTree(st.root).nodes)  # every internal node is described
    path = tmp_path / "t.json"
    st.save(path)
    back = StoredTree.load(path)
    assert back.root == st.root and back.corpus_hash == corpus.content_hash
    back.check_corpus(corpus)
    with pytest.raises(ConfigError, match="built for corpus"):
        back.check_corpus(Corpus(DOCS[:-1]))


def test_extractive_summary_is_keywords_plus_medoid_sentence(tmp_path: Path) -> None:
    st = make_tree(
        Corpus(DOCS), ctx(tmp_path), summarizer="extractive", embedder="hash", max_children=3
    )
    descs = [n.desc for n in FlatTree(st.root).nodes if n.child and n is not st.root]
    moth = next(d for d in descs if "Moths fly" in d)
    assert "(keywords:" in moth and "moths" in moth.split("keywords:")[1]


def test_search_end_to_end_with_accounting(tmp_path: Path) -> None:
    c = ctx(tmp_path)
    mock = overlap_llm()
    sys_ = Lattice(
        llm=mock, summarizer="extractive", embedder="hash", max_children=3, beam=2, iterations=4
    )
    sys_.index(Corpus(DOCS), c)
    run = sys_.search(QUERIES, 10, c)
    assert next(iter(sorted(run["q1"], key=run["q1"].get, reverse=True))).startswith("moth")
    assert next(iter(sorted(run["q2"], key=run["q2"].get, reverse=True))).startswith("volcano")
    per_q = c.stats["lattice_per_query"]
    for q in QUERIES:
        assert 1 <= per_q[q]["calls"] <= 2 * 4 and per_q[q]["prompt_tokens"] > 0
    assert c.stats["llm_calls"] == sum(v["calls"] for v in per_q.values()) == len(mock.requests)
    assert mock.requests[0].json_schema is not None  # constrained output requested
    meta = sys_.meta()
    assert meta.kind == "llm" and meta.backbone == "mock" and meta.parameters["beam"] == 2
    assert meta.parameters["tree"]["stats"]["leaves"] == 12
    # the tree was cached: a second system indexes without rebuilding, identical answers cached
    again = Lattice(
        llm=mock, summarizer="extractive", embedder="hash", max_children=3, iterations=4
    )
    again.index(Corpus(DOCS), c)
    assert again._tree_info["source"] == sys_._tree_info["source"]
    n = len(mock.requests)
    assert again.search(QUERIES, 10, c) == run and len(mock.requests) == n


def test_excluded_docs_never_shown_and_rerank_adds_one_call(tmp_path: Path) -> None:
    c = ctx(tmp_path)
    mock = overlap_llm()
    s = Lattice(
        llm=mock,
        summarizer="extractive",
        embedder="hash",
        max_children=3,
        iterations=6,
        rerank=True,
    )
    s.index(Corpus(DOCS), c)
    s.set_excluded({"q1": {"moth-0", "moth-1"}})
    run = s.search({"q1": QUERIES["q1"]}, 10, c)
    prompts = [r.messages[-1]["content"] for r in mock.requests]
    assert not any("Detail 0 about moth" in p or "Detail 1 about moth" in p for p in prompts)
    info = c.stats["lattice_per_query"]["q1"]
    assert info["rerank_calls"] == 1 and info["calls"] <= 2 * 6 + 1
    assert max(run["q1"], key=run["q1"].get) == "moth-2"


def test_llm_summaries_and_options(tmp_path: Path) -> None:
    c = ctx(tmp_path)
    mock = overlap_llm()
    st = make_tree(
        Corpus(DOCS),
        c,
        summarizer="llm",
        llm=Lattice(llm=mock).handle,
        embedder="hash",
        max_children=3,
    )
    assert st.builder["summarizer"]["name"] == "llm" and c.stats["llm_calls"] >= 4
    with pytest.raises(ConfigError):
        Lattice(builder="sideways")
    with pytest.raises(ConfigError):
        Lattice(calibrator="banana")
    with pytest.raises(ConfigError, match="JSON only"):
        StoredTree.load(tmp_path / "tree.pkl")


def _bright_dir(tmp: Path) -> Path:
    rows = [
        {"id": "0", "query": "why do moths fly towards lamps", "reasoning": "", "gold_ids": ["moth-2"],
         "gold_ids_long": ["N/A"], "excluded_ids": ["moth-0"]},
        {"id": "1", "query": "volcano magma eruption", "reasoning": "", "gold_ids": ["volcano-1"],
         "gold_ids_long": ["N/A"], "excluded_ids": ["N/A"]},
    ]  # fmt: skip
    for sub, recs in (
        ("examples", rows),
        ("documents", [{"id": d.doc_id, "content": d.text} for d in DOCS]),
    ):
        p = tmp / "bright" / sub / "pony.jsonl"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return tmp


def test_runner_on_bright_schema_with_excluded_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ir_harness
    import ir_harness.llm

    mock = overlap_llm()
    # options travel as strings (as from --llm); the spec resolves to the mock
    monkeypatch.setattr(ir_harness.llm, "make_llm", lambda spec, **kw: mock)
    out = ir_harness.evaluate(
        "lattice",
        "bright/pony",
        data_dir=_bright_dir(tmp_path),
        results=tmp_path / "results",
        cache_dir=tmp_path / "cache",
        progress=False,
        options={
            "llm": "mock:overlap",
            "summarizer": "extractive",
            "embedder": "hash",
            "max_children": 3,
            "iterations": 5,
            "relevance": "pony",
        },
    )
    prompts = [r.messages[-1]["content"] for r in mock.requests]
    excluded_text = "Detail 0 about moth"
    assert not any(excluded_text in p for p in prompts if "why do moths" in p)
    assert any(excluded_text in p for p in prompts)  # visible to the query that may see it
    assert out.main_score > 0.5
    stats = out.metadata.stats
    assert set(stats["lattice_per_query"]) == {"0", "1"} and stats["llm_calls"] > 0
    run_text = (out.path / "run.trec").read_text()
    assert "moth-0" not in [ln.split()[2] for ln in run_text.splitlines() if ln.startswith("0 ")]


def test_build_tree_cli_and_trusted_pickle_conversion(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ir_harness.cli import app

    data = _bright_dir(tmp_path)
    cli = CliRunner()
    res = cli.invoke(
        app,
        ["build-tree", "--task", "bright/pony", "--data-dir", str(data), "--out", str(tmp_path / "t.json"),
         "-o", "summarizer=extractive", "-o", "embedder=hash", "-o", "max_children=3", "--json"],
        env={"HARNESS_CACHE_DIR": str(tmp_path / "cache")},
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output.strip().splitlines()[-1])
    assert payload["stats"]["leaves"] == 12 and payload["stats"]["max_fanout"] <= 3
    assert StoredTree.load(tmp_path / "t.json").corpus_hash == payload["corpus_hash"]

    # a released-style pickle: SemanticNode objects from the authors' module, integer leaf ids
    mod = types.ModuleType("tree_objects")

    class SemanticNode:
        def __init__(self, id=None, desc="", child=()):  # noqa: A002
            self.id, self.desc, self.child = id, desc, list(child)

    SemanticNode.__module__ = "tree_objects"
    SemanticNode.__qualname__ = "SemanticNode"
    mod.SemanticNode = SemanticNode  # type: ignore[attr-defined]
    sys.modules["tree_objects"] = mod
    try:
        leaves = [SemanticNode(i, DOCS[i].text) for i in range(12)]
        root = SemanticNode(
            "root",
            "",
            [SemanticNode("g", "group", leaves[:6]), SemanticNode("h", "group", leaves[6:])],
        )
        (tmp_path / "tree.pkl").write_bytes(pickle.dumps(root))
    finally:
        del sys.modules["tree_objects"]
    args = ["build-tree", "--from-pickle", str(tmp_path / "tree.pkl"), "--out", str(tmp_path / "c.json"),
            "--task", "bright/pony", "--data-dir", str(data), "--json"]  # fmt: skip
    refused = cli.invoke(app, args)
    assert refused.exit_code != 0 and "--trust-pickle" in str(refused.exception or refused.output)
    ok = cli.invoke(app, [*args, "--trust-pickle"])
    assert ok.exit_code == 0, ok.output
    conv = StoredTree.load(tmp_path / "c.json")
    assert FlatTree(conv.root, [d.doc_id for d in DOCS]).doc_id[2] == DOCS[0].doc_id
    # a pickle calling anything else is refused even when trusted
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps(Path("x")))
    from ir_harness.systems.lattice.convert import load_pickled_tree

    with pytest.raises(ConfigError, match="refusing"):
        load_pickled_tree(tmp_path / "evil.pkl", trust=True)
