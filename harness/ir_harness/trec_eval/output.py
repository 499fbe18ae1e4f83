"""What trec_eval prints: its number formats, its line layout and the summary over queries."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ir_harness.trec_eval.options import Options
    from ir_harness.trec_eval.readers import Qrels


def fmt_double(v: float) -> str:
    """C ``%6.4f`` (NaN keeps its sign, as glibc prints it)."""
    if math.isnan(v):
        return ("-nan" if math.copysign(1.0, v) < 0 else "nan").rjust(6)
    return f"{v:6.4f}"


def fmt_long(v: float) -> str:
    """C ``%ld`` of ``(long) v``."""
    if math.isnan(v) or math.isinf(v):
        return str(-(2**63))
    return str(int(v))


def line(name: str, qid: str, value: str) -> str:
    """One output line as trec_eval prints it, ``%-22s<TAB>%s<TAB>%s`` (per query and ``all``)."""
    return f"{name:<22}\t{qid}\t{value}\n"


def summary(
    opts: Options,
    qrels: Qrels,
    run: Any,
    actives: Sequence[Any],
    totals: list[list[float]],
    num_queries: int,
    write: Callable[[str], None],
) -> None:
    """The ``all`` lines: each measure's totals averaged as trec_eval does (``-c`` divides by
    every judged query and counts a missing one as 0.00001 in a geometric mean)."""
    n = len(qrels.qids) if opts.complete else num_queries
    out: list[str] = []
    for a, tot in zip(actives, totals, strict=True):
        m = a.measure
        avg = m.average
        if avg == "mean":
            tot = [t / n for t in tot] if n else tot
        elif avg == "gm":
            s = tot[0]
            if opts.complete:
                s += (n - num_queries) * math.log(0.00001)
            tot = [math.exp(s / n)]
        elif avg == "num_q":
            tot = [float(n)]
        elif avg == "num_rel" and opts.complete:
            tot = [float(sum(1 for q in qrels.qids for r in qrels.rels[q] if r > 0))]
        if not opts.summary or m.name == "relstring":
            continue
        if m.shape == "runid":
            out.append(line("runid", "all", run.runid))
        elif m.shape == "long":
            out.append(line(a.names[0], "all", fmt_long(tot[0])))
        else:
            out.extend(line(nm, "all", fmt_double(v)) for nm, v in zip(a.names, tot, strict=True))
    write("".join(out))
