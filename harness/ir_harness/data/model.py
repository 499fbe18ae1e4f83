"""The data model: documents, queries, graded qrels and runs.

Plain dicts keep them cheap and engine-agnostic; ranx objects are built only in the metrics step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Document:
    """One corpus entry. ``full_text`` follows BEIR: title + " " + text."""

    doc_id: str
    text: str
    title: str = ""

    @property
    def full_text(self) -> str:
        return f"{self.title} {self.text}".strip() if self.title else self.text


class Corpus(Mapping[str, Document]):
    """An ordered id -> Document mapping with a content hash (used as a cache key)."""

    def __init__(self, docs: Iterable[Document] = ()) -> None:
        self._docs: dict[str, Document] = {}
        for d in docs:
            self._docs[d.doc_id] = d
        self._hash: str | None = None

    def __getitem__(self, key: str) -> Document:
        return self._docs[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._docs)

    def __len__(self) -> int:
        return len(self._docs)

    def ids(self) -> list[str]:
        """Document ids in corpus order: the order row numbers and the content hash follow."""
        return list(self._docs)

    def texts(self) -> list[str]:
        """Full texts (title and text) in the order of ``ids``: what encoders index."""
        return [d.full_text for d in self._docs.values()]

    def subset(self, ids: Iterable[str]) -> Corpus:
        """A corpus of the given ids that exist, in the order given; unknown ids are skipped."""
        return Corpus(self._docs[i] for i in ids if i in self._docs)

    def documents(self) -> Iterator[Document]:
        """Documents in order (the stored corpus streams them from disk)."""
        return iter(self._docs.values())

    def batches(
        self, size: int = 8192, start: int = 0, stop: int | None = None
    ) -> Iterator[tuple[list[str], list[str]]]:
        """(ids, full texts) of rows ``start..stop`` in batches: the access that scales, since
        :class:`ir_harness.corpus.store.StoredCorpus` serves it from disk."""
        docs = list(self._docs.values())[start:stop]
        for b in range(0, len(docs), size):
            part = docs[b : b + size]
            yield [d.doc_id for d in part], [d.full_text for d in part]

    def ids_at(self, rows: Iterable[int]) -> list[str]:
        """Ids of the given row numbers (maps top-k indices back to documents)."""
        ids = self.ids()
        return [ids[int(r)] for r in rows]

    @property
    def content_hash(self) -> str:
        """sha256 over ids and texts in order: two corpora with equal hashes index identically."""
        if self._hash is None:
            h = hashlib.sha256()
            for d in self._docs.values():
                h.update(d.doc_id.encode())
                h.update(b"\x00")
                h.update(d.full_text.encode())
                h.update(b"\x01")
            self._hash = h.hexdigest()
        return self._hash


Queries = dict[str, str]
"""query id -> query text."""

Qrels = dict[str, dict[str, int]]
"""query id -> {doc id: graded relevance}."""

Run = dict[str, dict[str, float]]
"""query id -> {doc id: score}; higher is better."""


@dataclass
class TaskData:
    """Everything a task hands to the runner and the metrics step."""

    corpus: Corpus
    queries: Queries
    qrels: Qrels
    # A candidate run to rerank (reranking settings such as TREC DL BM25 top-100), else None.
    candidates: Run | None = None
    # query id -> ids that must never be scored for that query (BRIGHT's excluded_ids).
    excluded_ids: dict[str, set[str]] = field(default_factory=dict)
    # Where the data came from (path or online id), recorded in result metadata.
    source: str = ""


def ranked(scores: Mapping[str, float]) -> list[tuple[str, float]]:
    """Documents of one query in trec_eval order: score desc, ties broken by doc id desc.

    Scores follow the top-k kernels' rule (kernels/order.py): NaN, of either sign, ranks below
    -inf (a bare ``(score, id)`` key leaves NaN's place to the sort's luck), -0.0 equals 0.0.
    """
    return sorted(scores.items(), key=_rank_key, reverse=True)


def _rank_key(kv: tuple[str, float]) -> tuple[bool, float, str]:
    s = kv[1]
    return (s == s, s if s == s else 0.0, kv[0])
