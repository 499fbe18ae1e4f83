"""The reranker shape shared by DeAR's pointwise stage and MVP: a local transformers model,
loaded on first use, that scores all candidates of one query in a single call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ir_harness.data.model import ranked
from ir_harness.protocols import SystemMeta
from ir_harness.run.model_output import check_scores

if TYPE_CHECKING:
    from ir_harness.data.model import Corpus, Queries, Run
    from ir_harness.run.context import RunContext


class ScoringReranker:
    """Subclasses set ``name`` and ``counter`` and implement ``_load`` and ``score``."""

    name = "scoring-reranker"
    counter = "scored_passages"

    def __init__(self, model: str, dtype: str) -> None:
        self.model_id, self.dtype = model, dtype
        self.resolved = ""
        self.device = "cpu"
        self._model: Any = None
        self._tok: Any = None

    def _meta(self, parameters: dict[str, Any]) -> SystemMeta:
        """Options plus the checkpoint's training record, when ``harness train`` made it."""
        from ir_harness.systems.embedding_search import training_record

        # Before the first load (every query resumed) the given path still holds the record.
        rec = training_record(self.resolved or self.model_id)
        if rec is not None:
            parameters = {**parameters, "training": rec}
        return SystemMeta(
            name=self.name,
            kind="reranker",
            backbone=self.model_id,
            resolved_backbone=self.resolved,
            backend="transformers",
            device=self.device,
            parameters={**parameters, "dtype": self.dtype},
        )

    def _load(self, ctx: RunContext) -> None:
        raise NotImplementedError

    def score(self, query: str, docs: list[tuple[str, str]], batch_size: int) -> list[float]:
        """Scores of one query's (title, text) candidates."""
        raise NotImplementedError

    def rerank(self, queries: Queries, corpus: Corpus, candidates: Run, ctx: RunContext) -> Run:
        """Each query's candidates scored in one ``score`` call (a document missing from the corpus
        as empty text); a wrong count or a non-finite score is an error naming the query. Queries
        without text or candidates are left out."""
        self._load(ctx)
        out: Run = {}
        for q, cands in candidates.items():
            if q not in queries or not cands:
                continue
            ids = [d for d, _ in ranked(cands)]
            docs = [(corpus[d].title, corpus[d].text) if d in corpus else ("", "") for d in ids]
            scores = check_scores(
                self.score(queries[q], docs, ctx.batch_size),
                len(ids),
                self.name,
                f"query {q!r} ({len(ids)} candidates)",
            )
            out[q] = dict(zip(ids, scores))
            ctx.count(self.counter, len(ids))
        return out
