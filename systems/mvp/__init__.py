"""MVP (Na et al., EMNLP 2025): multi-view, anchor-guided listwise reranking on a T5
Fusion-in-Decoder backbone (systems-spec §2)."""

from systems.mvp.reranker import MVP

__all__ = ["MVP"]
