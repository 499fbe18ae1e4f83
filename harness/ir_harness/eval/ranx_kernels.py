"""ranx's numba metric kernels, by metric name, without ``import ranx``.

The kernels come from :mod:`ir_harness.eval.ranx_metrics` (ranx's ``metrics`` files loaded as
our modules; see there why). The name -> kernel table is the one ranx's ``metric_switch`` uses.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

# metric name (ranx's) -> (file in ranx/metrics, kernel function)
_KERNELS = {
    "hits": ("hits", "hits"),
    "hit_rate": ("hit_rate", "hit_rate"),
    "precision": ("precision", "precision"),
    "recall": ("recall", "recall"),
    "f1": ("f1", "f1"),
    "r-precision": ("r_precision", "r_precision"),
    "mrr": ("reciprocal_rank", "reciprocal_rank"),
    "map": ("average_precision", "average_precision"),
    "dcg": ("ndcg", "dcg"),
    "dcg_burges": ("ndcg", "dcg_burges"),
    "ndcg": ("ndcg", "ndcg"),
    "ndcg_burges": ("ndcg", "ndcg_burges"),
    "bpref": ("bpref", "bpref"),
    "rbp": ("rank_biased_precision", "rank_biased_precision"),
}
_threading_layer_set = False
# One caller at a time: the kernels run on numba's workqueue threading layer, which aborts the
# process ("Concurrent access has been detected") when two threads launch parallel kernels at once.
_LOCK = threading.Lock()


def _kernel(name: str) -> Any:
    global _threading_layer_set
    if name not in _KERNELS:
        raise ValueError(f"metric {name!r} has no ranx kernel (known: {', '.join(_KERNELS)})")
    if not _threading_layer_set:
        from numba import config

        config.THREADING_LAYER = "workqueue"  # type: ignore[attr-defined]  # what ranx's __init__ sets for its kernels
        _threading_layer_set = True
    module, func = _KERNELS[name]
    return getattr(importlib.import_module(f"ir_harness.eval.ranx_metrics.{module}"), func)


def _parse(metric_id: str) -> tuple[str, int, int]:
    """``"recall@100-l2"`` -> ``("recall", 100, 2)``, as ``ranx.evaluate`` reads metric ids."""
    name, _, level = metric_id.partition("-l")
    base, _, k = name.partition("@")
    return base, int(k) if k else 0, int(level) if level else 1


def evaluate_lists(qrels: Any, run: Any, metric_ids: list[str]) -> dict[str, Any]:
    """Per-query values of each metric for ranx's typed-list inputs (one entry per query)."""
    out = {}
    with _LOCK:
        for mid in metric_ids:
            name, k, level = _parse(mid)
            out[mid] = _kernel(name)(qrels, run, k, level)
    return out
