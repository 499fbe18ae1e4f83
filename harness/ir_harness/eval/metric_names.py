"""Measure names: trec_eval's and ir_measures' spellings parsed into one :class:`Metric` value.

A measure is a parameterised value (ir_measures' shape): a canonical name, an optional cut-off
and a few named parameters. ``nDCG@10``, ``ndcg_cut.10``, ``ndcg_cut_10`` and ``ndcg@10`` are the
same value, whose id (``ndcg@10``) is the key results are stored under. Accepted spellings:

* ir_measures: ``NAME``, ``NAME@K``, ``NAME(PARAMS)@K`` or ``NAME@K(PARAMS)``, e.g. ``nDCG@10``,
  ``P@5``, ``AP``, ``R@100``, ``RR``, ``Judged@10``, ``RBP(p=0.8)``, ``ERR@20``, ``AP(rel=2)``,
  ``nDCG@10(judged_only)``, ``nDCG'@10`` (Sakai's condensed-list nDCG, the same value).
* trec_eval: ``NAME``, ``NAME.K[,K...]`` or ``NAME_K``, e.g. ``map``, ``P.5``, ``P_5``,
  ``ndcg_cut.10,20``, ``recall.100``, ``Rprec``, ``bpref``, ``recip_rank``, ``set_F``,
  ``success.5``, ``num_rel_ret``. A trec_eval measure given without its cut-offs where trec_eval
  has defaults (``ndcg_cut``, ``map_cut``, ``success``) stands for all of them; bare ``P`` and
  ``recall`` keep ir_measures' meaning (the whole list).

Parameters: ``rel=N`` (minimum grade counted relevant by a binary measure; the task's threshold
otherwise), ``judged_only`` (nDCG over the run with unjudged documents removed) and ``p=X``
(RBP's persistence, default 0.8). Its own module so that task specs validate their measure
names without importing the scoring code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ir_harness.errors import ConfigError

GRADED = {"ndcg", "ndcg_burges", "dcg", "dcg_burges", "err"}
BINARY = {
    "map",
    "recall",
    "precision",
    "mrr",
    "r_precision",
    "hits",
    "hit_rate",
    "f1",
    "bpref",
    "rbp",
}
# Neither graded nor thresholded: whether a document is judged at all.
JUDGMENT = {"judged"}
KNOWN = GRADED | BINARY | JUDGMENT
_NO_CUTOFF = {"r_precision", "bpref", "rbp"}

# Spelling (lower case) -> canonical name, for trec_eval's and ir_measures' names.
_ALIASES = {
    "p": "precision",
    "set_p": "precision",
    "r": "recall",
    "set_recall": "recall",
    "ap": "map",
    "map_cut": "map",
    "rr": "mrr",
    "recip_rank": "mrr",
    "r-precision": "r_precision",
    "rprec": "r_precision",
    "ndcg_cut": "ndcg",
    "set_f": "f1",
    "setf": "f1",
    "success": "hit_rate",
    "num_rel_ret": "hits",
    "numrelret": "hits",
    "ndcg'": "ndcg",
}
# trec_eval's default cut-offs where a bare name means "all of them".
_TREC_DEFAULT_CUTOFFS = {
    "ndcg_cut": (5, 10, 15, 20, 30, 100, 200, 500, 1000),
    "map_cut": (5, 10, 15, 20, 30, 100, 200, 500, 1000),
    "success": (1, 5, 10),
}
_IRM_RE = re.compile(
    r"^(?P<name>[a-z][a-z0-9_'\-]*?)(?:\((?P<p1>[^()]*)\))?(?:@(?P<k>\d+))?(?:\((?P<p2>[^()]*)\))?$"
)
_TREC_RE = re.compile(r"^(?P<name>[a-z_]+?)[._](?P<ks>\d+(?:,\d+)*)$")
_PARAMS = {"rel", "judged_only", "p"}
ACCEPTED = (
    "ir_measures names (nDCG@10, P@5, AP, R@100, RR, Judged@10, ERR@20, RBP(p=0.8), AP(rel=2), "
    "nDCG@10(judged_only)) or trec_eval names (map, P.5, P_5, ndcg_cut.10, recall.100, Rprec, "
    "bpref, recip_rank, set_F, success.5, num_rel_ret)"
)


@dataclass(frozen=True)
class Metric:
    """A ranking measure: canonical name, cut-off (None: the whole list) and parameters.

    ``params`` holds ``(name, value)`` pairs sorted by name, values as canonical strings
    (``("p", "0.8")``, ``("judged_only", "true")``, ``("rel", "2")``).
    """

    name: str
    k: int | None
    params: tuple[tuple[str, str], ...] = ()

    @property
    def id(self) -> str:
        """Canonical spelling (``ndcg@10``, ``rbp(p=0.9)``): results are stored by it."""
        base = f"{self.name}@{self.k}" if self.k else self.name
        if self.params:
            shown = (k if k == "judged_only" else f"{k}={v}" for k, v in self.params)
            base += "(" + ",".join(shown) + ")"
        return base

    def param(self, name: str) -> str | None:
        """One parameter's canonical string value, or None when the measure was given without it."""
        return dict(self.params).get(name)

    @property
    def judged_only(self) -> bool:
        return self.param("judged_only") == "true"

    @property
    def persistence(self) -> float:
        """RBP's p."""
        return float(self.param("p") or 0.8)

    def level(self, threshold: int) -> int:
        """Minimum grade counted relevant: ``rel=`` if given, else the task's threshold for binary
        measures, 1 for graded ones (which use the grades) and judgment ones (which ignore them)."""
        rel = self.param("rel")
        if rel is not None:
            return int(rel)
        return threshold if self.name in BINARY else 1

    def ranx_id(self, threshold: int) -> str:
        """The name ranx knows this measure by (``-lN`` for a binary measure's relevance level above
        1)."""
        level = self.level(threshold)
        lvl = f"-l{level}" if self.name in BINARY and level > 1 else ""
        k = f"@{self.k}" if self.k else ""
        return self.name + k + lvl

    @property
    def residual_id(self) -> str:
        """Key of RBP's residual, reported beside its value."""
        return self.id.replace("rbp", "rbp_residual", 1)


def _bad(metric: str, problem: str) -> ConfigError:
    return ConfigError(f"measure {metric!r}: {problem}; accepted: {ACCEPTED}")


def _params(metric: str, name: str, text: str) -> tuple[tuple[str, str], ...]:
    out: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key, eq, value = (s.strip() for s in part.partition("="))
        if key not in _PARAMS:
            raise _bad(metric, f"unknown parameter {key!r} (known: rel=N, judged_only, p=X)")
        if key == "judged_only":
            if eq and value not in ("true", "1"):
                raise _bad(
                    metric, f"judged_only={value!r} (expected judged_only or judged_only=True)"
                )
            if name not in ("ndcg", "dcg"):
                raise _bad(metric, "judged_only applies to nDCG only")
            out[key] = "true"
        elif key == "rel":
            if not value.lstrip("-").isdigit() or int(value) < 1:
                raise _bad(metric, f"rel={value!r} is not an integer >= 1")
            if name not in BINARY:
                raise _bad(metric, f"rel= applies to binary measures ({', '.join(sorted(BINARY))})")
            out[key] = str(int(value))
        else:
            try:
                p = float(value)
            except ValueError:
                p = -1.0
            if not 0 < p < 1:
                raise _bad(metric, f"p={value!r} is not a number strictly between 0 and 1")
            if name != "rbp":
                raise _bad(metric, "p= applies to RBP only")
            out[key] = repr(p)
    if name == "rbp":
        out.setdefault("p", "0.8")
    return tuple(sorted(out.items()))


def parse_measures(metric: str) -> list[Metric]:
    """Every measure one name stands for (``ndcg_cut.10,20`` is two; ``nDCG@10`` one)."""
    text = metric.strip().lower()
    m = _TREC_RE.match(text)
    if m and (m.group("name") in _ALIASES or m.group("name") in KNOWN):
        return [_make(metric, m.group("name"), int(k), "") for k in m.group("ks").split(",")]
    if text in _TREC_DEFAULT_CUTOFFS:
        return [_make(metric, text, k, "") for k in _TREC_DEFAULT_CUTOFFS[text]]
    m = _IRM_RE.match(text)
    if not m:
        raise _bad(metric, "not of the form NAME, NAME@K, NAME(PARAMS)@K or trec_eval's NAME.K")
    if m.group("p1") is not None and m.group("p2") is not None:
        raise _bad(metric, "parameters given twice")
    params = m.group("p1") if m.group("p1") is not None else m.group("p2") or ""
    if m.group("name") == "ndcg'":
        params += ",judged_only"
    k = int(m.group("k")) if m.group("k") else None
    return [_make(metric, m.group("name"), k, params)]


def _make(metric: str, spelled: str, k: int | None, params: str) -> Metric:
    name = _ALIASES.get(spelled, spelled)
    if name not in KNOWN:
        raise ConfigError(
            f"unknown metric {metric!r}; known: {', '.join(sorted(KNOWN))}, as {ACCEPTED}"
        )
    if k is not None and name in _NO_CUTOFF:
        raise _bad(metric, f"{name} takes no cut-off")
    if k == 0:
        raise _bad(metric, "a cut-off must be at least 1")
    return Metric(name, k, _params(metric, name, params))


def parse_metric(metric: str) -> Metric:
    """``"nDCG@10"`` -> ``Metric("ndcg", 10)``: one measure; a name standing for several (trec_eval's
    ``P.5,10``) is an error here (see :func:`parse_measures`)."""
    out = parse_measures(metric)
    if len(out) != 1:
        raise _bad(metric, f"stands for {len(out)} measures where one is expected")
    return out[0]
