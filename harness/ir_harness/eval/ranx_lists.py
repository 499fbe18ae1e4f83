"""ranx's numba inputs built inside compiled code, so no process pays numba's typed-list
compilation (about 1 s per cold process when a ``numba.typed.List`` is filled from Python).

Import only after ``NUMBA_CACHE_DIR`` is settled (see ``ir_harness.eval.metrics._set_numba_cache``): the
function is compiled once and cached there.
"""

from __future__ import annotations

from numba import njit
from numba.typed import List


@njit(cache=True)
def split_rows(rows, bounds):  # type: ignore[no-untyped-def]  # numba infers the types
    """``[rows[bounds[i]:bounds[i+1]] for i]`` as a typed list of C-contiguous copies."""
    out = List()
    for i in range(len(bounds) - 1):
        out.append(rows[bounds[i] : bounds[i + 1]].copy())
    return out
