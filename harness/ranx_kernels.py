"""ranx's numba metric kernels without ``import ranx``.

``import ranx`` runs its package ``__init__``, which imports fusion, comparison and plotting
(scipy.stats, matplotlib): 1.6-3 s of every cold ``harness eval`` that scores with none of it.
The kernels in ``ranx.metrics`` need only numba and numpy, so they are imported, and called
(numba's on-disk cache re-imports a kernel's module by name when it loads it), under a bare
stand-in for the ``ranx`` package. Outside those calls every ``ranx*`` module is dropped from
``sys.modules``: an ``import ranx`` elsewhere in the process loads the real package, unaffected.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import types
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

_SAVED: dict[str, types.ModuleType] = {}  # the stand-in and ranx.metrics* once imported
# One caller at a time: the kernels run on numba's workqueue threading layer, which aborts the
# process ("Concurrent access has been detected") when two threads launch parallel kernels at
# once, and the stand-in swaps entries of sys.modules that another thread would see half-done.
_LOCK = threading.Lock()


@contextmanager
def _ranx_metrics() -> Iterator[Callable[[str], Callable[..., Any]]]:
    """ranx's ``metric_switch`` (metric name -> numba kernel), usable inside the block."""
    if "ranx" in sys.modules and "ranx" not in _SAVED:  # the real package: nothing to save
        from ranx.metrics import metric_switch

        yield metric_switch
        return
    if not _SAVED:
        spec = importlib.util.find_spec("ranx")
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError("ranx is not installed", name="ranx")
        from numba import config

        config.THREADING_LAYER = "workqueue"  # type: ignore[attr-defined]  # what ranx's __init__ sets for its kernels
        stand_in = types.ModuleType("ranx")
        stand_in.__path__ = list(spec.submodule_search_locations)
        _SAVED["ranx"] = stand_in
    sys.modules.update(_SAVED)
    try:
        from ranx.metrics import metric_switch

        yield metric_switch
    finally:
        for name in [m for m in sys.modules if m == "ranx" or m.startswith("ranx.")]:
            _SAVED[name] = sys.modules.pop(name)


def _parse(metric_id: str) -> tuple[str, int, int]:
    """``"recall@100-l2"`` -> ``("recall", 100, 2)``, as ``ranx.evaluate`` reads metric ids."""
    name, _, level = metric_id.partition("-l")
    base, _, k = name.partition("@")
    return base, int(k) if k else 0, int(level) if level else 1


def evaluate_lists(qrels: Any, run: Any, metric_ids: list[str]) -> dict[str, Any]:
    """Per-query values of each metric for ranx's typed-list inputs (one entry per query)."""
    out = {}
    with _LOCK, _ranx_metrics() as switch:
        for mid in metric_ids:
            name, k, level = _parse(mid)
            out[mid] = switch(name)(qrels, run, k, level)
    return out
