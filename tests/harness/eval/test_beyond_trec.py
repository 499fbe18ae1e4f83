"""Judged@k, ERR@k, RBP (and its residual) and nDCG' per query against their references.

References: ir_measures' own providers where it has one (``judged`` for Judged@k, ``pytrec_eval``
for nDCG with ``judged_only``, ``gdeval`` for ERR, which prints five decimals), and the
definitions written out here as plain loops (ERR to 1e-9, RBP and its residual, which no
installed ir_measures provider computes). Cases are seeded random runs with tied scores,
negative grades, unjudged documents, judged queries the run misses and run queries nobody
judged. The references get each list in trec_eval's order (float32 score desc, doc id desc) as
distinct scores, so they check the definitions, not a tie convention.
"""

from __future__ import annotations

import random
import shutil

import numpy as np
import pytest

from ir_harness.eval.score import score

ir_measures = pytest.importorskip("ir_measures")

Run = dict[str, dict[str, float]]
Qrels = dict[str, dict[str, int]]


def random_case(seed: int) -> tuple[Run, Qrels]:
    rng = random.Random(seed)
    docs = [f"d{i}" for i in range(60)]
    qrels: Qrels = {}
    run: Run = {}
    for q in range(1, 25):
        qid = str(q)
        if q % 7 != 0:  # every 7th query unjudged
            judged = rng.sample(docs, rng.randint(1, 25))
            qrels[qid] = {d: rng.choice([-1, 0, 0, 1, 1, 2, 3, 4]) for d in judged}
        if q % 5 != 0:  # every 5th query missing from the run
            ranked = rng.sample(docs, rng.randint(1, 40))
            run[qid] = {d: round(rng.uniform(0, 3), 1) for d in ranked}  # ties
    return run, qrels


def trec_order(run: Run) -> Run:
    """Each list as distinct scores in trec_eval's order: float32 score desc, doc id desc."""
    out: Run = {}
    for q, docs in run.items():
        by_doc = sorted(docs, reverse=True)
        ordered = sorted(by_doc, key=lambda d: -float(np.float32(docs[d])))
        out[q] = {d: float(len(ordered) - i) for i, d in enumerate(ordered)}
    return out


def reference(provider: object, measure: object, qrels: Qrels, run: Run) -> dict[str, float]:
    return {m.query_id: m.value for m in provider.iter_calc([measure], qrels, trec_order(run))}  # type: ignore[attr-defined]


def check(ours: dict[str, float], ref: dict[str, float], qrels: Qrels, run: Run,
          missing: float = 0.0, tol: float = 1e-9) -> None:  # fmt: skip
    both = {q for q in qrels if qrels[q] and q in run}
    assert both and both <= set(ref) <= set(qrels)  # ir_measures also reports missing ones (0)
    for q in ref:
        assert ours[q] == pytest.approx(ref[q], abs=tol), q
    for q in set(qrels) - set(run):  # judged, unanswered: counted (trec_eval -c)
        assert ours[q] == missing
    assert not set(ours) - set(qrels)  # unjudged run queries never count


SEEDS = range(6)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("k", [5, 10, 100])
def test_judged_at_k_matches_ir_measures(seed: int, k: int) -> None:
    run, qrels = random_case(seed)
    ours = score(run, qrels, [f"Judged@{k}"], per_query=True)[f"judged@{k}"]
    ref = reference(ir_measures.judged, ir_measures.Judged @ k, qrels, run)
    check(ours, ref, qrels, run)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("k", [5, 10, 20])
def test_condensed_ndcg_matches_pytrec_eval_judged_only(seed: int, k: int) -> None:
    run, qrels = random_case(seed)
    ours = score(run, qrels, [f"nDCG@{k}(judged_only)"], per_query=True)[f"ndcg@{k}(judged_only)"]
    measure = ir_measures.nDCG(judged_only=True) @ k
    ref = reference(ir_measures.pytrec_eval, measure, qrels, run)
    check(ours, ref, qrels, run)
    plain = score(run, qrels, [f"nDCG@{k}"], per_query=True)[f"ndcg@{k}"]
    assert any(plain[q] != ours[q] for q in ours)  # the condensing changed something


def err_by_hand(run: Run, qrels: Qrels, k: int) -> dict[str, float]:
    """Chapelle's ERR with gdeval's gains: (2**g - 1) / 2**4, negative grades 0."""
    out = {}
    for q, docs in trec_order(run).items():
        if not qrels.get(q):
            continue
        ranking = sorted(docs, key=lambda d: -docs[d])[:k]
        value, reach = 0.0, 1.0
        for i, d in enumerate(ranking):
            r = (2 ** max(qrels[q].get(d, 0), 0) - 1) / 16
            value += reach * r / (i + 1)
            reach *= 1 - r
        out[q] = value
    return out


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("k", [5, 20])
def test_err_matches_its_definition_and_gdeval(seed: int, k: int) -> None:
    run, qrels = random_case(seed)
    ours = score(run, qrels, [f"ERR@{k}"], per_query=True)[f"err@{k}"]
    check(ours, err_by_hand(run, qrels, k), qrels, run)
    if shutil.which("perl"):  # ir_measures' ERR provider is gdeval.pl: five decimals
        check(ours, reference(ir_measures.gdeval, ir_measures.ERR @ k, qrels, run), qrels, run,
              tol=6e-6)  # fmt: skip


def rbp_by_hand(run: Run, qrels: Qrels, p: float, rel: int) -> dict[str, tuple[float, float]]:
    """(RBP, residual): residual = weight of unjudged ranks plus everything past the list."""
    out = {}
    for q, docs in trec_order(run).items():
        if not qrels.get(q):
            continue
        ranking = sorted(docs, key=lambda d: -docs[d])
        value = residual = 0.0
        for i, d in enumerate(ranking):
            w = (1 - p) * p**i
            if d not in qrels[q]:
                residual += w
            elif qrels[q][d] >= rel:
                value += w
        out[q] = (value, residual + p ** len(ranking))
    return out


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("p", "rel"), [(0.8, 1), (0.5, 2), (0.95, 1)])
def test_rbp_and_residual_match_their_definition(seed: int, p: float, rel: int) -> None:
    run, qrels = random_case(seed)
    name = f"RBP(p={p},rel={rel})" if rel > 1 else f"RBP(p={p})"
    got = score(run, qrels, [name], per_query=True)
    key = f"rbp(p={p},rel={rel})" if rel > 1 else f"rbp(p={p})"
    ref = rbp_by_hand(run, qrels, p, rel)
    check(got[key], {q: v for q, (v, _) in ref.items()}, qrels, run)
    residual = got[key.replace("rbp", "rbp_residual")]
    check(residual, {q: r for q, (_, r) in ref.items()}, qrels, run, missing=1.0)


def test_rbp_hand_computed_case() -> None:
    """One list worked on paper: relevant, unjudged, non-relevant, relevant; p = 0.5."""
    run = {"q": {"a": 4.0, "b": 3.0, "c": 2.0, "d": 1.0}}
    qrels = {"q": {"a": 1, "c": 0, "d": 2}}
    got = score(run, qrels, ["RBP(p=0.5)"])
    assert got["rbp(p=0.5)"] == pytest.approx(0.5 * (1 + 0.125))  # ranks 1 and 4
    assert got["rbp_residual(p=0.5)"] == pytest.approx(0.5 * 0.5 + 0.5**4)  # rank 2 + tail


def test_judged_counts_negative_grades_and_short_lists() -> None:
    run = {"q": {"a": 3.0, "b": 2.0, "c": 1.0}}
    qrels = {"q": {"a": -1, "c": 0}}
    got = score(run, qrels, ["Judged@10", "Judged@2"])
    assert got == {"judged@10": pytest.approx(2 / 3), "judged@2": 0.5}
