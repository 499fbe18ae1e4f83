"""The oracle on the real offline data: the issue's done-when numbers that are cheap to check.

RankGPT with the perfect oracle must reach the best nDCG@10 any reordering of the BM25 top-100
can (one back-to-front pass of window 20 / step 10 brings the ten best to the top); the judge
must agree with every human label except where two passages with identical text were graded
differently for the same query (nothing that sees only the text can tell those apart).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import ir_harness

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.shared_data


@pytest.mark.parametrize(("year", "ideal"), [("2019", 0.8922), ("2020", 0.8707)])
def test_rankgpt_with_perfect_oracle_reaches_the_ideal_top100(
    shared_data: Path, tmp_path: Path, year: str, ideal: float
) -> None:
    out = ir_harness.evaluate(
        "rankgpt",
        f"trec-dl/{year}/bm25-top100",
        data_dir=shared_data,
        results=tmp_path,
        options={"llm": "oracle"},
        progress=False,
        llm_cache=False,
    )
    assert round(out.main_score, 4) == ideal
    assert out.metadata.stages[0].kind == "oracle"
    assert out.metadata.stages[0].parameters["llm"]["answers"].get("unmatched_passages", 0) == 0


def test_judge_oracle_misses_only_identical_passages_graded_differently(
    shared_data: Path,
) -> None:
    from ir_harness.llm.oracle.backend import make_oracle
    from ir_harness.llm.oracle.knowledge import norm
    from ir_harness.systems.judge import build_prompt, judge_ask, parse_grade
    from ir_harness.tasks.llmjudge import human_labels, load_pool

    human, _ = human_labels(shared_data, "")
    data = load_pool(shared_data)
    o = make_oracle("oracle", task="llmjudge", data_dir=shared_data)
    from ir_harness.llm.base import Request, as_messages

    wrong = set()
    for (q, d), g in human.items():
        p = build_prompt(data.queries[q], data.corpus[d].full_text, 400)
        a = judge_ask(data.queries[q], data.corpus[d].full_text, 400)
        if parse_grade(o.generate(Request(as_messages(p), ask=a)).text) != g:
            wrong.add((q, d))
    by_text: dict[tuple[str, str], set[int]] = {}
    for (q, d), g in human.items():
        by_text.setdefault((q, norm(data.corpus[d].full_text)), set()).add(g)
    ambiguous = {
        (q, d) for (q, d) in human if len(by_text[(q, norm(data.corpus[d].full_text))]) > 1
    }
    assert wrong <= ambiguous
    assert len(wrong) == 2  # q49: p7932 (human 2, twin p7463 graded 3), p9785 (1, twin p4085 3)
