"""Exact maximum-inner-product top-k: a chunked matrix product with a running top-k merge.

Memory beyond the corpus is bounded by one score block, ``query_block x corpus_chunk`` floats
(64 MB at the defaults), never queries x corpus. On CUDA the torch path runs on the GPU; on CPU
``backend="auto"`` delegates to FAISS's exact ``knn`` (blocked sgemm + heaps, no corpus copy)
when it is installed, since on a few cores that is at the sgemm roofline already.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    import torch

Backend = Literal["auto", "torch", "faiss"]


def _as_f32(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float32)


def topk_torch(
    queries: torch.Tensor,
    corpus: torch.Tensor,
    k: int,
    *,
    corpus_chunk: int = 16384,
    query_block: int = 1024,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-k by inner product on whatever device the tensors live on. Returns (scores, indices).

    Ties keep the lower corpus index first (stable merge), so results are deterministic.
    """
    import torch

    n = corpus.shape[0]
    k = min(k, n)
    out_s, out_i = [], []
    for q0 in range(0, queries.shape[0], query_block):
        q = queries[q0 : q0 + query_block]
        best_s = torch.full((q.shape[0], 0), float("-inf"), device=q.device, dtype=torch.float32)
        best_i = torch.zeros((q.shape[0], 0), device=q.device, dtype=torch.long)
        for c0 in range(0, n, corpus_chunk):
            block = q @ corpus[c0 : c0 + corpus_chunk].T  # (qb, chunk): the only large buffer
            kk = min(k, block.shape[1])
            s, i = torch.topk(block.float(), kk, dim=1, sorted=False)
            del block
            cand_s = torch.cat([best_s, s], dim=1)
            cand_i = torch.cat([best_i, i + c0], dim=1)
            # Merge: order by score desc, then index asc, so equal scores resolve deterministically.
            order = torch.argsort(cand_i, dim=1, stable=True)
            cand_s, cand_i = cand_s.gather(1, order), cand_i.gather(1, order)
            order = torch.argsort(cand_s, dim=1, descending=True, stable=True)[:, :k]
            best_s, best_i = cand_s.gather(1, order), cand_i.gather(1, order)
        out_s.append(best_s)
        out_i.append(best_i)
    return torch.cat(out_s), torch.cat(out_i)


def topk_faiss(queries: np.ndarray, corpus: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    import faiss

    s, i = faiss.knn(
        _as_f32(queries),
        _as_f32(corpus),
        min(k, corpus.shape[0]),
        metric=faiss.METRIC_INNER_PRODUCT,
    )
    return s, i


def exact_topk(
    queries: np.ndarray,
    corpus: np.ndarray,
    k: int,
    *,
    device: str = "cpu",
    backend: Backend = "auto",
    corpus_chunk: int = 16384,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k for float32 arrays; returns numpy (scores, indices), each row best first."""
    if corpus.shape[0] == 0 or queries.shape[0] == 0:
        return np.zeros((queries.shape[0], 0), np.float32), np.zeros(
            (queries.shape[0], 0), np.int64
        )
    if backend == "faiss" or (backend == "auto" and device == "cpu" and _has_faiss()):
        return topk_faiss(queries, corpus, k)
    import torch

    q = torch.from_numpy(_as_f32(queries)).to(device)
    c = torch.from_numpy(_as_f32(corpus)).to(device)
    s, i = topk_torch(q, c, k, corpus_chunk=corpus_chunk)
    return s.cpu().numpy(), i.cpu().numpy()


def _has_faiss() -> bool:
    import importlib.util

    return importlib.util.find_spec("faiss") is not None
