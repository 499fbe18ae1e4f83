"""An LLM reranker plugin with its own prompt and its own plot on the site: two entry-point
lines, nothing in the core. Each call carries an ``Ask`` (what it asks, as data), which is all
the oracle LLM needs to answer it: the prompt is never read back.

The prompt asks for the number of the best passage; the chosen one moves to the top, the rest
keep their order.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ir_harness.leaderboard.plots import PlotSection, Spec, base_spec
from ir_harness.llm.ask import Answer, Ask
from ir_harness.llm.handle import LLMHandle
from ir_harness.llm.session import LLMSession

if TYPE_CHECKING:
    from ir_harness.data.model import Corpus, Queries, Run
    from ir_harness.llm.base import LLM
    from ir_harness.protocols import SystemMeta
    from ir_harness.run.context import RunContext

NAME = "plugin-pick"
_HEAD = "Pick the passage that best answers the question."


def build_prompt(query: str, passages: list[str]) -> str:
    body = "".join(f"({i}) {' '.join(p.split())}\n" for i, p in enumerate(passages, start=1))
    return f"{_HEAD}\nQuestion: {query}\nPassages:\n{body}Answer with the passage's number only."


# The answer is the 1-based number of the best passage: the first id of the order.
BEST_NUMBER = Answer("order", item="{n}", limit=1)
DISCLOSURE = "plugin-pick calls: answered with the number of the best latent grade"


def pick_ask(query: str, passages: list[str]) -> Ask:
    """What a ``build_prompt`` call asks: the passages as shown, the best one's number."""
    shown = tuple(" ".join(p.split()) for p in passages)
    return Ask(NAME, "pick", BEST_NUMBER, query, shown, disclosure=DISCLOSURE)


class PickReranker:
    """Reranker: the LLM's pick goes first (entry point ``harness.systems: plugin-pick``)."""

    def __init__(self, llm: str | LLM | None = None, depth: int = 5) -> None:
        self.handle = LLMHandle(llm)
        self.depth = depth

    def meta(self) -> SystemMeta:
        return self.handle.system_meta(NAME, {"depth": self.depth})

    def rerank(self, queries: Queries, corpus: Corpus, candidates: Run, ctx: RunContext) -> Run:
        out: Run = {}
        with LLMSession(self.handle.get(ctx), ctx) as s:
            for q, text in queries.items():
                ranked = sorted(candidates.get(q, {}).items(), key=lambda kv: (-kv[1], kv[0]))
                ids = [d for d, _ in ranked]
                head = ids[: self.depth]
                if head:
                    texts = [corpus[d].full_text for d in head]
                    answer = s.complete(build_prompt(text, texts), ask=pick_ask(text, texts))
                    digits = re.findall(r"\d+", answer.text)
                    pick = int(digits[0]) - 1 if digits else 0
                    if 0 <= pick < len(head):
                        ids.insert(0, ids.pop(pick))
                out[q] = {d: float(len(ids) - i) for i, d in enumerate(ids)}
        return out


def pick_scores(summary: dict[str, Any]) -> list[tuple[str, Spec]]:
    """The main score of every plugin-pick result, one bar per task and system."""
    rows = [
        {"task": t["task"], "system": r["system"], "score": r["main_score"]}
        for t in summary["tasks"]
        for r in t["results"]
        if r["system"].split(">")[-1].split("[")[0] == NAME
    ]
    if not rows:
        return []
    spec = base_spec("plugin-pick: main score per task", rows, 360, 200)
    spec["mark"] = "bar"
    spec["encoding"] = {
        "x": {"field": "score", "type": "quantitative"},
        "y": {"field": "system", "type": "nominal"},
        "color": {"field": "task", "type": "nominal"},
    }
    return [("plugin-pick", spec)]


# Entry point ``harness.plots: plugin-pick``.
PICK_PLOT = PlotSection(
    key="plugin-pick",
    heading="Test plugin: picks",
    draw=pick_scores,
    caption="Main score of every plugin-pick result (drawn by the plugin, not the site).",
    position=90,
)
