"""trec_eval 10.0's measures: their order, names, parameters and per-query definitions.

Each measure reads a ``Judged`` (one query's ranked relevance list and counts) and returns
its values; ``Measure`` says how the values are named, summed over queries and printed.
The arithmetic follows trec_eval's operation order so results agree to the last bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cmp_to_key
from typing import Any

from ir_harness.trec_eval.cmath_ops import clog, clog2, fdiv
from ir_harness.trec_eval.cnum import lround
from ir_harness.trec_eval.judged import NONPOOL, UNJUDGED, Judged

MIN_GEO_MEAN = 0.00001
INFAP_EPSILON = 0.00001


@dataclass(frozen=True)
class Ctx:
    """The command-line settings measures read."""

    relevance_level: int
    num_docs_in_coll: int


Calc = Callable[[Ctx, Judged, Any], list[float]]


@dataclass(frozen=True)
class Measure:
    """One row of trec_eval's measure table.

    ``shape``: ``runid``, ``long`` or ``double`` (one value), ``cut_long``/``cut_double`` (one
    value per cutoff), ``p_double``/``p_pair`` (one value, parameters in its name).
    ``average``: ``mean``, ``sum`` (the summary is the total), ``gm`` (geometric mean),
    ``num_q``, ``num_rel`` (a sum, over all judged queries with ``-c``) or ``none``.
    ``per_query``: printed in ``-q`` lines (``relstring`` prints a string).
    """

    name: str
    shape: str
    calc: Calc
    default: Any = None
    average: str = "mean"
    per_query: bool = True


@dataclass
class Active:
    """A measure set up for this command line: its parameters and value names."""

    measure: Measure
    params: Any
    names: list[str]


# ---- counts


def _num_ret(ctx: Ctx, jr: Judged, _: Any) -> list[float]:
    return [float(jr.num_ret)]


def _num_rel(ctx: Ctx, jr: Judged, _: Any) -> list[float]:
    return [float(jr.num_rel)]


def _num_rel_ret(ctx: Ctx, jr: Judged, _: Any) -> list[float]:
    return [float(jr.num_rel_ret)]


def _num_nonrel_judged_ret(ctx: Ctx, jr: Judged, _: Any) -> list[float]:
    return [float(jr.num_ret - jr.num_nonpool - jr.num_unjudged_in_pool - jr.num_rel_ret)]


def _one(ctx: Ctx, jr: Judged, _: Any) -> list[float]:
    return [1.0]


# ---- precision-based


def _ap_sum(ctx: Ctx, jr: Judged) -> tuple[float, int]:
    level = ctx.relevance_level
    found = 0
    total = 0.0
    for i, r in enumerate(jr.rel_list):
        if r >= level:
            found += 1
            total += found / (i + 1)
    return total, found


def _map(ctx: Ctx, jr: Judged, _: Any) -> list[float]:
    total, found = _ap_sum(ctx, jr)
    return [total / jr.num_rel if found else 0.0]


def _gm_map(ctx: Ctx, jr: Judged, _: Any) -> list[float]:
    total, found = _ap_sum(ctx, jr)
    if found:
        total = total / jr.num_rel
    return [clog(max(total, MIN_GEO_MEAN))]


def _yaap(ctx: Ctx, jr: Judged, _: Any) -> list[float]:
    total, _found = _ap_sum(ctx, jr)
    return [clog(fdiv(1.0 + total, 1.0 + jr.num_rel - total))]


def _rprec(ctx: Ctx, jr: Judged, _: Any) -> list[float]:
    n = min(jr.num_ret, jr.num_rel)
    if n == 0:
        return [0.0]
    level = ctx.relevance_level
    found = sum(1 for r in jr.rel_list[:n] if r >= level)
    return [found / jr.num_rel]


def _recip_rank(ctx: Ctx, jr: Judged, _: Any) -> list[float]:
    level = ctx.relevance_level
    for i, r in enumerate(jr.rel_list):
        if r >= level:
            return [1.0 / (i + 1)]
    return [0.0]


def _bpref_value(ctx: Ctx, jr: Judged) -> float:
    level = ctx.relevance_level
    num_nonrel = sum(jr.level_count(j) for j in range(level))
    nonrel = 0
    total = 0.0
    for r in jr.rel_list:
        if r == NONPOOL or r == UNJUDGED:
            continue
        if 0 <= r < level:
            nonrel += 1
        elif nonrel > 0:
            total += 1.0 - fdiv(float(min(nonrel, jr.num_rel)), float(min(num_nonrel, jr.num_rel)))
        else:
            total += 1.0
    if jr.num_rel:
        total /= jr.num_rel
    return total


def _bpref(ctx: Ctx, jr: Judged, _: Any) -> list[float]:
    return [_bpref_value(ctx, jr)]


def _gm_bpref(ctx: Ctx, jr: Judged, _: Any) -> list[float]:
    return [clog(max(_bpref_value(ctx, jr), MIN_GEO_MEAN))]


def _infap(ctx: Ctx, jr: Judged, _: Any) -> list[float]:
    level = ctx.relevance_level
    nonrel = rel = unj = 0
    total = 0.0
    for j, r in enumerate(jr.rel_list):
        if r == NONPOOL:
            continue
        if r == UNJUDGED:
            unj += 1
            continue
        if 0 <= r < level:
            nonrel += 1
            continue
        rel += 1
        if j == 0:
            total += 1.0
        else:
            fj = float(j)
            total += 1.0 / (fj + 1.0) + (fj / (fj + 1.0)) * ((rel - 1 + nonrel + unj) / fj) * (
                (rel - 1 + INFAP_EPSILON) / (rel - 1 + nonrel + 2 * INFAP_EPSILON)
            )
    if jr.num_rel:
        total /= jr.num_rel
    return [total]


def _interpolated(ctx: Ctx, jr: Judged, fractions: list[float]) -> list[float]:
    """Interpolated precision at each recall fraction (iprec_at_recall, 11pt_avg)."""
    level = ctx.relevance_level
    cuts = [lround(f * jr.num_rel) for f in fractions]
    out = [0.0] * len(cuts)
    cur = len(cuts) - 1
    while cur >= 0 and cuts[cur] > jr.num_rel_ret:
        cur -= 1
    int_precis = fdiv(float(jr.num_rel_ret), float(jr.num_ret))
    rel_so_far = jr.num_rel_ret
    rl = jr.rel_list
    i = jr.num_ret
    while i > 0 and rel_so_far > 0:
        precis = rel_so_far / i
        if int_precis < precis:
            int_precis = precis
        if rl[i - 1] >= level:
            while cur >= 0 and rel_so_far == cuts[cur]:
                out[cur] = int_precis
                cur -= 1
            rel_so_far -= 1
        i -= 1
    while cur >= 0:
        out[cur] = int_precis
        cur -= 1
    return out


def _iprec_at_recall(ctx: Ctx, jr: Judged, fractions: list[float]) -> list[float]:
    return _interpolated(ctx, jr, fractions)


def _11pt_avg(ctx: Ctx, jr: Judged, fractions: list[float]) -> list[float]:
    vals = _interpolated(ctx, jr, fractions)
    total = 0.0
    for v in reversed(vals):
        total += v
    return [total / len(fractions)]


def _prefix_counts(jr: Judged, cuts: list[int], hit: Callable[[int], bool]) -> list[int]:
    """For each cutoff, how many of the first min(cutoff, num_ret) documents satisfy ``hit``."""
    marks = [0]
    total = 0
    for r in jr.rel_list:
        if hit(r):
            total += 1
        marks.append(total)
    n = jr.num_ret
    return [marks[min(c, n)] for c in cuts]


def _P(ctx: Ctx, jr: Judged, cuts: list[int]) -> list[float]:
    level = ctx.relevance_level
    counts = _prefix_counts(jr, cuts, lambda r: r >= level)
    return [k / c for k, c in zip(counts, cuts, strict=True)]


def _recall(ctx: Ctx, jr: Judged, cuts: list[int]) -> list[float]:
    if jr.num_rel == 0:
        return [0.0] * len(cuts)
    level = ctx.relevance_level
    return [k / jr.num_rel for k in _prefix_counts(jr, cuts, lambda r: r >= level)]


def _relative_P(ctx: Ctx, jr: Judged, cuts: list[int]) -> list[float]:
    if jr.num_rel == 0:
        return [0.0] * len(cuts)
    level = ctx.relevance_level
    counts = _prefix_counts(jr, cuts, lambda r: r >= level)
    return [k / min(c, jr.num_rel) for k, c in zip(counts, cuts, strict=True)]


def _success(ctx: Ctx, jr: Judged, cuts: list[int]) -> list[float]:
    level = ctx.relevance_level
    return [1.0 if k else 0.0 for k in _prefix_counts(jr, cuts, lambda r: r >= level)]


def _map_cut(ctx: Ctx, jr: Judged, cuts: list[int]) -> list[float]:
    if jr.num_rel == 0:
        return [0.0] * len(cuts)
    level = ctx.relevance_level
    sums = [0.0]
    found = 0
    total = 0.0
    for i, r in enumerate(jr.rel_list):
        if r >= level:
            found += 1
            total += found / (i + 1)
        sums.append(total)
    n = jr.num_ret
    return [sums[min(c, n)] / jr.num_rel for c in cuts]


def _unj(ctx: Ctx, jr: Judged, cuts: list[int]) -> list[float]:
    counts = _prefix_counts(jr, cuts, lambda r: r == NONPOOL or r == UNJUDGED)
    return [k / c for k, c in zip(counts, cuts, strict=True)]


def _rprec_mult(ctx: Ctx, jr: Judged, fractions: list[float]) -> list[float]:
    level = ctx.relevance_level
    cuts = [int(f * jr.num_rel + 0.9) for f in fractions]
    out = [0.0] * len(cuts)
    cur = len(cuts) - 1
    while cur >= 0 and cuts[cur] > jr.num_ret:
        out[cur] = jr.num_rel_ret / cuts[cur]
        cur -= 1
    rel_so_far = jr.num_rel_ret
    rl = jr.rel_list
    i = jr.num_ret
    while i > 0 and rel_so_far > 0:
        precis = rel_so_far / i
        while cur >= 0 and i == cuts[cur]:
            out[cur] = precis
            cur -= 1
        if rl[i - 1] >= level:
            rel_so_far -= 1
        i -= 1
    return out


def _utility(ctx: Ctx, jr: Judged, c: list[float]) -> list[float]:
    return [
        c[0] * jr.num_rel_ret
        + c[1] * (jr.num_ret - jr.num_rel_ret)
        + c[2] * (jr.num_rel - jr.num_rel_ret)
        + c[3] * (ctx.num_docs_in_coll + jr.num_rel_ret - jr.num_ret - jr.num_rel)
    ]


def _relstring(ctx: Ctx, jr: Judged, p: list[float]) -> list[float]:
    return [0.0]


def relstring_text(jr: Judged, p: list[float]) -> str:
    """The judgments of the top documents as one character each."""
    n = max(min(_c_long(p[0]), jr.num_ret), 0)
    chars = []
    for r in jr.rel_list[:n]:
        if r > 9:
            chars.append(">")
        elif r >= 0:
            chars.append(chr(48 + r))
        elif r == NONPOOL:
            chars.append("-")
        elif r == UNJUDGED:
            chars.append(".")
        else:
            chars.append("<")
    return "".join(chars)


def _c_long(x: float) -> int:
    if math.isnan(x) or math.isinf(x):
        return -(2**63)
    return int(x)


# ---- set measures


def _set_P(ctx: Ctx, jr: Judged, _: Any) -> list[float]:
    return [jr.num_rel_ret / jr.num_ret if jr.num_ret else 0.0]


def _set_relative_P(ctx: Ctx, jr: Judged, _: Any) -> list[float]:
    if jr.num_ret and jr.num_rel:
        return [jr.num_rel_ret / min(jr.num_ret, jr.num_rel)]
    return [0.0]


def _set_recall(ctx: Ctx, jr: Judged, _: Any) -> list[float]:
    return [jr.num_rel_ret / jr.num_rel if jr.num_rel else 0.0]


def _set_map(ctx: Ctx, jr: Judged, _: Any) -> list[float]:
    if jr.num_ret and jr.num_rel:
        return [
            (float(jr.num_rel_ret) * float(jr.num_rel_ret))
            / (float(jr.num_ret) * float(jr.num_rel))
        ]
    return [0.0]


def _set_F(ctx: Ctx, jr: Judged, p: list[float]) -> list[float]:
    if not jr.num_rel_ret:
        return [0.0]
    prec = jr.num_rel_ret / jr.num_ret
    rec = jr.num_rel_ret / jr.num_rel
    x = p[0]
    return [fdiv((x + 1.0) * prec * rec, x * prec + rec)]


# ---- graded gains


@dataclass
class _Gain:
    level: int
    gain: float
    count: int


def _valid_int(s: str) -> bool:
    t = s[1:] if s[:1] in ("-", "+") else s
    return bool(t) and all("0" <= ch <= "9" for ch in t)


def _cmp_gain(a: _Gain, b: _Gain) -> int:
    d = a.gain - b.gain  # trec_eval returns this difference truncated to an int
    if math.isnan(d):
        return 0
    return int(d)


def setup_gains(jr: Judged, pairs: list[tuple[str, float]] | None) -> list[_Gain]:
    """Gain per grade, ascending: given pairs first, every grade present gains its value."""
    from ir_harness.trec_eval.cnum import atol

    gains: list[_Gain] = []
    for name, value in pairs or []:
        if _valid_int(name):
            gains.append(_Gain(atol(name), value, 0))
    given = len(gains)
    for lvl in range(jr.num_rel_levels):
        for g in gains[:given]:
            if g.level == lvl:
                g.count = jr.level_count(lvl)
                break
        else:
            gains.append(_Gain(lvl, float(lvl), jr.level_count(lvl)))
    return sorted(gains, key=cmp_to_key(_cmp_gain))


def _gain_of(gains: list[_Gain]) -> Callable[[int], float]:
    """Gain lookup by grade: the first entry for a grade wins, unknown grades gain 0."""
    table: dict[int, float] = {}
    for g in gains:
        table.setdefault(g.level, g.gain)
    get = table.get
    return lambda rel: get(rel, 0.0)


class _Ideal:
    """Walks the ideal ranking: grades from the highest gain down, each as often as judged."""

    def __init__(self, gains: list[_Gain]) -> None:
        self.gains = gains
        self.level = len(gains) - 1
        self.gain = gains[self.level].gain if self.level >= 0 else 0.0
        self.n = 0

    def advance(self) -> float:
        self.n += 1
        while self.level >= 0 and self.n > self.gains[self.level].count:
            self.n = 1
            self.level -= 1
            self.gain = self.gains[self.level].gain if self.level >= 0 else 0.0
        return self.gain


def _dcg_pair(jr: Judged, pairs: list[tuple[str, float]] | None) -> tuple[float, float]:
    gains = setup_gains(jr, pairs)
    gain = _gain_of(gains)
    ideal = _Ideal(gains)
    dcg = idcg = 0.0
    rl = jr.rel_list
    i = 0
    n = jr.num_ret
    while i < n and ideal.gain > 0.0:
        g = gain(rl[i])
        if g != 0:
            dcg += g / math.log2(i + 2)
        ig = ideal.advance()
        if ig > 0.0:
            idcg += ig / math.log2(i + 2)
        i += 1
    while i < n:
        g = gain(rl[i])
        if g != 0:
            dcg += g / math.log2(i + 2)
        i += 1
    while ideal.gain > 0.0:
        ig = ideal.advance()
        if ig > 0.0:
            idcg += ig / math.log2(i + 2)
        i += 1
    return dcg, idcg


def _ndcg(ctx: Ctx, jr: Judged, pairs: Any) -> list[float]:
    dcg, idcg = _dcg_pair(jr, pairs)
    return [dcg / idcg if idcg > 0.0 else 0.0]


def _dcg(ctx: Ctx, jr: Judged, pairs: Any) -> list[float]:
    return [_dcg_pair(jr, pairs)[0]]


def _ideal_dcg(ctx: Ctx, jr: Judged, pairs: Any) -> list[float]:
    return [_dcg_pair(jr, pairs)[1]]


def _ndcg_rel(ctx: Ctx, jr: Judged, pairs: Any) -> list[float]:
    gains = setup_gains(jr, pairs)
    gain = _gain_of(gains)
    ideal = _Ideal(gains)
    dcg = idcg = 0.0
    total = 0.0
    num_rel_ret = num_rel = 0
    rl = jr.rel_list
    i = 0
    n = jr.num_ret
    while i < n and ideal.gain > 0.0:
        g = gain(rl[i])
        if g != 0:
            dcg += g / math.log2(i + 2)
        ig = ideal.advance()
        if ig > 0.0:
            num_rel += 1
            idcg += ig / math.log2(i + 2)
        if g > 0:
            total += fdiv(dcg, idcg)
            num_rel_ret += 1
        i += 1
    while i < n:
        g = gain(rl[i])
        if g != 0:
            dcg += g / math.log2(i + 2)
        if g > 0:
            total += fdiv(dcg, idcg)
            num_rel_ret += 1
        i += 1
    while ideal.gain > 0.0:
        ig = ideal.advance()
        if ig > 0.0:
            num_rel += 1
            idcg += ig / math.log2(i + 2)
        i += 1
    total += fdiv(float(num_rel - num_rel_ret) * dcg, idcg)
    return [fdiv(total, float(num_rel)) if total > 0.0 else 0.0]


def _rndcg(ctx: Ctx, jr: Judged, pairs: Any) -> list[float]:
    gains = setup_gains(jr, pairs)
    if jr.num_rel == 0:
        return [0.0]
    gain = _gain_of(gains)
    ideal = _Ideal(gains)
    old = ideal.gain
    changes = 0
    dcg = idcg = 0.0
    total = 0.0
    rl = jr.rel_list
    i = 0
    n = jr.num_ret
    while i < n and ideal.gain > 0.0:
        g = gain(rl[i])
        ig = ideal.advance()
        if old != ig:
            if idcg > 0.0:
                total += dcg / idcg
                changes += 1
            old = ig
        if g != 0:
            dcg += g / math.log2(i + 2)
        if ig > 0.0:
            idcg += ig / math.log2(i + 2)
        i += 1
    if i < n:
        while i < n:
            g = gain(rl[i])
            if g != 0:
                dcg += g / math.log2(i + 2)
            i += 1
        if idcg > 0.0:
            total += dcg / idcg
            changes += 1
    while ideal.gain > 0.0:
        ig = ideal.advance()
        if old != ig:
            if idcg > 0.0:
                total += dcg / idcg
                changes += 1
            old = ig
        if ig > 0.0:
            idcg += ig / math.log2(i + 2)
        i += 1
    return [fdiv(total, float(changes))]


def _G(ctx: Ctx, jr: Judged, pairs: Any) -> list[float]:
    gains = setup_gains(jr, pairs)
    gain = _gain_of(gains)
    ideal = _Ideal(gains)
    results_g = sum_results = sum_ideal = sum_cost = 0.0
    min_cost = 1.0
    rl = jr.rel_list
    i = 0
    n = jr.num_ret
    while i < n and ideal.gain > 0.0:
        g = gain(rl[i])
        sum_results += g
        ig = ideal.advance()
        if ig > 0.0:
            sum_ideal += ig
        sum_cost += ig if ig >= min_cost else min_cost
        if g != 0:
            results_g += fdiv(g, clog2(2 + sum_cost - sum_results))
        i += 1
    while i < n:
        g = gain(rl[i])
        sum_results += g
        sum_cost += min_cost
        if g != 0:
            results_g += fdiv(g, clog2(2 + sum_cost - sum_results))
        i += 1
    while ideal.gain > 0.0:
        ig = ideal.advance()
        if ig > 0.0:
            sum_ideal += ig
        i += 1
    return [results_g / sum_ideal if sum_ideal > 0.0 else 0.0]


def _ndcg_cut(ctx: Ctx, jr: Judged, cuts: list[int]) -> list[float]:
    sums = [0.0]
    total = 0.0
    for i, r in enumerate(jr.rel_list):
        if r > 0:
            total += r / math.log2(i + 2)
        sums.append(total)
    out = [sums[min(c, jr.num_ret)] for c in cuts]
    k = 0
    lvl = jr.num_rel_levels - 1
    count = 0
    idcg = 0.0
    i = 0
    while True:
        count += 1
        while lvl > 0 and count > jr.level_count(lvl):
            lvl -= 1
            count = 1
        if lvl <= 0:
            break
        if i == cuts[k]:
            if idcg > 0.0:
                out[k] /= idcg
            k += 1
            if k == len(cuts):
                break
        idcg += float(lvl) / math.log2(i + 2)
        i += 1
    while k < len(cuts):
        if idcg > 0.0:
            out[k] /= idcg
        k += 1
    return out


def _binG(ctx: Ctx, jr: Judged, _: Any) -> list[float]:
    level = ctx.relevance_level
    found = 0
    total = 0.0
    for i, r in enumerate(jr.rel_list):
        if r >= level:
            found += 1
            total += 1.0 / math.log2(3 + i - found)
    return [total / jr.num_rel if found else 0.0]


def _rbp_p(pairs: list[tuple[str, float]] | None) -> float:
    p = 0.9
    for name, value in pairs or []:
        if name == "p":
            p = value
    return p


def _rbp(ctx: Ctx, jr: Judged, pairs: Any) -> list[float]:
    p = _rbp_p(pairs)
    gains = setup_gains(jr, pairs)
    lo = min([0.0] + [g.gain for g in gains])
    hi = max([0.0] + [g.gain for g in gains])
    if lo < 0 or hi > 1:
        for g in gains:
            g.gain = (g.gain - lo) / (hi - lo)
    gain = _gain_of(gains)
    total = 0.0
    cur = 1.0
    for r in jr.rel_list:
        gr = gain(r)
        if gr != 0:
            total += gr * cur
        cur = cur * p
    return [(1.0 - p) * total]


def _rbp_resid(ctx: Ctx, jr: Judged, pairs: Any) -> list[float]:
    p = _rbp_p(pairs)
    unj = 0
    total = 0.0
    cur = 1.0
    for r in jr.rel_list:
        if r < 0:
            unj += 1
            total += cur
        cur = cur * p
    return [cur + (1 - p) * total if unj else 0.0]


_CUTS = [5, 10, 15, 20, 30, 100, 200, 500, 1000]
_RECALL_FRACTIONS = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
_RPREC_MULT = [0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0]

MEASURES: list[Measure] = [
    Measure("runid", "runid", _one, average="none", per_query=False),
    Measure("num_q", "long", _one, average="num_q", per_query=False),
    Measure("num_ret", "long", _num_ret, average="sum"),
    Measure("num_rel", "long", _num_rel, average="num_rel"),
    Measure("num_rel_ret", "long", _num_rel_ret, average="sum"),
    Measure("map", "double", _map),
    Measure("gm_map", "double", _gm_map, average="gm", per_query=False),
    Measure("Rprec", "double", _rprec),
    Measure("bpref", "double", _bpref),
    Measure("recip_rank", "double", _recip_rank),
    Measure("iprec_at_recall", "cut_double", _iprec_at_recall, _RECALL_FRACTIONS),
    Measure("P", "cut_long", _P, _CUTS),
    Measure("relstring", "p_double", _relstring, [10.0], average="none"),
    Measure("recall", "cut_long", _recall, _CUTS),
    Measure("infAP", "double", _infap),
    Measure("gm_bpref", "double", _gm_bpref, average="gm", per_query=False),
    Measure("Rprec_mult", "cut_double", _rprec_mult, _RPREC_MULT),
    Measure("utility", "p_double", _utility, [1.0, -1.0, 0.0, 0.0]),
    Measure("11pt_avg", "p_double", _11pt_avg, _RECALL_FRACTIONS),
    Measure("binG", "double", _binG),
    Measure("G", "p_pair", _G, []),
    Measure("dcg", "p_pair", _dcg, []),
    Measure("ideal_dcg", "p_pair", _ideal_dcg, []),
    Measure("ndcg", "p_pair", _ndcg, []),
    Measure("ndcg_rel", "p_pair", _ndcg_rel, []),
    Measure("Rndcg", "p_pair", _rndcg, []),
    Measure("ndcg_cut", "cut_long", _ndcg_cut, _CUTS),
    Measure("map_cut", "cut_long", _map_cut, _CUTS),
    Measure("relative_P", "cut_long", _relative_P, _CUTS),
    Measure("success", "cut_long", _success, [1, 5, 10]),
    Measure("set_P", "double", _set_P),
    Measure("set_relative_P", "double", _set_relative_P),
    Measure("set_recall", "double", _set_recall),
    Measure("set_map", "double", _set_map),
    Measure("set_F", "p_double", _set_F, [1.0]),
    Measure("num_nonrel_judged_ret", "long", _num_nonrel_judged_ret, average="sum"),
    Measure("yaap", "double", _yaap),
    Measure("rbp", "p_pair", _rbp, []),
    Measure("rbp_resid", "p_pair", _rbp_resid, []),
    Measure("unj", "cut_long", _unj, [5, 10, 20]),
]

# Measures trec_eval knows that need a preference or multi-judge qrels format (-R prefs,
# qrels_prefs, qrels_jg); this drop-in does not compute them.
UNSUPPORTED = {
    "prefs_num_prefs_poss", "prefs_num_prefs_ful", "prefs_num_prefs_ful_ret", "prefs_simp",
    "prefs_pair", "prefs_avgjg", "prefs_avgjg_Rnonrel", "prefs_simp_ret", "prefs_pair_ret",
    "prefs_avgjg_ret", "prefs_avgjg_Rnonrel_ret", "prefs_simp_imp", "prefs_pair_imp",
    "prefs_avgjg_imp", "map_avgjg", "P_avgjg", "Rprec_mult_avgjg",
}  # fmt: skip

NICKNAMES: dict[str, list[str]] = {
    "official": [
        "runid", "num_q", "num_ret", "num_rel", "num_rel_ret", "map", "gm_map", "Rprec",
        "bpref", "recip_rank", "iprec_at_recall", "P",
    ],
    "set": [
        "runid", "num_q", "num_ret", "num_rel", "num_rel_ret", "utility", "set_P",
        "set_recall", "set_relative_P", "set_map", "set_F",
    ],
    "all_trec": [
        "runid", "num_q", "num_ret", "num_rel", "num_rel_ret", "map", "gm_map", "Rprec",
        "bpref", "recip_rank", "iprec_at_recall", "P", "relstring", "recall", "unj", "rbp",
        "rbp_resid", "infAP", "gm_bpref", "utility", "11pt_avg", "ndcg", "relative_P",
        "Rprec_mult", "success", "map_cut", "ndcg_cut", "ndcg_rel", "Rndcg", "binG", "G",
        "set_P", "set_recall", "set_relative_P", "set_map", "set_F", "num_nonrel_judged_ret",
    ],
    "all_prefs": [
        "runid", "num_q", "prefs_num_prefs_poss", "prefs_num_prefs_ful",
        "prefs_num_prefs_ful_ret", "prefs_simp", "prefs_pair", "prefs_avgjg",
        "prefs_avgjg_Rnonrel", "prefs_simp_ret", "prefs_pair_ret", "prefs_avgjg_ret",
        "prefs_avgjg_Rnonrel_ret", "prefs_simp_imp", "prefs_pair_imp", "prefs_avgjg_imp",
    ],
    "prefs": [
        "runid", "num_q", "prefs_num_prefs_poss", "prefs_num_prefs_ful",
        "prefs_num_prefs_ful_ret", "prefs_simp", "prefs_pair", "prefs_avgjg",
    ],
    "qrels_jg": ["runid", "num_q", "map_avgjg", "P_avgjg", "Rprec_mult_avgjg"],
}  # fmt: skip
