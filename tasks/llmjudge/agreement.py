"""Agreement of a judge's labels with human labels: Cohen's kappa (4-point and binarised) and
Krippendorff's ordinal alpha, as the LLMJudge organisers' scorer computes them."""

from __future__ import annotations

import numpy as np

from tasks.llmjudge.labels import GRADES, Labels, Pair

THRESHOLDS = {"kappa_0|123": 1, "kappa_01|23": 2, "kappa_012|3": 3}
AGREEMENT_METRICS = ("cohen_kappa", *THRESHOLDS, "krippendorff_alpha")


def cohen_kappa(a: np.ndarray, b: np.ndarray, k: int = GRADES) -> float:
    """Cohen's kappa (unweighted) of two integer label vectors over categories 0..k-1."""
    k = max(k, int(a.max(initial=0)) + 1, int(b.max(initial=0)) + 1)  # raw grades: own category
    cm = np.zeros((k, k))
    np.add.at(cm, (a, b), 1)
    n = cm.sum()
    po = np.trace(cm) / n
    pe = float(cm.sum(axis=1) @ cm.sum(axis=0)) / n**2
    return float((po - pe) / (1 - pe)) if pe < 1 else float("nan")


def krippendorff_alpha_ordinal(a: np.ndarray, b: np.ndarray, k: int = GRADES) -> float:
    """Krippendorff's ordinal alpha for two coders; ``b`` < 0 marks a missing value."""
    ok = (a >= 0) & (b >= 0)
    a, b = a[ok], b[ok]
    o = np.zeros((k, k))  # coincidence matrix: each pairable unit adds (a,b) and (b,a)
    np.add.at(o, (a, b), 1)
    np.add.at(o, (b, a), 1)
    nc = o.sum(axis=1)
    n = nc.sum()
    cum = np.concatenate([[0.0], np.cumsum(nc)])
    d2 = np.zeros((k, k))
    for c in range(k):
        for e in range(c, k):
            d2[c, e] = d2[e, c] = (cum[e + 1] - cum[c] - (nc[c] + nc[e]) / 2) ** 2
    do = (o * d2).sum()
    de = (np.outer(nc, nc) * d2).sum() / (n - 1)
    return float(1 - do / de) if de > 0 else float("nan")


def kappa_as_submitted(human: dict[Pair, int], labels: Labels) -> float:
    """4-point kappa with out-of-range grades kept as their own categories (not clipped)."""
    keys = sorted(human)
    h = np.array([human[p] for p in keys])
    j = np.array([max(labels.out_of_range.get(p, labels.grades.get(p, 0)), 0) for p in keys])
    return cohen_kappa(h, j)


def agreement(human: dict[Pair, int], judge: dict[Pair, int]) -> dict[str, float]:
    """Kappa (4-point and binarised) and ordinal alpha over the human pairs."""
    keys = sorted(human)
    h = np.array([human[p] for p in keys])
    j_alpha = np.array([judge.get(p, -1) for p in keys])
    j = np.maximum(j_alpha, 0)
    out = {"cohen_kappa": cohen_kappa(h, j)}
    for name, t in THRESHOLDS.items():
        out[name] = cohen_kappa((h >= t).astype(int), (j >= t).astype(int), 2)
    out["krippendorff_alpha"] = krippendorff_alpha_ordinal(h, j_alpha)
    return out
