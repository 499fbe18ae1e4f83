"""ranx's metric kernel files, ``ranx/metrics/*.py``, as modules of this package.

This package's ``__path__`` is ranx's ``metrics`` folder, so ``ir_harness.eval.ranx_metrics.ndcg``
is ranx's own ``ndcg.py`` (its sibling imports are relative and resolve here too), loaded
without running ranx's package ``__init__`` (fusion, comparison, plots: scipy.stats and
matplotlib, 1.6-3 s of a cold ``harness eval``). Nothing is copied from ranx and ``sys.modules``
is never edited: ``import ranx`` elsewhere in the process loads the real package as usual.
"""

from __future__ import annotations

import importlib.util
import os

_ranx = importlib.util.find_spec("ranx")  # locates the package without importing it
if _ranx is None or not _ranx.submodule_search_locations:
    raise ModuleNotFoundError("ranx is not installed", name="ranx")
__path__ = [os.path.join(p, "metrics") for p in _ranx.submodule_search_locations]
