"""MVP (Na et al., EMNLP 2025): multi-view, anchor-guided listwise reranking on a T5
Fusion-in-Decoder backbone (arXiv 2509.07485)."""

from ir_harness.systems.mvp.reranker import MVP

__all__ = ["MVP"]
