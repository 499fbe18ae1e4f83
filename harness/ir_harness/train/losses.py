"""Training losses as small pure functions of score tensors, each tested on hand-computed cases.

Conventions: ``scores`` is a (queries x passages) matrix of similarities (cosine unless a model
says otherwise); ``scale`` multiplies scores before the loss (1/temperature, 20 = 1/0.05).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint


# ---------------------------------------------------------------- InfoNCE / MNRL
def infonce_loss(
    scores: torch.Tensor,
    targets: torch.Tensor,
    scale: float = 20.0,
    ignore: torch.Tensor | None = None,
) -> torch.Tensor:
    """In-batch contrastive cross-entropy: row i's correct column is ``targets[i]``.

    ``ignore`` (bool, same shape) removes cells from the softmax, e.g. other positives of the
    same query that happen to sit in the batch (false negatives); the target cell is always kept.
    """
    logits = scores * scale
    if ignore is not None:
        keep_target = F.one_hot(targets, scores.shape[1]).bool()
        logits = logits.masked_fill(ignore & ~keep_target, float("-inf"))
    return F.cross_entropy(logits, targets)


# ---------------------------------------------------------------- MW (AUC) loss
def _pair_softplus_sum(pos: torch.Tensor, neg: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return F.softplus(-(pos[:, None] - neg[None, :]) * scale).sum()


def mw_loss(
    scores: torch.Tensor,
    positive: torch.Tensor,
    scale: float = 20.0,
    chunk_size: int | None = 1024,
    within_query: bool = False,
) -> torch.Tensor:
    """Mann-Whitney (AUC) surrogate: mean of log(1 + exp(-(S_p - S_n) * scale)).

    Global form (the paper's): every positive cell against every negative cell of the whole
    batch, so scores become comparable across queries. ``within_query`` restricts pairs to the
    same row (the ablation). Chunking walks the positives ``chunk_size`` at a time and
    recomputes each chunk in backward (activation checkpointing), so memory stays at
    chunk_size x |negatives| instead of |positives| x |negatives|; the value is identical.
    """
    positive = positive.bool()
    s = torch.as_tensor(scale, dtype=scores.dtype, device=scores.device)
    if within_query:
        total = scores.new_zeros(())
        n_pairs = 0
        for i in range(scores.shape[0]):
            p, n = scores[i][positive[i]], scores[i][~positive[i]]
            if len(p) and len(n):
                total = total + _chunked(p, n, s, chunk_size)
                n_pairs += len(p) * len(n)
        if n_pairs == 0:
            return scores.sum() * 0.0
        return total / n_pairs
    p, n = scores[positive], scores[~positive]
    if len(p) == 0 or len(n) == 0:
        return scores.sum() * 0.0
    return _chunked(p, n, s, chunk_size) / (len(p) * len(n))


def _chunked(
    p: torch.Tensor, n: torch.Tensor, s: torch.Tensor, chunk_size: int | None
) -> torch.Tensor:
    if not chunk_size or len(p) <= chunk_size:
        return _pair_softplus_sum(p, n, s)
    total = p.new_zeros(())
    for start in range(0, len(p), chunk_size):
        part = p[start : start + chunk_size]
        if torch.is_grad_enabled() and (part.requires_grad or n.requires_grad):
            total = total + checkpoint(_pair_softplus_sum, part, n, s, use_reentrant=False)
        else:
            total = total + _pair_softplus_sum(part, n, s)
    return total


# ---------------------------------------------------------------- PG-Rank
def gumbel_rankings(
    scores: torch.Tensor, n: int, generator: torch.Generator | None = None
) -> torch.Tensor:
    """``n`` rankings sampled exactly from the Plackett-Luce policy softmax(scores): perturb with
    i.i.d. Gumbel(0, 1) noise and sort descending. Returns (n, M) item indices."""
    u = torch.rand((n, scores.shape[-1]), generator=generator, device=scores.device)
    u = u.clamp_(min=1e-12, max=1.0 - 1e-7)
    gumbel = -torch.log(-torch.log(u))
    return torch.argsort(scores.detach()[None, :].float() + gumbel, dim=-1, descending=True)


def plackett_luce_log_prob(
    scores: torch.Tensor, rankings: torch.Tensor, k: int | None = None
) -> torch.Tensor:
    """log pi(r) = sum_i [s_{r_i} - logsumexp(s_{r_i}, ..., s_{r_M})] over the first ``k`` places.

    The denominators are a reverse cumulative log-sum-exp of the permuted scores (no exp of raw
    scores, so large scores cannot overflow). ``rankings`` is (n, M); returns (n,).
    """
    ordered = scores[rankings]  # (n, M)
    rev_lse = torch.logcumsumexp(ordered.flip(-1), dim=-1).flip(-1)
    per_place = ordered - rev_lse
    if k is not None:
        per_place = per_place[:, :k]
    return per_place.sum(-1)


def ndcg_at_k(gains: torch.Tensor, rankings: torch.Tensor, k: int = 10) -> torch.Tensor:
    """nDCG@k of each ranking with linear gains (trec_eval's, which the evaluation uses).

    ``gains`` (M,) are graded relevances of the candidates; the ideal ranking is taken over the
    same candidate set. Returns (n,); 0 where the set has no relevant item.
    """
    g = gains.float()
    m = rankings.shape[-1]
    kk = min(k, m)
    discount = 1.0 / torch.log2(torch.arange(kk, device=g.device, dtype=torch.float32) + 2.0)
    dcg = (g[rankings[:, :kk]] * discount).sum(-1)
    ideal = (torch.sort(g, descending=True).values[:kk] * discount).sum()
    if ideal <= 0:
        return torch.zeros_like(dcg)
    return dcg / ideal


def pgrank_loss(
    scores: torch.Tensor,
    gains: torch.Tensor,
    rankings: torch.Tensor,
    k: int = 10,
    scale: float = 1.0,
) -> torch.Tensor:
    """REINFORCE on nDCG@k with a leave-one-out baseline, for one query's candidate set.

    loss = -(1/N) sum_n (Delta(r_n) - b_n) log pi(r_n), b_n = mean_{m != n} Delta(r_m); only the
    top-k places enter log pi (the utility reads nothing below them). With N = 1 there is no
    baseline and the raw utility weighs the log-probability.
    """
    with torch.no_grad():
        util = ndcg_at_k(gains, rankings, k)
        n = util.shape[0]
        baseline = (util.sum() - util) / (n - 1) if n > 1 else torch.zeros_like(util)
        advantage = util - baseline
    logp = plackett_luce_log_prob(scores * scale, rankings, k)
    return -(advantage.to(logp.dtype) * logp).mean()


# ---------------------------------------------------------------- CoSENT (STS fine-tuning)
def cosent_loss(cos: torch.Tensor, gold: torch.Tensor, scale: float = 20.0) -> torch.Tensor:
    """CoSENT: log(1 + sum over pairs (i, j) with gold_i > gold_j of exp(scale (cos_j - cos_i)))."""
    diff = (cos[None, :] - cos[:, None]) * scale  # [i, j] = s (cos_j - cos_i)
    mask = gold[:, None] > gold[None, :]
    diff = diff.masked_fill(~mask, float("-inf"))
    flat = torch.cat([diff.new_zeros(1), diff.flatten()])
    return torch.logsumexp(flat, dim=0)


# ---------------------------------------------------------------- distillation towards a teacher
def kl_to_teacher(
    teacher: torch.Tensor, student: torch.Tensor, temperature: float = 1.0
) -> torch.Tensor:
    """KL(softmax(teacher/T) || softmax(student/T)) per row, averaged (batchmean); teacher
    detached, as in Starbucks' retrieval trainer."""
    t = F.log_softmax(teacher.detach() / temperature, dim=-1)
    s = F.log_softmax(student / temperature, dim=-1)
    return F.kl_div(s, t, log_target=True, reduction="batchmean")


def embedding_kl(
    teacher: torch.Tensor, student: torch.Tensor, dim: int | None = None
) -> torch.Tensor:
    """Starbucks' STS KL, as the authors' code computes it (ielab/Starbucks ``sts/``):
    KL(softmax(teacher[:, :dim]) || softmax(student[:, :dim])) over the *embedding coordinates*
    of each sentence (no temperature inside), batchmean; the teacher (full model) is not
    detached, so the KL also moves the full model towards the sub-model."""
    if dim:
        teacher, student = teacher[:, :dim], student[:, :dim]
    return F.kl_div(
        F.log_softmax(student.float(), dim=-1),
        F.softmax(teacher.float(), dim=-1),
        reduction="batchmean",
    )
