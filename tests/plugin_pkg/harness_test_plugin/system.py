"""A retriever plugin: a document scores the number of distinct query words it contains."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ir_harness.protocols import SystemMeta

if TYPE_CHECKING:
    from ir_harness.data.model import Corpus, Queries, Run
    from ir_harness.run.context import RunContext


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


class WordOverlap:
    """Retriever protocol in plain Python; documents sharing no word are not returned."""

    def __init__(self) -> None:
        self._docs: dict[str, set[str]] = {}

    def meta(self) -> SystemMeta:
        return SystemMeta(name="plugin-overlap", kind="lexical", backend="python")

    def index(self, corpus: Corpus, ctx: RunContext) -> None:
        self._docs = {d: _words(doc.full_text) for d, doc in corpus.items()}

    def search(self, queries: Queries, k: int, ctx: RunContext) -> Run:
        out: Run = {}
        for q, text in queries.items():
            qw = _words(text)
            hits = {d: float(len(qw & w)) for d, w in self._docs.items() if qw & w}
            out[q] = dict(sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))[:k])
        return out
