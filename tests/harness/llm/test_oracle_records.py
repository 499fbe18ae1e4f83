"""Oracle records say what the oracle saw, and its answer cache forgets what it no longer knows.

A tree-informed LATTICE oracle is a different bound from a prompt-only one, so its name says
``sees=tree``; every oracle result's metadata names the qrels (file and hash), the tree files,
the noise model and each asking system's own rule (the judge's clipping to 0-3); the answer
cache is keyed by the qrels' content and, for prompts that show tree nodes, the tree files'.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ir_harness.data.model import Corpus, Document
from ir_harness.llm.oracle.backend import OracleLLM
from ir_harness.llm.oracle.knowledge import Knowledge
from ir_harness.llm.oracle.spec import parse_oracle
from ir_harness.llm.session import LLMSession
from ir_harness.run.context import RunContext

if TYPE_CHECKING:
    from pathlib import Path

DOCS = {
    "d1": "The Eiffel Tower is in Paris and was finished in 1889 for the world fair.",
    "d2": "Paris is the capital of France; the tower there is made of wrought iron.",
    "d3": "Bananas are rich in potassium and grow in tropical climates around the world.",
    "d4": "The Eiffel Tower is 330 metres tall since a new antenna was added in 2022.",
}
QUERY = "how tall is the eiffel tower"


def _knowledge(qrels: dict[str, dict[str, int]], cache_dir: Path | None = None) -> Knowledge:
    corpus = Corpus(Document(doc_id=d, text=t) for d, t in DOCS.items())
    return Knowledge(
        queries={"q1": QUERY},
        corpus=corpus,
        qrels=qrels,
        source="mine.qrels",
        corpus_hash=corpus.content_hash,
        cache_dir=cache_dir,
    )


def _ask(o: OracleLLM, ctx: RunContext, prompt: Any, ask: Any) -> str:
    with LLMSession(o, ctx, cache=True) as s:
        return s.complete(prompt, ask=ask).text


def test_lattice_oracle_name_says_it_sees_the_tree() -> None:
    from ir_harness.run.pipeline import build_pipeline

    lat = build_pipeline("lattice", {"llm": "oracle[noise=0.5]"}).label
    assert lat == "lattice[llm=oracle[noise=0.5,seed=0,sees=tree]]"
    assert (
        parse_oracle("oracle[noise=0.5,seed=0,sees=tree]").name
        == "oracle[noise=0.5,seed=0,sees=tree]"
    )
    # prompt-only systems keep their names (existing results stay where they are)
    assert build_pipeline("bm25>rankgpt", {"llm": "oracle"}).label == (
        "bm25>rankgpt[llm=oracle[noise=0,seed=0]]"
    )
    assert build_pipeline("lattice", {"llm": "gguf:x"}).label == "lattice[llm=gguf:x]"


def test_metadata_names_qrels_noise_model_and_the_judges_clipping() -> None:
    from ir_harness.systems.judge import build_prompt, judge_ask

    k = _knowledge({"q1": {"d4": 3}})
    o = OracleLLM("oracle[noise=2,seed=1]", k, task="tiny")
    o.answer(
        [{"role": "user", "content": build_prompt(QUERY, DOCS["d4"])}], judge_ask(QUERY, DOCS["d4"])
    )
    sees = o.describe()["sees"]
    assert sees["qrels"] == {"source": "mine.qrels", "sha256": k.qrels_hash}
    assert "N(0, 2^2)" in sees["noise_model"] and "seed=1" in sees["noise_model"]
    assert "clipped to 0-3" in sees["systems"]["judge"]
    assert "groups" not in sees  # no tree was read


def test_changed_qrels_invalidate_cached_answers(tmp_path: Path) -> None:
    from ir_harness.systems.judge import build_prompt, judge_ask

    ctx = RunContext(cache_dir=tmp_path)
    p, a = build_prompt(QUERY, DOCS["d1"]), judge_ask(QUERY, DOCS["d1"])
    first = OracleLLM("oracle", _knowledge({"q1": {"d1": 3}}), task="tiny")
    assert _ask(first, ctx, p, a) == "3"
    again = OracleLLM("oracle", _knowledge({"q1": {"d1": 3}}), task="tiny")
    assert _ask(again, ctx, p, a) == "3" and ctx.stats["llm_cache_hits"] == 1  # same knowledge
    edited = OracleLLM("oracle", _knowledge({"q1": {"d1": 0}}), task="tiny")
    assert edited.fingerprint != first.fingerprint
    assert _ask(edited, ctx, p, a) == "0"  # not the cached "3"


def test_rebuilt_tree_invalidates_cached_answers(tmp_path: Path) -> None:
    from ir_harness.systems.lattice import prompts as lp
    from ir_harness.systems.lattice.tree import Node, StoredTree

    corpus_hash = Corpus(Document(doc_id=d, text=t) for d, t in DOCS.items()).content_hash
    tree = tmp_path / "lattice" / "trees" / f"{corpus_hash[:16]}-abc.json"
    a, b = "Group alpha of documents.", "Group beta of documents."

    def build(first: list[str], second: list[str]) -> None:
        nodes = [Node("0", a, [Node(d, DOCS[d]) for d in first])]
        nodes.append(Node("1", b, [Node(d, DOCS[d]) for d in second]))
        StoredTree(Node("root", "", nodes), corpus_hash).save(tree)

    p = lp.traversal_prompt(QUERY, [a, b], leaf=False, definition=lp.STACKEXCHANGE, pid=3)
    slate = lp.traversal_ask(QUERY, [a, b], leaf=False)
    ctx = RunContext(cache_dir=tmp_path)
    build(["d4", "d1"], ["d2", "d3"])  # the answer lives under alpha
    o = OracleLLM("oracle", _knowledge({"q1": {"d4": 3}}, tmp_path), task="tiny")
    assert lp.parse_scores(_ask(o, ctx, p, slate), 2) == {0: 1.0, 1: 0.0}
    sees = o.describe()["sees"]
    assert (
        list(sees["groups"]["files"]) == [str(tree)]
        and "best qrels grade" in sees["groups"]["rule"]
    )
    assert "not from its summary text" in sees["systems"]["lattice"]
    build(["d2", "d3"], ["d4", "d1"])  # rebuilt: the same descriptions, other members
    assert lp.parse_scores(_ask(o, ctx, p, slate), 2) == {0: 0.0, 1: 1.0}
    assert ctx.stats.get("llm_cache_hits", 0) == 0


def test_prompts_without_tree_nodes_keep_their_cache_when_a_tree_appears(tmp_path: Path) -> None:
    from ir_harness.systems.lattice.tree import Node, StoredTree
    from ir_harness.systems.rankgpt import build_messages, listwise_ask

    k = _knowledge({"q1": {"d4": 3}}, tmp_path)
    ctx = RunContext(cache_dir=tmp_path)
    o = OracleLLM("oracle", k, task="tiny")
    msgs = build_messages(QUERY, [DOCS["d1"], DOCS["d4"]])
    lw = listwise_ask("rankgpt", QUERY, [DOCS["d1"], DOCS["d4"]], 300)
    with LLMSession(o, ctx, cache=True) as s:
        first = s.complete(msgs, ask=lw).text
        root = Node("root", "", [Node("0", "All.", [Node(d, t) for d, t in DOCS.items()])])
        StoredTree(root, k.corpus_hash).save(
            tmp_path / "lattice" / "trees" / f"{k.corpus_hash[:16]}-x.json"
        )
        assert s.complete(msgs, ask=lw).text == first
    assert ctx.stats["llm_cache_hits"] == 1


def test_served_oracle_results_state_the_rules_the_client_can_know(tmp_path: Path) -> None:
    from ir_harness.llm.handle import LLMHandle
    from ir_harness.llm.oracle.server import serve_in_thread
    from ir_harness.systems.judge import build_prompt, judge_ask

    k = _knowledge({"q1": {"d4": 3}})
    srv = serve_in_thread(lambda model: OracleLLM(model, k, task="tiny"))
    try:
        h = LLMHandle(f"openai:oracle[noise=1,seed=2]@{srv.url}")
        ctx = RunContext(cache_dir=tmp_path)
        h.get(ctx)  # builds the client; nothing is sent yet
        assert "systems" not in h.meta_fields()["llm"]["sees"]
        with LLMSession(h.get(ctx), ctx, cache=False) as s:
            s.complete(build_prompt(QUERY, DOCS["d4"]), ask=judge_ask(QUERY, DOCS["d4"]))
    finally:
        srv.shutdown()
        srv.server_close()
    sees = h.meta_fields()["llm"]["sees"]
    assert "N(0, 1^2)" in sees["noise_model"] and "seed=2" in sees["noise_model"]
    assert "clipped to 0-3" in sees["systems"]["judge"]  # what the asks it sent disclosed
    assert sees["qrels"]["sha256"] is None and "not visible" in sees["served"]
