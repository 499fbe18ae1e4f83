"""Seeded random qrels and runs for the differential tests against a compiled trec_eval:
ties, near-ties that only double precision separates, negative grades, unjudged documents,
queries missing from the run or from the qrels, odd whitespace."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

SCORES = ["1", "1.0", "1.00000001", "0.5", "-0.5", "2e-3", "0.002", "3", "10", "-1e1",
          "0.1234567890123456789012345678901234567890", "0.12345678901234567", "7", "0",
          "inf", "-inf", "1e400", "0x1p-2", "0x10", "1e", "abc", "5.5xyz", "+3", "-0"]  # fmt: skip

ENDINGS = ["", " ", "\r"]

MEASURE_FLAGS = [
    [],
    ["-m", "all_trec"],
    ["-m", "all_trec", "-q"],
    ["-q", "-m", "ndcg.1=3,2=9", "-m", "ndcg_cut.10,20,23.4", "-m", "iprec_at_recall..10,.20"],
    ["-q", "-m", "Rprec_mult.5.0,0.2", "-m", "utility.2,-1,0,0", "-m", "11pt_avg..25,.5"],
    ["-q", "-m", "relstring.20", "-m", "success.2,5", "-m", "P.1,3,7", "-m", "recall.2,4"],
    ["-q", "-m", "rbp.p=0.8", "-m", "rbp_resid.p=0.5", "-m", "G.1=2,3=1", "-m", "Rndcg"],
    ["-q", "-m", "dcg", "-m", "ideal_dcg", "-m", "ndcg_rel", "-m", "yaap", "-m", "binG"],
    ["-q", "-m", "map_cut.1,2,3", "-m", "relative_P.2,8", "-m", "unj.1,4", "-m", "set"],
    ["-q", "-m", "all_trec", "-l", "2"],
    ["-q", "-m", "all_trec", "-J"],
    ["-q", "-m", "all_trec", "-M", "5"],
    ["-q", "-m", "all_trec", "-N", "1000", "-m", "utility.1,-1,0.5,0.1"],
    ["-m", "official", "-n", "-q"],
    ["-q", "-m", "ndcg.0=1,1=0.5,2=4,3=2.5", "-m", "G.0=1,1=0.5,2=4,3=2.5"],
    ["-q", "-m", "rbp.p=0.8,1=3,2=0.5"],
    ["-q", "-m", "all_trec", "-l", "0"],
    ["-q", "-m", "all_trec", "-l", "-1"],
    ["-q", "-m", "all_trec", "-M", "0"],
    ["-q", "-m", "all_trec", "-J", "-l", "2"],
    ["-q", "-m", "ndcg_cut.1,2,3,1000", "-m", "Rprec_mult.0.1,3,10", "-m", "relstring.3"],
    ["-q", "-m", "ndcg.1=0,2=-1", "-m", "ndcg_rel.3=0.2", "-m", "Rndcg.2=0", "-m", "G.1=-2"],
]


def write_case(folder: Path, seed: int) -> tuple[Path, Path]:
    """Write ``qrels`` and ``run`` for one seed; every judged query is in the run."""
    rng = random.Random(seed)
    n_q = rng.randint(1, 8)
    pool = [f"d{i}" for i in range(rng.randint(3, 40))]
    qrel_lines: list[str] = []
    run_lines: list[str] = []
    max_grade = rng.choice([1, 1, 2, 3, 12])
    for q in range(n_q):
        qid = f"{rng.choice(['q', 'Q', '1', 'x_'])}{q}"
        judged = rng.sample(pool, rng.randint(1, len(pool)))
        grades = [rng.randint(-2, max_grade) for _ in judged]
        if max(grades) < 0:
            grades[0] = 0
        in_qrels = rng.random() > 0.1
        if in_qrels:
            for d, g in zip(judged, grades, strict=True):
                sep = rng.choice([" ", "\t", "  "])
                end = rng.choice(ENDINGS)
                qrel_lines.append(f"{qid}{sep}0{sep}{d}{sep}{g}{end}")
        docs = rng.sample(pool, rng.randint(1, len(pool)))
        for rank, d in enumerate(docs, 1):
            score = rng.choice(SCORES) if rng.random() < 0.6 else f"{rng.random():.3f}"
            tag = rng.choice(["run", "tag2"])
            run_lines.append(f"{qid} Q0 {d} {rank} {score} {tag}")
    if not qrel_lines:
        qrel_lines.append("q0 0 d0 1")
        run_lines.append("q0 Q0 d0 1 1 run")
    rng.shuffle(qrel_lines)
    rng.shuffle(run_lines)
    qrels = folder / f"qrels.{seed}"
    run = folder / f"run.{seed}"
    qrels.write_text("\n".join(qrel_lines) + "\n", encoding="latin-1")
    run.write_text("\n".join(run_lines) + "\n", encoding="latin-1")
    return qrels, run
