"""Non-ranking measures, one per module, looked up by name.

Ranking metrics (nDCG, recall, ...) come from ranx through ``ir_harness.eval.metrics``; the measures here
are the other numbers tasks report: AUC by pool, agreement between labellers (Cohen's kappa,
Krippendorff's alpha) and rank correlations (Spearman, Kendall). Each module defines its function
and a ``MEASURE`` record; the registry maps a name to it lazily, so a task imports only what it
uses. Another package adds a measure with one line in its
``[project.entry-points."harness.measures"]`` table pointing at a ``Measure``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ir_harness.registry import Registry

if TYPE_CHECKING:
    from collections.abc import Callable

MEASURE_GROUP = "harness.measures"


@dataclass(frozen=True)
class Measure:
    """A named measure: what it computes (shown by ``measure_names``) and the function."""

    name: str
    description: str
    fn: Callable[..., Any]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)


MEASURES: Registry[Measure] = Registry("measure", MEASURE_GROUP)

for _name in ("auc_by_pool", "cohen_kappa", "krippendorff_alpha", "spearman", "kendall_tau"):
    MEASURES.register(_name, f"{__name__}.{_name}:MEASURE")


def measure(name: str) -> Measure:
    """The measure called ``name``; an unknown name is an error listing the known ones."""
    return MEASURES.get(name)


def run_measures(
    names: tuple[str, ...], run: Any, qrels: Any, min_relevance: int = 1
) -> tuple[dict[str, float], dict[str, dict[str, float]], dict[str, Any]]:
    """Every measure a task spec declares in ``run_measures``, merged: (means, per-query values,
    ``extra``). Each measure takes ``(run, qrels, min_relevance=...)`` and returns that triple;
    two measures returning the same name are an error, not a silent overwrite."""
    means: dict[str, float] = {}
    per_query: dict[str, dict[str, float]] = {}
    extra: dict[str, Any] = {}
    for name in names:
        m, pq, ex = measure(name)(run, qrels, min_relevance=min_relevance)
        for have, new in ((means, m), (per_query, pq), (extra, ex)):
            if clash := have.keys() & new.keys():
                raise ValueError(f"measure {name!r} returns {sorted(clash)}, already returned")
            have.update(new)
    return means, per_query, extra
