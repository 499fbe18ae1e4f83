"""One query's ranking joined with its judgments, the way trec_eval 10.0 forms it.

Documents are ranked by score, highest first, ties broken by docno in *decreasing* ``strcmp``
order; scores are compared as doubles. The ranking is cut at ``-M``. A retrieved document
absent from the qrels is "not in the pool" (-1); one judged with a negative grade is "in the
pool but unjudged" (-2). Relevant means a grade >= ``-l``. With ``-J`` the unjudged documents
are dropped and the ranks close up.

trec_eval keeps the per-grade counts in a buffer that only grows and is cleared only up to the
current query's highest grade; two measures (bpref with ``-l`` above every grade of a query,
and the grade count of a query whose every judgment is negative) read past that point and see
earlier queries' counts. ``JudgedState`` keeps that buffer so the results match.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ir_harness.trec_eval.errors import TrecEvalError

NONPOOL = -1
UNJUDGED = -2


@dataclass
class Judged:
    """What every measure reads for one query (trec_eval's RES_RELS)."""

    rel_list: list[int]
    num_ret: int
    num_rel: int
    num_rel_ret: int
    num_nonpool: int
    num_unjudged_in_pool: int
    rel_levels: list[int]
    num_rel_levels: int

    def level_count(self, level: int) -> int:
        """Judged documents at ``level`` (0 past the end of the buffer)."""
        return self.rel_levels[level] if 0 <= level < len(self.rel_levels) else 0


@dataclass
class JudgedState:
    """State trec_eval carries from one query to the next (see the module docstring)."""

    rel_levels: list[int] = field(default_factory=list)
    num_rel_levels: int = 0


class DuplicateDocError(TrecEvalError):
    """A docno appears twice in one query's ranking (within ``-M``) or in its qrels."""

    def __init__(self, docno: bytes, in_qrels: bool) -> None:
        self.docno = docno.decode("latin-1")
        self.in_qrels = in_qrels
        super().__init__(f"duplicate docs {self.docno}", 4)


def rank(docs: list[bytes], sims: list[float], max_docs: int) -> list[bytes]:
    """Docnos in trec_eval's rank order, cut at ``max_docs``."""
    order = sorted(zip(sims, docs, strict=True), reverse=True)
    if len(order) > max_docs:
        order = order[: max(max_docs, 0)]
    return [d for _, d in order]


def form_judged(
    ranked: list[bytes],
    qrel_docs: list[bytes],
    qrel_rels: list[int],
    relevance_level: int,
    judged_only: bool,
    state: JudgedState,
) -> Judged:
    """Join a ranked list with the query's judgments (docnos sorted, as the reader leaves them)."""
    if len(set(ranked)) != len(ranked):
        seen: set[bytes] = set()
        dups = sorted({d for d in ranked if d in seen or seen.add(d)})  # type: ignore[func-returns-value]
        raise DuplicateDocError(dups[0], in_qrels=False)
    for i in range(1, len(qrel_docs)):
        if qrel_docs[i] == qrel_docs[i - 1]:
            raise DuplicateDocError(qrel_docs[i], in_qrels=True)
    max_rel = max(qrel_rels)
    buf = state.rel_levels
    need = max_rel + 1
    if need > len(buf):
        buf = state.rel_levels = [0] * (len(buf) + need)
    for i in range(max(need, 0)):
        buf[i] = 0
    for r in qrel_rels:
        if r >= 0:
            buf[r] += 1
    judgments = dict(zip(qrel_docs, qrel_rels, strict=True))
    rel_list: list[int] = []
    num_nonpool = num_unjudged = num_rel_ret = 0
    for d in ranked:
        found = judgments.get(d)
        if found is None:
            if judged_only:
                continue
            rel_list.append(NONPOOL)
            num_nonpool += 1
            continue
        r = found
        if r < 0:
            if judged_only:
                continue
            rel_list.append(UNJUDGED)
            num_unjudged += 1
        else:
            rel_list.append(r)
            if r >= relevance_level:
                num_rel_ret += 1
    if judged_only:
        num_nonpool = num_unjudged = 0
    num_rel = 0
    for i in range(max(need, 0)):
        if buf[i]:
            state.num_rel_levels = i + 1
            if i >= relevance_level:
                num_rel += buf[i]
    return Judged(
        rel_list=rel_list,
        num_ret=len(rel_list),
        num_rel=num_rel,
        num_rel_ret=num_rel_ret,
        num_nonpool=num_nonpool,
        num_unjudged_in_pool=num_unjudged,
        rel_levels=buf,
        num_rel_levels=state.num_rel_levels,
    )
