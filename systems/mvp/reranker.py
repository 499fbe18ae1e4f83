"""MVP as a harness reranker: all candidates of a query in one list, scored at once.

Candidates are encoded independently (in chunks of ``ctx.batch_size``, which cannot change a
score), then one decoder step per view over all of them. Inputs are padded to the longest
candidate rather than to ``max_length`` as the authors' FiD reshape requires: only the view
positions are read and padding is masked, so the scores are the same and CPU runs are cheaper.
``max_length`` follows the authors' per-dataset table (256 for TREC DL / MS MARCO).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ir_harness.systems.scoring_reranker import ScoringReranker

if TYPE_CHECKING:
    from ir_harness.protocols import SystemMeta
    from ir_harness.run.context import RunContext

DEFAULT_MODEL = "Jun421/MVP-base"
RELEASED = ["Jun421/MVP-base", "Jun421/MVP-3b"]


class MVP(ScoringReranker):
    """Multi-view listwise reranker (Reranker protocol)."""

    name = "mvp"
    counter = "mvp_passages"

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        n_views: int | None = None,
        max_length: int = 256,
        dtype: str = "auto",
    ) -> None:
        super().__init__(model, dtype)
        self.n_views, self.max_length = n_views, max_length

    def meta(self) -> SystemMeta:
        """View count and backbone as loaded; before loading (every query resumed) the view
        count as given (None: the checkpoint's) and no architecture."""
        loaded = self._model is not None
        return self._meta(
            {
                "n_views": self._model.n_views if loaded else self.n_views,
                "architecture": self._model.backbone.kind if loaded else None,
                "max_length": self.max_length,
                "score": "mean over views of anchor . view vector",
            }
        )

    def _load(self, ctx: RunContext) -> None:
        if self._model is not None:
            return
        import torch

        from ir_harness.systems.mvp.model import load_mvp

        dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}.get(self.dtype)
        if self.dtype == "auto" and ctx.device.startswith("cuda"):
            dtype = torch.bfloat16
        self._model, self._tok, self.resolved = load_mvp(self.model_id, self.n_views, dtype)
        self.device = ctx.device
        self._model.to(ctx.device)

    def score(self, query: str, docs: list[tuple[str, str]], batch_size: int) -> list[float]:
        """Scores of one query's (title, text) candidates, all in one list."""
        import torch

        m = self._model
        with torch.inference_mode():
            parts = []
            for i in range(0, len(docs), max(1, batch_size)):
                enc = m.inputs(self._tok, query, docs[i : i + batch_size], self.max_length)
                parts.append(
                    m.relevance_vectors(
                        enc["input_ids"].to(self.device), enc["attention_mask"].to(self.device)
                    )
                )
            rel = torch.cat(parts).unsqueeze(0)
            scores, _, _ = m.score_vectors(rel)
        return scores[0].float().cpu().tolist()
