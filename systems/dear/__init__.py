"""DeAR (Abdallah et al., EMNLP Findings 2025): a distilled pointwise scorer, then a listwise
chain-of-thought LLM over its top 30 (arXiv 2508.16998). ``bm25>dear-pointwise>dear-listwise``."""

from ir_harness.systems.dear.listwise import DeARListwise
from ir_harness.systems.dear.pointwise import DeARPointwise

__all__ = ["DeARListwise", "DeARPointwise"]
