"""Metric names: ``NAME`` or ``NAME@K`` parsed into a :class:`Metric`, with its ranx id.

Its own module so that task specs can validate their metric names without importing the scoring
code (and the scoring code can import specs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ir_harness.errors import ConfigError

GRADED = {"ndcg", "ndcg_burges", "dcg", "dcg_burges"}
BINARY = {"map", "recall", "precision", "mrr", "r_precision", "hits", "hit_rate", "f1", "bpref"}
_ALIASES = {
    "p": "precision",
    "r": "recall",
    "ap": "map",
    "rr": "mrr",
    "r-precision": "r_precision",
    "rprec": "r_precision",
}
_METRIC_RE = re.compile(r"^([a-z_\-]+)(?:@(\d+))?$")


@dataclass(frozen=True)
class Metric:
    """A ranking metric and its cut-off (``ndcg@10``: name ``ndcg``, k 10)."""

    name: str
    k: int | None

    @property
    def id(self) -> str:
        return f"{self.name}@{self.k}" if self.k else self.name

    def ranx_id(self, threshold: int) -> str:
        lvl = f"-l{threshold}" if self.name in BINARY and threshold > 1 else ""
        return self.id + lvl


def parse_metric(metric: str) -> Metric:
    """``"nDCG@10"`` -> ``Metric("ndcg", 10)``; aliases (``P``, ``AP``, ``RR``) map to ranx names."""
    m = _METRIC_RE.match(metric.strip().lower())
    if not m:
        raise ConfigError(
            f"metric {metric!r} is not of the form NAME or NAME@K (e.g. ndcg@10, map, recall@100)"
        )
    name = _ALIASES.get(m.group(1), m.group(1))
    if name not in GRADED | BINARY:
        raise ConfigError(f"unknown metric {metric!r}; known: {', '.join(sorted(GRADED | BINARY))}")
    return Metric(name, int(m.group(2)) if m.group(2) else None)
