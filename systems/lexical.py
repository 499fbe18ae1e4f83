"""A small in-memory lexical retriever (BM25, Dirichlet QL, TF-IDF cosine, term overlap).

Dependency-free (numpy and scipy; no JVM, no stemming) and deterministic, so it can build
reference runs anywhere: the LLMJudge task's built-in run set is ten configurations of it, got
through the system registry (``lexical``). Tokens are lower-cased ``[a-z0-9]+`` runs minus a short
stop list. Rankings are cut at ``k`` by score descending, then document id ascending.

Methods (``-o method=...``): ``bm25`` (``k1``, ``b``; Robertson idf ``log(1 + (N-df+.5)/(df+.5))``),
``ql-dirichlet`` (``mu``), ``tfidf-cosine`` (``1+log tf`` times idf, cosine-normalised document
side), ``overlap`` (number of distinct query terms present). ``max_tokens`` keeps only each
document's first tokens; ``query_terms`` keeps only each query's first terms.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np

from ir_harness.errors import ConfigError
from ir_harness.protocols import SystemMeta

if TYPE_CHECKING:
    from ir_harness.data.model import Corpus, Queries, Run
    from ir_harness.run.context import RunContext

METHODS = ("bm25", "ql-dirichlet", "tfidf-cosine", "overlap")

_STOP = frozenset(
    "a an and are as at be by can do does for from how in is it of on or the to what when where "
    "which who why with you your".split()
)


def tokens(text: str) -> list[str]:
    """Lower-cased ``[a-z0-9]+`` runs minus the stop list, for documents and queries alike."""
    return [t for t in re.findall(r"[a-z0-9]+", text.lower()) if t not in _STOP]


class LexicalIndex:
    """Term-frequency matrix of a corpus with the statistics the scoring methods need."""

    def __init__(self, corpus: Corpus, max_tokens: int | None = None) -> None:
        from scipy.sparse import csr_matrix

        self.ids = corpus.ids()
        vocab: dict[str, int] = {}
        rows, cols, vals = [], [], []
        for i, did in enumerate(self.ids):
            toks = tokens(corpus[did].full_text)[:max_tokens]
            for t, c in Counter(toks).items():
                rows.append(i)
                cols.append(vocab.setdefault(t, len(vocab)))
                vals.append(c)
        self.vocab = vocab
        self.tf = csr_matrix((vals, (rows, cols)), shape=(len(self.ids), len(vocab))).tocsc()
        self.dl = np.asarray(self.tf.sum(axis=1)).ravel()
        self.df = np.diff(self.tf.indptr)
        self.cf = np.asarray(self.tf.sum(axis=0)).ravel()

    def _cols(self, query: str) -> list[int]:
        return [self.vocab[t] for t in tokens(query) if t in self.vocab]

    def _tf(self, c: int) -> tuple[np.ndarray, np.ndarray]:
        s, e = self.tf.indptr[c], self.tf.indptr[c + 1]
        return self.tf.indices[s:e], self.tf.data[s:e].astype(float)

    def bm25(self, query: str, k1: float, b: float) -> np.ndarray:
        """Okapi BM25 with Robertson's idf ``log(1 + (N - df + .5) / (df + .5))``."""
        n, avg = len(self.ids), self.dl.mean()
        score = np.zeros(n)
        for c in self._cols(query):
            rows, tf = self._tf(c)
            idf = math.log(1 + (n - self.df[c] + 0.5) / (self.df[c] + 0.5))
            score[rows] += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * self.dl[rows] / avg))
        return score

    def ql_dirichlet(self, query: str, mu: float) -> np.ndarray:
        """Dirichlet-smoothed query likelihood, ``sum log((tf + mu p(t)) / (dl + mu))``."""
        total = self.cf.sum()
        score = np.zeros(len(self.ids))
        for c in self._cols(query):
            rows, tf = self._tf(c)
            p = self.cf[c] / total
            col = np.full(len(self.ids), 0.0)
            col[rows] = tf
            score += np.log((col + mu * p) / (self.dl + mu))
        return score

    def tfidf_cosine(self, query: str) -> np.ndarray:
        """Cosine-normalised ``(1 + log tf) * idf`` document weights dotted with query idf."""
        n = len(self.ids)
        score = np.zeros(n)
        idf = np.log(n / np.maximum(self.df, 1))
        w = self.tf.copy()
        w.data = (1 + np.log(w.data)) * np.repeat(idf, np.diff(w.indptr))
        norm = np.sqrt(np.asarray(w.multiply(w).sum(axis=1)).ravel())
        for c in set(self._cols(query)):
            s, e = w.indptr[c], w.indptr[c + 1]
            score[w.indices[s:e]] += w.data[s:e] * idf[c]
        return np.divide(score, norm, out=np.zeros(n), where=norm > 0)

    def overlap(self, query: str) -> np.ndarray:
        """How many distinct query terms a document holds: a baseline that ignores frequency."""
        score = np.zeros(len(self.ids))
        for c in set(self._cols(query)):
            score[self._tf(c)[0]] += 1
        return score


class Lexical:
    """The ``lexical`` system: one method of :class:`LexicalIndex` as a Retriever."""

    def __init__(
        self,
        method: str = "bm25",
        k1: float = 0.9,
        b: float = 0.4,
        mu: float = 1000,
        max_tokens: int | None = None,
        query_terms: int | None = None,
    ) -> None:
        if method not in METHODS:
            raise ConfigError(f"lexical: method {method!r} is not one of {', '.join(METHODS)}")
        self.method = method
        self.k1, self.b, self.mu = float(k1), float(b), float(mu)
        self.max_tokens = int(max_tokens) if max_tokens else None
        self.query_terms = int(query_terms) if query_terms else None
        self._index: LexicalIndex | None = None

    def meta(self) -> SystemMeta:
        """Only the parameters the chosen method reads, so equal configurations get equal names."""
        params: dict[str, Any] = {"method": self.method}
        if self.method == "bm25":
            params |= {"k1": self.k1, "b": self.b}
        if self.method == "ql-dirichlet":
            params["mu"] = self.mu
        if self.max_tokens:
            params["max_tokens"] = self.max_tokens
        if self.query_terms:
            params["query_terms"] = self.query_terms
        return SystemMeta(name="lexical", kind="lexical", parameters=params, backend="numpy")

    def index(self, corpus: Corpus, ctx: RunContext | None = None) -> None:
        """Builds the in-memory term matrix (no cache: it is fast and fully deterministic)."""
        self._index = LexicalIndex(corpus, self.max_tokens)

    def score(self, query: str) -> np.ndarray:
        """Scores of every indexed document for one query, in index order."""
        ix = self._index
        assert ix is not None, "index() first"
        if self.query_terms:
            query = " ".join(tokens(query)[: self.query_terms])
        if self.method == "bm25":
            return ix.bm25(query, self.k1, self.b)
        if self.method == "ql-dirichlet":
            return ix.ql_dirichlet(query, self.mu)
        if self.method == "tfidf-cosine":
            return ix.tfidf_cosine(query)
        return ix.overlap(query)

    def search(self, queries: Queries, k: int, ctx: RunContext | None = None) -> Run:
        """Top ``k`` by score descending, then document id ascending: one run on every machine."""
        if self._index is None:
            raise ConfigError("lexical: search() before index()")
        ids = np.array(self._index.ids)
        run: Run = {}
        for qid in sorted(queries):
            s = self.score(queries[qid])
            top = np.lexsort((ids, -s))[:k]  # score desc, then doc id asc: deterministic
            run[qid] = {str(ids[i]): float(s[i]) for i in top}
        return run
