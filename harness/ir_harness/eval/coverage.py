"""How much of a run and of the qrels meet, so a score of 0.0 is never silently meaningless.

An empty run, a run none of whose queries the task judges, or qrels with no judgements would all
score 0.0; those are errors. A partial overlap is scored (missing queries count 0, as trec_eval
with ``-c``) but warned about, and the counts travel with the result.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ir_harness.data.formats import read_trec_qrels
from ir_harness.errors import DataFormatError

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from collections.abc import Container, Iterable, Mapping
    from pathlib import Path

    from ir_harness.data.model import Qrels, Run


def _examples(ids: Iterable[str]) -> str:
    some = sorted(ids)[:3]
    return ", ".join(repr(i) for i in some) + (" ..." if len(some) == 3 else "")


def run_coverage(
    run: Mapping[str, Any],
    qrels: Qrels,
    run_name: str | Path,
    qrels_name: str,
    known: Iterable[str] = (),
) -> dict[str, int]:
    """Counts of queries in the run, judged, and both; raises when nothing could be scored."""
    judged = {q for q, docs in qrels.items() if docs}
    known_ids = set(known) | set(qrels)
    ranked = {q for q, docs in run.items() if docs}
    counts = {
        "run_queries": len(ranked),
        "judged_queries": len(judged),
        "scored_queries_in_run": len(ranked & judged),
        "run_queries_unknown": len(ranked - known_ids),
        "judged_queries_missing_from_run": len(judged - ranked),
    }
    if not judged:
        raise DataFormatError(qrels_name, None, "has no judged queries", "at least one judgement")
    if not ranked:
        raise DataFormatError(run_name, None, "holds no rankings", "six-column TREC run lines")
    if not ranked & judged:
        raise DataFormatError(
            run_name,
            None,
            f"none of its {len(ranked)} query ids is judged by {qrels_name}"
            f" (run has {_examples(ranked)}; judged are {_examples(judged)})",
            "the task's query ids",
        )
    if counts["run_queries_unknown"]:
        log.warning(
            "%s: %d of %d query ids are not queries of %s (e.g. %s); they are ignored",
            run_name,
            counts["run_queries_unknown"],
            len(ranked),
            qrels_name,
            _examples(ranked - known_ids),
        )
    if counts["judged_queries_missing_from_run"]:
        log.warning(
            "%s: %d of %d judged queries are missing from the run and score 0",
            run_name,
            counts["judged_queries_missing_from_run"],
            len(judged),
        )
    return counts


def read_judge_qrels_checked(path: str | Path, human: Qrels) -> tuple[Qrels, dict[str, int]]:
    """Judge-made qrels restricted to the human pool (``ir_harness.data.formats.read_judge_qrels``), refusing
    a file with no labels and counting the human pairs it leaves unlabelled (scored as 0)."""
    judged = read_trec_qrels(path)
    if not any(judged.values()):
        raise DataFormatError(path, None, "holds no judgements", "qid 0 docid grade lines")
    pairs = [(q, d) for q, docs in human.items() for d in docs]
    labelled = sum(1 for q, d in pairs if d in judged.get(q, {}))
    counts = {"judge_pairs_labelled": labelled, "judge_pairs_pool": len(pairs)}
    if labelled == 0:
        raise DataFormatError(
            path, None, "labels none of the task's judged (query, document) pairs", "the same ids"
        )
    if labelled < len(pairs):
        log.warning(
            "%s labels %d of %d judged pairs; the other %d count as grade 0",
            path,
            labelled,
            len(pairs),
            len(pairs) - labelled,
        )
    return {q: {d: judged.get(q, {}).get(d, 0) for d in docs} for q, docs in human.items()}, counts


def empty_rankings(run: Run, system: str) -> int:
    """How many queries a system returned nothing for; all of them is an error, not a 0.0."""
    empty = sum(1 for docs in run.values() if not docs)
    if run and empty == len(run):
        raise DataFormatError(
            f"system {system}",
            None,
            f"returned no documents for any of the {len(run)} queries",
            "at least one ranked document",
        )
    if empty:
        log.warning(
            "%s returned no documents for %d of %d queries (they score 0)", system, empty, len(run)
        )
    return empty


def unknown_documents(run: Run, corpus: Container[str], system: str) -> int:
    """How many ranked documents the corpus does not hold (another corpus's ids, a typo): kept
    as ranked (they count as non-relevant, as trec_eval counts them) but said, with examples."""
    ranked = [d for docs in run.values() for d in docs]
    # the corpus store checks them in one pass (one ``in`` per id reads a row each)
    batched = getattr(corpus, "missing_ids", None)
    absent = batched(ranked) if batched else {d for d in set(ranked) if d not in corpus}
    strays = [d for d in ranked if d in absent]
    if strays:
        log.warning(
            "%s ranked %d documents that are not in the corpus (e.g. %s); they count as "
            "non-relevant",
            system,
            len(strays),
            _examples(set(strays)),
        )
    return len(strays)
