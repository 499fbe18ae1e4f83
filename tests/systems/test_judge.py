"""LLM judge: grade parsing, failure accounting, the llmjudge task protocol, pointwise reranking."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ir_harness.data.model import Corpus, Document
from ir_harness.llm.testing import MockLLM
from ir_harness.protocols import RelevanceJudge
from ir_harness.run.context import RunContext
from ir_harness.systems.judge import LLMJudge, build_prompt, parse_grade
from ir_harness.testing import check_system_plugin

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("text", "grade"),
    [
        ("2", 2),
        ("Score: 3", 3),
        ("**Score:** 1", 1),
        ("The passage is related. Score: 0", 0),
        ("I would rate this a 2.", 2),
        ("10", None),
        ("2.5", None),
        ("relevant", None),
        ("", None),
    ],
)
def test_parse_grade(text: str, grade: int | None) -> None:
    assert parse_grade(text) == grade


def test_prompt_is_the_reference_prompt() -> None:
    p = build_prompt("how tall is k2", "K2 is 8,611 m high.")
    assert p.startswith("You are a search quality rater")
    assert "A person has typed [how tall is k2] into a search engine." in p
    assert "K2 is 8,611 m high." in p
    assert "3 = Perfectly relevant" in p and p.rstrip().endswith("Score:")


def _answer(messages: list[dict[str, str]]) -> str:
    prompt = messages[-1]["content"]
    text = prompt[prompt.index("BEGIN Passage") : prompt.index("END Passage")]
    if "gibberish" in text:
        return "I am not sure what to say"
    return "Score: 3" if "answer" in text else "0"


def test_judge_task_protocol_counts_failures_as_zero(tmp_path: Path) -> None:
    queries = {"q1": "question one", "q2": "question two"}
    corpus = Corpus(
        [
            Document("a", "the answer is here"),
            Document("b", "nothing useful"),
            Document("c", "gibberish"),
        ]
    )
    mock = MockLLM(_answer)
    ctx = RunContext(cache_dir=tmp_path)
    grades = LLMJudge(llm=mock).judge(queries, corpus, [("q1", "a"), ("q1", "b"), ("q2", "c")], ctx)
    assert grades == {("q1", "a"): 3, ("q1", "b"): 0, ("q2", "c"): 0}
    assert ctx.stats["judge_parse_failures"] == 1 and ctx.stats["judge_pairs"] == 3
    assert ctx.stats["llm_calls"] == 3


def test_judge_items_and_cache(tmp_path: Path) -> None:
    mock = MockLLM(_answer)
    judge = LLMJudge(llm=mock)
    items = [("q1", "query", "d1", "an answer"), ("q1", "query", "d2", "no")]
    assert judge.judge_items(items, RunContext(cache_dir=tmp_path)) == {
        ("q1", "d1"): 3,
        ("q1", "d2"): 0,
    }
    ctx = RunContext(cache_dir=tmp_path)
    judge.judge_items(items, ctx)
    assert len(mock.requests) == 2 and ctx.stats["llm_cache_hits"] == 2


def test_rerank_sorts_by_grade_and_keeps_order_on_ties(tmp_path: Path) -> None:
    corpus = Corpus(
        [
            Document("x", "no"),
            Document("y", "answer"),
            Document("z", "nope"),
            Document("w", "answer"),
        ]
    )
    cands = {"q": {"x": 4.0, "y": 3.0, "z": 2.0, "w": 1.0}}
    out = LLMJudge(llm=MockLLM(_answer)).rerank(
        {"q": "query"}, corpus, cands, RunContext(cache_dir=tmp_path)
    )
    assert sorted(out["q"], key=out["q"].get, reverse=True) == ["y", "w", "x", "z"]


def test_conformance_and_meta() -> None:
    check_system_plugin(LLMJudge)
    meta = LLMJudge().meta()
    assert meta.name == "judge" and meta.kind == "llm"
    assert meta.parameters["llm"] == {"spec": "default", "default": True}


def test_plugs_into_llmjudge_task_protocol() -> None:
    assert isinstance(LLMJudge(), RelevanceJudge)
