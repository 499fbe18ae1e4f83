"""RankGPT: permutation parsing of malformed answers, sliding-window bookkeeping, accounting."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from ir_harness.data.model import Corpus, Document
from ir_harness.errors import ConfigError
from ir_harness.llm.testing import MockLLM
from ir_harness.run.context import RunContext
from ir_harness.systems.rankgpt import RankGPT, build_messages, parse_permutation, windows
from ir_harness.testing import check_system_plugin

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("text", "n", "order", "repaired"),
    [
        ("[2] > [3] > [1]", 3, [1, 2, 0], False),
        ("[2] > [2] > [1]", 3, [1, 0, 2], True),  # duplicate dropped, missing appended
        ("[9] > [3] > [0] > [1]", 3, [2, 0, 1], True),  # out of range dropped
        ("I cannot rank these passages.", 3, [0, 1, 2], True),  # nothing usable: keep order
        ("", 2, [0, 1], True),
        ("The ranking is: 3, 1. Passage [2] is least relevant", 3, [2, 0, 1], False),
        ("[4] > [1]", 4, [3, 0, 1, 2], True),  # truncated answer
    ],
)
def test_parse_permutation(text: str, n: int, order: list[int], repaired: bool) -> None:
    got, was_repaired = parse_permutation(text, n)
    assert got == order
    assert sorted(got) == list(range(n))
    assert was_repaired is repaired


def test_windows_default_is_nine_calls_from_the_back() -> None:
    w = windows(100, 20, 10)
    assert len(w) == 9
    assert w[0] == (80, 100) and w[-1] == (0, 20)
    assert all(e - s == 20 for s, e in w)


@pytest.mark.parametrize(
    ("depth", "window", "step"), [(100, 20, 10), (25, 20, 10), (10, 20, 10), (7, 4, 3), (1, 20, 10)]
)
def test_windows_cover_every_rank(depth: int, window: int, step: int) -> None:
    w = windows(depth, window, step)
    assert {r for s, e in w for r in range(s, e)} == set(range(depth))
    assert w[-1][0] == 0 and all(e - s <= window for s, e in w)


def _fixture(n: int) -> tuple[dict[str, str], Corpus, dict[str, dict[str, float]]]:
    # Doc "dK" has text "passage K"; BM25-like scores put d0 first.
    corpus = Corpus(Document(f"d{k}", f"passage {k}") for k in range(n))
    cands = {"q1": {f"d{k}": float(n - k) for k in range(n)}}
    return {"q1": "find the best passage"}, corpus, cands


def reverse_answer(messages: list[dict[str, str]]) -> str:
    """Ranks the window's passages by their number, highest first (the "true" order)."""
    shown = [
        (int(m["content"].split()[2]), int(m["content"][1 : m["content"].index("]")]))
        for m in messages
        if m["role"] == "user" and re.match(r"\[\d+\] passage \d+", m["content"])
    ]
    return " > ".join(f"[{i}]" for _, i in sorted(shown, reverse=True))


def test_sliding_window_bookkeeping_with_mock_llm(tmp_path: Path) -> None:
    queries, corpus, cands = _fixture(30)
    mock = MockLLM(reverse_answer)
    ctx = RunContext(cache_dir=tmp_path)
    out = RankGPT(llm=mock, window=10, step=5, depth=30).rerank(queries, corpus, cands, ctx)
    # Which ranks each call saw: windows of the *current* order, back to front.
    seen = [
        [
            int(m["content"].split()[2])
            for m in r.messages
            if m["role"] == "user" and re.match(r"\[\d+\] ", m["content"])
        ]
        for r in mock.requests
    ]
    assert len(seen) == len(windows(30, 10, 5)) == 5
    assert seen[0] == list(range(20, 30))  # first call: BM25 ranks 20..29
    # Bubbling up: the best passage (29) travels to the top through the overlapping windows.
    assert all(29 in s for s in seen)
    final = sorted(out["q1"], key=out["q1"].get, reverse=True)
    assert sorted(final) == sorted(cands["q1"])  # no candidate lost or duplicated
    assert final[:5] == ["d29", "d28", "d27", "d26", "d25"]
    info = ctx.stats["rankgpt_per_query"]["q1"]
    assert info["windows"] == 5 and info["calls"] == 5 and info["repaired"] == 0
    assert info["prompt_tokens"] > 0 and ctx.stats["llm_calls"] == 5


def test_depth_limits_reranking_and_keeps_the_tail(tmp_path: Path) -> None:
    queries, corpus, cands = _fixture(12)
    mock = MockLLM(reverse_answer)
    ctx = RunContext(cache_dir=tmp_path)
    out = RankGPT(llm=mock, window=4, step=2, depth=6).rerank(queries, corpus, cands, ctx)
    final = sorted(out["q1"], key=out["q1"].get, reverse=True)
    # One back-to-front pass: windows (2,6) then (0,4); only the top `step` are fully sorted.
    assert final[:6] == ["d5", "d4", "d1", "d0", "d3", "d2"]
    assert final[6:] == [f"d{k}" for k in range(6, 12)]  # below depth: untouched


def test_garbage_answers_lose_nothing_and_are_counted(tmp_path: Path) -> None:
    queries, corpus, cands = _fixture(20)
    mock = MockLLM(lambda msgs: "[3] > [3] > [99] > banana")
    ctx = RunContext(cache_dir=tmp_path)
    out = RankGPT(llm=mock, window=10, step=5, depth=20).rerank(queries, corpus, cands, ctx)
    assert sorted(out["q1"]) == sorted(cands["q1"])
    assert len(set(out["q1"].values())) == 20  # a strict order
    assert ctx.stats["rankgpt_repaired_windows"] == 3
    assert ctx.stats["llm_failed_answers"] == 3 and ctx.stats["llm_answers"] == 3
    # repaired answers are not cached: a second run asks again
    again = RunContext(cache_dir=tmp_path)
    RankGPT(llm=mock, window=10, step=5, depth=20).rerank(queries, corpus, cands, again)
    assert len(mock.requests) == 6 and "llm_cache_hits" not in again.stats


@pytest.mark.parametrize(
    ("answer", "unchanged", "unusable", "repaired"),
    [
        ("[1] > [2] > [3] > [4] > [5] > [6] > [7] > [8] > [9] > [10]", 3, 0, 0),  # input order
        ("[1] > [2]", 3, 0, 3),  # partial answer: repaired and unchanged
        ("I cannot rank these passages.", 0, 3, 3),  # no identifier at all
        ("[42] > [0]", 0, 3, 3),  # identifiers, none in range
        ("[2] > [1]", 0, 0, 3),  # moved something
    ],
)
def test_windows_that_move_nothing_are_counted_apart_from_unusable_ones(
    tmp_path: Path, answer: str, unchanged: int, unusable: int, repaired: int
) -> None:
    """A stage whose every answer keeps the input order used to show "repaired 0/16" only."""
    queries, corpus, cands = _fixture(20)
    ctx = RunContext(cache_dir=tmp_path)
    RankGPT(llm=MockLLM(lambda msgs: answer), window=10, step=5, depth=20).rerank(
        queries, corpus, cands, ctx
    )
    assert ctx.stats["rankgpt_windows"] == 3
    assert ctx.stats["rankgpt_windows_unchanged"] == unchanged
    assert ctx.stats["rankgpt_windows_unusable"] == unusable
    assert ctx.stats["rankgpt_repaired_windows"] == repaired
    info = ctx.stats["rankgpt_per_query"]["q1"]
    assert (info["unchanged"], info["unusable"]) == (unchanged, unusable)


def test_second_run_is_served_from_cache(tmp_path: Path) -> None:
    queries, corpus, cands = _fixture(15)
    mock = MockLLM(reverse_answer)
    sys = RankGPT(llm=mock, window=10, step=5, depth=15)
    first = sys.rerank(queries, corpus, cands, RunContext(cache_dir=tmp_path))
    n = len(mock.requests)
    ctx = RunContext(cache_dir=tmp_path)
    second = sys.rerank(queries, corpus, cands, ctx)
    assert len(mock.requests) == n and first == second
    assert ctx.stats["llm_cache_hits"] == n and "llm_calls" not in ctx.stats


def test_prompt_follows_rankgpt_template() -> None:
    msgs = build_messages("q text", ["one two three", "a " * 400], max_words=300)
    assert msgs[0]["role"] == "system" and msgs[0]["content"].startswith("You are RankGPT")
    assert "I will provide you with 2 passages" in msgs[1]["content"]
    assert msgs[3] == {"role": "user", "content": "[1] one two three"}
    assert msgs[4] == {"role": "assistant", "content": "Received passage [1]."}
    assert len(msgs[5]["content"].split()) == 301  # "[2]" + 300 words
    assert "[] > []" in msgs[-1]["content"] and msgs[-1]["role"] == "user"


def test_conformance_and_meta_without_loading_a_model() -> None:
    check_system_plugin(RankGPT)
    meta = RankGPT().meta()
    assert meta.name == "rankgpt" and meta.parameters["llm"]["default"] is True
    meta = RankGPT(llm=MockLLM(lambda m: "")).meta()
    assert meta.backend == "mock" and meta.parameters["window"] == 20


def test_bad_window_options() -> None:
    with pytest.raises(ConfigError):
        RankGPT(window=10, step=10)
