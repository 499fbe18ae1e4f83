"""The oracle LLM: spec and labels, ask-to-passage matching for every system's real calls,
hand-checked answers read back through the systems' own parsers, seeded noise, HTTP round trip.
The oracle answers from the ask each call carries and never parses the prompt back."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import pytest

from ir_harness.data.model import Corpus, Document
from ir_harness.errors import ConfigError
from ir_harness.llm.base import Request, as_messages
from ir_harness.llm.oracle.backend import OracleError, OracleLLM
from ir_harness.llm.oracle.knowledge import Knowledge
from ir_harness.llm.oracle.spec import is_oracle, label_value, parse_oracle

if TYPE_CHECKING:
    from ir_harness.llm.ask import Ask

DOCS = {
    "d1": "The Eiffel Tower is in Paris and was finished in 1889 for the world fair.",
    "d2": "Paris is the capital of France; the tower there is made of wrought iron.",
    "d3": "Bananas are rich in potassium and grow in tropical climates around the world.",
    "d4": "The Eiffel Tower is 330 metres tall since a new antenna was added in 2022.",
}
QUERIES = {"q1": "how tall is the eiffel tower", "q2": "banana nutrition"}
QRELS = {"q1": {"d4": 3, "d1": 1, "d2": 0}, "q2": {"d3": 2}}


def knowledge(tree_files: list | None = None) -> Knowledge:
    corpus = Corpus(Document(doc_id=d, text=t) for d, t in DOCS.items())
    return Knowledge(
        queries=dict(QUERIES),
        corpus=corpus,
        qrels={q: dict(r) for q, r in QRELS.items()},
        corpus_hash=corpus.content_hash,
        tree_files=tree_files or [],
    )


def oracle(spec: str = "oracle", k: Knowledge | None = None) -> OracleLLM:
    return OracleLLM(spec, k or knowledge(), task="tiny")


def ask(o: OracleLLM, prompt: str | list, what: Ask | None) -> str:
    return o.generate(Request(messages=as_messages(prompt), ask=what)).text


def judged(o: OracleLLM, query: str, passage: str, max_words: int | None = None) -> str:
    """The oracle's answer to the judge's prompt for (query, passage), with the judge's ask."""
    from ir_harness.systems.judge import build_prompt, judge_ask

    p = build_prompt(query, passage, max_words)
    return ask(o, p, judge_ask(query, passage, max_words))


# ---------------------------------------------------------------- spec and labels
def test_spec_forms_share_one_canonical_label() -> None:
    assert parse_oracle("oracle").name == "oracle[noise=0,seed=0]"
    assert parse_oracle("oracle:noise=0.5,seed=2").name == "oracle[noise=0.5,seed=2]"
    assert parse_oracle("oracle[noise=1,flip=0.1]").name == "oracle[noise=1,seed=0,flip=0.1]"
    assert label_value("llm", "openai:oracle[noise=0.25]@http://127.0.0.1:9/v1") == (
        "oracle[noise=0.25,seed=0]"
    )
    assert label_value("llm", "gguf:qwen") == "gguf:qwen"
    assert is_oracle("openai:oracle@http://x/v1") and not is_oracle("openai:gpt-4o@http://x/v1")


@pytest.mark.parametrize(
    "bad", ["oracle:noise=-1", "oracle:flip=2", "oracle:sigma=1", "oracle[seed=x]", "oracles"]
)
def test_bad_specs_name_the_problem(bad: str) -> None:
    with pytest.raises(ConfigError, match="oracle"):
        parse_oracle(bad)


def test_oracle_label_and_kind_in_results() -> None:
    from ir_harness.run.pipeline import build_pipeline

    pipe = build_pipeline("bm25>rankgpt", {"llm": "openai:oracle[noise=2]@http://127.0.0.1:1/v1"})
    assert pipe.label == "bm25>rankgpt[llm=oracle[noise=2,seed=0]]"
    assert pipe.stages[1].meta().kind == "oracle"
    assert build_pipeline("rankgpt", {"llm": "gguf:x"}).stages[0].meta().kind == "llm"


# ---------------------------------------------------------------- prompt -> passages, per system
def test_judge_prompt_matches_query_and_passage() -> None:
    from ir_harness.systems.judge import build_prompt, judge_ask, parse_grade

    case = judge_ask(QUERIES["q1"], DOCS["d4"], max_words=5)  # truncated: matched as a prefix
    assert case.kind == "judge" and case.candidates[0] in build_prompt(QUERIES["q1"], DOCS["d4"], 5)
    k = knowledge()
    assert k.find_query(case.query) == ["q1"] and k.find_passage(case.candidates[0]) == ["d4"]
    assert parse_grade(judged(oracle(), QUERIES["q1"], DOCS["d4"], 5)) == 3
    assert parse_grade(judged(oracle(), QUERIES["q1"], DOCS["d3"])) == 0


@pytest.mark.parametrize("system", ["rankgpt", "dear"])
def test_listwise_prompts_are_answered_with_the_ideal_order(system: str) -> None:
    from ir_harness.systems.dear.listwise import after_think
    from ir_harness.systems.dear.listwise import build_messages as dear_messages
    from ir_harness.systems.rankgpt import build_messages, listwise_ask, parse_permutation

    builder = dear_messages if system == "dear" else build_messages
    ids = ["d3", "d1", "d2", "d4"]
    msgs = builder(QUERIES["q1"], [DOCS[d] for d in ids], max_words=8)
    case = listwise_ask(system, QUERIES["q1"], [DOCS[d] for d in ids], max_words=8)
    assert case.kind == "listwise" and len(case.candidates) == 4
    assert [knowledge().find_passage(p) for p in case.candidates] == [[d] for d in ids]
    perm, repaired = parse_permutation(after_think(ask(oracle(), msgs, case)), 4)
    assert not repaired
    assert [ids[i] for i in perm] == ["d4", "d1", "d3", "d2"]  # 3, 1, then ties in input order


def test_lattice_slates_leaf_and_internal(tmp_path) -> None:
    from ir_harness.systems.lattice import prompts as lp
    from ir_harness.systems.lattice.tree import Node, StoredTree

    tower = Node(
        "0", "Towers and monuments in Paris.", [Node("d1", DOCS["d1"]), Node("d4", DOCS["d4"])]
    )
    rest = Node(
        "1", "Food, fruit and a capital city.", [Node("d2", DOCS["d2"]), Node("d3", DOCS["d3"])]
    )
    tree = tmp_path / "tree.json"
    StoredTree(Node("root", "", [tower, rest])).save(tree)
    o = oracle(k=knowledge([tree]))
    # internal slate: each node scored by the best grade below it (3/3 and 1/3 of 100)
    p = lp.traversal_prompt(QUERIES["q1"], [tower.desc, rest.desc], leaf=False,
                            definition=lp.STACKEXCHANGE, pid=7)  # fmt: skip
    case = lp.traversal_ask(QUERIES["q1"], [tower.desc, rest.desc], leaf=False)
    assert case.kind == "lattice" and case.lookup[0] == "group"
    assert lp.parse_scores(ask(o, p, case), 2) == {0: 1.0, 1: 0.0}
    # leaf slate with truncated descriptions and the no-reasoning variant
    descs = [DOCS["d1"], DOCS["d4"], DOCS["d2"], "No Description."]
    p = lp.traversal_prompt(QUERIES["q1"], descs, leaf=True, definition=lp.STACKEXCHANGE, pid=1,
                            reasoning=False, max_desc_chars=30)  # fmt: skip
    ans = ask(o, p, lp.traversal_ask(QUERIES["q1"], descs, leaf=True, reasoning=False,
                                     max_desc_chars=30))  # fmt: skip
    assert "reasoning" not in json.loads(ans)
    assert lp.parse_scores(ans, 4) == {0: pytest.approx(0.33), 1: 1.0, 2: 0.0, 3: 0.0}
    # the final rerank: ids of the top k
    descs = [DOCS["d2"], DOCS["d4"], DOCS["d1"]]
    p = lp.rerank_prompt(QUERIES["q1"], descs, 2, None)
    assert lp.parse_ranking(ask(o, p, lp.rerank_ask(QUERIES["q1"], descs, 2, None)), 3) == [1, 2]


def test_tree_building_prompts_get_descriptions() -> None:
    from ir_harness.llm.parse import extract_json
    from ir_harness.systems.lattice import prompts as lp

    descs = [DOCS["d1"], DOCS["d2"]]
    s = ask(oracle(), lp.cluster_summary_prompt(descs), lp.cluster_summary_ask(descs))
    assert s.startswith("The Eiffel Tower is in Paris")
    got = extract_json(
        ask(oracle(), lp.doc_levels_prompt(DOCS["d3"], 3), lp.doc_levels_ask(DOCS["d3"], 3))
    )
    assert len(got["summaries"]) == 3 and got["summaries"][0] == "Bananas are rich"


def test_calls_without_an_ask_and_unknown_queries_fail_loudly() -> None:
    from ir_harness.systems.judge import build_prompt

    o = oracle()
    with pytest.raises(OracleError, match="carries no ask"):
        ask(o, "Write a poem about retrieval.", None)
    # a prompt the oracle would once have read back is refused too: it reads asks, not prompts
    with pytest.raises(OracleError, match=r"carries no ask.*You are a search quality rater"):
        ask(o, build_prompt(QUERIES["q1"], DOCS["d4"]), None)
    assert o.describe()["answers"]["calls_without_ask"] == 2
    with pytest.raises(OracleError, match="judge's 'judge' query .* is not a query"):
        judged(o, "who won the 1998 world cup", DOCS["d1"])
    # an unmatched passage is graded 0 and counted, so a run shows the oracle was blind to it
    assert judged(o, QUERIES["q1"], "Some text the corpus does not hold.") == "0"
    assert o.describe()["answers"]["unmatched_passages"] == 1


def test_the_answer_comes_from_the_ask_whatever_the_prompt_says() -> None:
    """A reworded prompt (or one naming other texts) gets the same answer: nothing is parsed."""
    from ir_harness.systems.judge import build_prompt, judge_ask
    from ir_harness.systems.rankgpt import build_messages, listwise_ask

    o = oracle()
    a = judge_ask(QUERIES["q1"], DOCS["d4"])
    for prompt in (
        build_prompt(QUERIES["q1"], DOCS["d4"]),
        "Grade this pair, please.",
        build_prompt(QUERIES["q2"], DOCS["d3"]),  # the prompt shows another pair entirely
    ):
        assert ask(o, prompt, a) == "3"
    ids = ["d3", "d1", "d4"]
    lw = listwise_ask("rankgpt", QUERIES["q1"], [DOCS[d] for d in ids], 300)
    reworded = [{"role": "user", "content": "Order these for me: " + " | ".join(ids)}]
    assert ask(o, reworded, lw) == ask(o, build_messages(QUERIES["q1"], [DOCS["d2"]]), lw)
    assert ask(o, reworded, lw) == "[3] > [2] > [1]"


# ---------------------------------------------------------------- noise
def _listwise_answers(spec: str) -> list[str]:
    from ir_harness.systems.rankgpt import build_messages, listwise_ask

    o = oracle(spec)
    return [
        ask(
            o,
            build_messages(QUERIES["q1"], [DOCS[d] for d in perm]),
            listwise_ask("rankgpt", QUERIES["q1"], [DOCS[d] for d in perm], 300),
        )
        for perm in (["d1", "d2", "d3", "d4"], ["d4", "d3", "d2", "d1"], ["d2", "d4", "d1", "d3"])
    ]


def test_noise_is_deterministic_by_seed() -> None:
    assert _listwise_answers("oracle:noise=1,seed=3") == _listwise_answers("oracle:noise=1,seed=3")
    many = {tuple(_listwise_answers(f"oracle:noise=2,seed={s}")) for s in range(6)}
    assert len(many) > 1  # seeds give different draws
    assert _listwise_answers("oracle:noise=0,seed=1") == _listwise_answers("oracle:noise=0,seed=9")


def test_flip_gives_random_answers() -> None:
    o = oracle("oracle:flip=1,seed=0")
    assert len({judged(o, QUERIES["q1"], DOCS["d4"] + " " * i) for i in range(40)}) > 1
    assert o.describe()["answers"]["flipped"] == 40


def test_judge_kappa_falls_monotonically_with_noise() -> None:
    """Over 3 seeds, kappa against the qrels is 1 at noise 0 and falls at every step."""
    from ir_harness.systems.judge import parse_grade
    from ir_harness.tasks.llmjudge import cohen_kappa

    rng = np.random.default_rng(0)
    n = 300
    docs = {
        f"p{i}": f"passage {i} says {' '.join(rng.choice(list('abcdefgh'), 12))}" for i in range(n)
    }
    qrels = {"q": {d: int(rng.integers(0, 4)) for d in docs}}
    corpus = Corpus(Document(doc_id=d, text=t) for d, t in docs.items())
    k = Knowledge({"q": "a query"}, corpus, qrels, corpus_hash=corpus.content_hash)
    human = np.array([qrels["q"][d] for d in docs])
    for seed in range(3):
        kappas = []
        for sigma in (0, 0.25, 0.5, 1, 2):
            o = OracleLLM(f"oracle:noise={sigma},seed={seed}", k)
            got = np.array([parse_grade(judged(o, "a query", t)) for t in docs.values()])
            kappas.append(cohen_kappa(human, got))
        assert kappas[0] == 1.0
        assert all(a > b for a, b in zip(kappas, kappas[1:])), kappas


# ---------------------------------------------------------------- HTTP round trip
def test_http_round_trip_matches_in_process(tmp_path) -> None:
    from ir_harness.llm import LLMSession, make_llm
    from ir_harness.llm.oracle.server import serve_in_thread
    from ir_harness.run.context import RunContext
    from ir_harness.systems.rankgpt import build_messages, listwise_ask

    k = knowledge()
    srv = serve_in_thread(lambda model: OracleLLM(model, k, task="tiny"))
    try:
        client = make_llm(f"openai:oracle[noise=1,seed=4]@{srv.url}", max_retries=0)
        ctx = RunContext(cache_dir=tmp_path)
        slates = [[DOCS[d] for d in p] for p in (["d1", "d4"], ["d2", "d1", "d4"])]
        msgs = [build_messages(QUERIES["q1"], p) for p in slates]
        asks = [listwise_ask("rankgpt", QUERIES["q1"], p, 300) for p in slates]
        with LLMSession(client, ctx, cache=False) as s:
            got = [c.text for c in s.complete_many(msgs, asks=asks)]
        direct = OracleLLM("oracle[noise=1,seed=4]", k)
        assert got == [ask(direct, m, a) for m, a in zip(msgs, asks)]
        assert ctx.stats["llm_calls"] == 2 and ctx.stats["llm_prompt_tokens"] > 0
        from ir_harness.llm.base import LLMError

        with pytest.raises(LLMError, match="HTTP 400.*carries no ask"):
            client.generate(Request(messages=as_messages("hello")))
        bad = Request(messages=as_messages("hello"), ask=asks[0])
        body = client._body(bad, None)  # type: ignore[attr-defined]
        body["harness_ask"]["answer"]["form"] = "poem"
        import httpx

        r = httpx.post(f"{srv.url}/chat/completions", json=body)
        assert r.status_code == 400 and "ask.answer.form" in r.json()["error"]["message"]
    finally:
        srv.shutdown()
        srv.server_close()


# ---------------------------------------------------------------- progress line
class _Tty:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def isatty(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self.parts.append(s)
        return len(s)

    def flush(self) -> None:
        pass


def test_progress_line_only_on_a_terminal_with_progress_on(monkeypatch) -> None:
    import io

    from ir_harness.llm.base import Completion
    from ir_harness.llm.progress import LLMProgress, progress_enabled
    from ir_harness.run.context import RunContext

    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    on, off = RunContext(progress=True), RunContext(progress=False)
    assert progress_enabled(on, _Tty()) and not progress_enabled(off, _Tty())
    assert not progress_enabled(on, io.StringIO())  # piped stderr: no line
    tty = _Tty()
    with LLMProgress("rankgpt", on, 2, 18, stream=tty) as p:
        for _ in range(3):
            p.on_call(Completion("[1] > [2]", prompt_tokens=100, completion_tokens=5))
        p.on_call(Completion("x", cached=True))
        p.done()
    out = "".join(tty.parts)
    assert "rankgpt" in out and "1/2" in out and "calls 3/18 (cached 1)" in out
    quiet = LLMProgress("rankgpt", off, 2, 18, stream=tty)
    assert not quiet.enabled


def test_systems_report_calls_to_the_progress_line(monkeypatch) -> None:
    from ir_harness.run.context import RunContext
    from ir_harness.systems.rankgpt import RankGPT

    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    tty = _Tty()
    monkeypatch.setattr("sys.stderr", tty)
    k = knowledge()
    ctx = RunContext(
        progress=True, cache_dir=__import__("pathlib").Path("/nonexistent"), llm_cache=False
    )
    r = RankGPT(llm=OracleLLM("oracle", k), window=2, step=1, depth=4)
    run = r.rerank(QUERIES, k.corpus, {"q1": {d: 1.0 for d in DOCS}}, ctx)
    assert max(run["q1"], key=run["q1"].get) == "d4"
    assert "calls 3/3" in "".join(tty.parts)


def test_server_sends_responses_without_nagle_delay() -> None:
    """Headers and body are two writes: with Nagle on, each keep-alive call waited ~40 ms."""
    from ir_harness.llm.oracle.server import _Handler

    assert _Handler.disable_nagle_algorithm is True
    assert _Handler.protocol_version == "HTTP/1.1"


def test_response_cache_commits_without_fsync_per_response(tmp_path) -> None:
    """WAL + synchronous=NORMAL: durable across a killed process, no fsync per stored answer."""
    from ir_harness.cache.llm_responses import ResponseCache

    c = ResponseCache(tmp_path / "r.sqlite")
    assert c._db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert c._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    c.close()


def test_qrels_option_replaces_the_tasks_judgements(tmp_path) -> None:
    from ir_harness.llm.oracle.backend import make_oracle
    from ir_harness.registry import TASKS
    from tests.harness.fakes import TinyTask

    TASKS.register("tiny", TinyTask)
    f = tmp_path / "mine.qrels"
    f.write_text("q1 0 d3 3\n")  # the task's own qrels grade d3 0 for q1
    o = make_oracle(f"oracle[qrels={f}]", task="tiny")
    assert o.model == "oracle[noise=0,seed=0,qrels=mine.qrels]"
    assert judged(o, "red apples", "blue sky") == "3"
    assert judged(o, "red apples", "red apples and pears") == "0"
    with pytest.raises(ConfigError, match="needs a task"):
        make_oracle("oracle")
