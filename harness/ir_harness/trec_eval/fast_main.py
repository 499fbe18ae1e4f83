"""The vectorised engine: the same evaluation as ``main._run_queries``, all queries at once.

``main.evaluate`` tries it first for command lines it covers (``covers``); it declines
(returns ``False`` before writing anything) on input the reference engine must handle, which
then runs and gives trec_eval's output or error exactly. Per-query values, their sums over
queries (sequential, qrels order) and the summary lines are those of the reference engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ir_harness.trec_eval.fast_judged import build
from ir_harness.trec_eval.fast_measures import FAST, TAKES_PARAMS, Block, relstring_texts
from ir_harness.trec_eval.output import fmt_double, summary

if TYPE_CHECKING:
    from collections.abc import Callable

    from ir_harness.trec_eval.fast_read import FastRun
    from ir_harness.trec_eval.measures import Active
    from ir_harness.trec_eval.options import Options
    from ir_harness.trec_eval.readers import Qrels

BLOCK = 256


def covers(opts: Options, marked: set[str], meas_args: list[tuple[str, str]]) -> bool:
    """Whether the command line is one the vectorised engine computes."""
    if opts.debug_query is not None or opts.relevance_level < 0:
        return False
    if any(name not in FAST for name in marked):
        return False
    return all(name in TAKES_PARAMS for name, _ in meas_args)


class _RunId:
    def __init__(self, runid: str) -> None:
        self.runid = runid


def evaluate_fast(
    opts: Options, qrels: Qrels, run: FastRun, actives: list[Active], write: Callable[[str], None]
) -> bool:
    """Evaluate and write everything, or return ``False`` having written nothing."""
    segments: dict[str, list[tuple[int, int]]] = {}
    for qid, s, e in zip(run.seg_qids, run.bounds[:-1], run.bounds[1:], strict=True):
        segments.setdefault(qid, []).append((s, e))
    sims = run.sims + 0.0  # -0.0 ranks as 0.0, as doubles compare
    if bool(np.isnan(sims).any()):
        return False
    qids = qrels.qids
    m = build(
        qids, run.docnos, sims, segments, qrels,
        opts.relevance_level, opts.judged_only, opts.max_docs,
    )  # fmt: skip
    if m is None:
        return False
    scored = [a for a in actives if a.measure.shape != "runid"]
    parts: list[list[np.ndarray]] = [[] for _ in scored]
    texts: list[str] = []
    for start in range(0, len(qids), BLOCK):
        block = Block(m, slice(start, start + BLOCK), opts.relevance_level, opts.num_docs_in_coll)
        for k, a in enumerate(scored):
            parts[k].append(FAST[a.measure.name](block, a.params))
            if a.measure.name == "relstring" and opts.query_flag:
                texts.extend(relstring_texts(block, a.params))
    values = [np.concatenate(p, axis=0) for p in parts]
    if opts.query_flag:
        write(_per_query(qids, scored, values, texts))
    by_active = {id(a): v for a, v in zip(scored, values, strict=True)}
    totals = []
    for a in actives:
        v = by_active.get(id(a))
        if v is None:
            totals.append([0.0] * len(a.names))
            continue
        acc = np.add.accumulate(np.vstack([np.zeros((1, v.shape[1])), v]), axis=0)
        totals.append(acc[-1].tolist())
    summary(opts, qrels, _RunId(run.runid), actives, totals, len(qids), write)
    return True


def _per_query(
    qids: list[str], scored: list[Active], values: list[np.ndarray], texts: list[str]
) -> str:
    """trec_eval's ``-q`` lines, query by query: one %-template per query (``%6.4f`` is C's
    ``%6.4f`` for every double but NaN, whose sign glibc prints; those columns go as text)."""
    template: list[str] = []
    columns: list[list[Any]] = []
    for a, vals in zip(scored, values, strict=True):
        m = a.measure
        if not m.per_query:
            continue
        if m.name == "relstring":
            template.append(f"{a.names[0]:<22}".replace("%", "%%") + "\t%s\t%s\n")
            columns += [qids, [f"'{t}'" for t in texts]]
            continue
        for k, name in enumerate(a.names):
            col = vals[:, k]
            head = f"{name:<22}".replace("%", "%%") + "\t%s\t"
            if m.shape == "long":
                template.append(head + "%d\n")
                columns += [qids, col.astype(np.int64).tolist()]
            elif bool(np.isnan(col).any()):
                template.append(head + "%s\n")
                columns += [qids, [fmt_double(v) for v in col.tolist()]]
            else:
                template.append(head + "%6.4f\n")
                columns += [qids, col.tolist()]
    if not template:
        return ""
    tpl = "".join(template)
    return "".join([tpl % row for row in zip(*columns, strict=True)])
