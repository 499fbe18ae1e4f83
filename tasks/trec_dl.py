"""TREC Deep Learning passage ranking, 2019 and 2020, with the official trec_eval conventions.

Conventions (Pyserini 2CR): nDCG@10 with graded labels and linear gain (``-c -m ndcg_cut.10``);
MAP and recall count grade >= 2 as relevant (``-l 2``); a judged query with no results scores 0
(``-c``). Unjudged topics never count.

Settings:
* ``trec-dl/2019``: online, the full MS MARCO passage corpus (ir_datasets
  ``msmarco-passage/trec-dl-2019/judged``). Offline, retrieval over the judged-passage pool in
  ``<data>/trec-dl`` -- a much easier corpus; numbers are not comparable with full-corpus ones.
* ``trec-dl/2019/bm25-top100`` (and ``contriever-top100``): reranking the candidate lists RankGPT-
  style papers use; systems reorder each query's 100 candidates.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

from harness.data import Corpus, Document, Run, TaskData
from harness.errors import ConfigError, DataFormatError
from harness.io import _lines, read_jsonl_corpus, read_trec_qrels, read_tsv_queries
from harness.spec import DataSourceSpec, TaskSpec
from harness.task import load_local_or_online

_YEARS = {
    "2019": (
        "dl19",
        "topics.dl19-passage.txt",
        "qrels.dl19-passage.txt",
        "msmarco-passage/trec-dl-2019/judged",
    ),
    "2020": (
        "dl20",
        "topics.dl20.txt",
        "qrels.dl20-passage.txt",
        "msmarco-passage/trec-dl-2020/judged",
    ),
}
_CANDIDATES = {
    "bm25-top100": "bm25_{short}_top100.jsonl.gz",
    "contriever-top100": "{short}_top100_contriever.jsonl.gz",
}
# Pyserini 2CR, BM25 default (k1=0.9, b=0.4) on the full corpus.
_REFERENCE = {
    "2019": {"bm25 ndcg@10": 0.5058, "bm25 map": 0.3773},
    "2020": {"bm25 ndcg@10": 0.4796, "bm25 map": 0.2856},
}


def read_rankgpt_candidates(path: str | Path) -> tuple[Run, Corpus, dict[str, str]]:
    """RankGPT-style jsonl: one query per line, ``{"query", "hits": [{"qid","docid","score","content"}]}``."""
    run: Run = {}
    docs: dict[str, Document] = {}
    queries: dict[str, str] = {}
    for n, line in _lines(path):
        try:
            obj = json.loads(line)
            hits = obj["hits"]
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise DataFormatError(
                path, n, f"bad candidate record ({e})", '{"query": str, "hits": [...]}'
            ) from None
        for h in hits:
            try:
                qid, did, score = str(h["qid"]), str(h["docid"]), float(h["score"])
            except (KeyError, TypeError, ValueError) as e:
                raise DataFormatError(
                    path, n, f"bad hit ({e})", 'hits with "qid", "docid", "score", "content"'
                ) from None
            if did in run.setdefault(qid, {}):
                raise DataFormatError(path, n, f"document {did!r} appears twice for query {qid!r}")
            run[qid][did] = score
            queries[qid] = obj.get("query", "")
            if "content" in h:
                docs.setdefault(did, Document(did, h["content"]))
    return run, Corpus(docs.values()), queries


class TrecDLTask:
    family: ClassVar[str] = "trec-dl"
    description: ClassVar[str] = (
        "TREC Deep Learning passage 2019/2020 (graded nDCG@10; MAP/recall at rel>=2)"
    )

    def subsets(self) -> list[str]:
        return [y + s for y in _YEARS for s in ["", *(f"/{c}" for c in _CANDIDATES)]]

    def _parse(self, subset: str) -> tuple[str, str | None]:
        year, _, setting = subset.partition("/")
        if year not in _YEARS or (setting and setting not in _CANDIDATES):
            raise ConfigError(
                f"trec-dl/{subset}: unknown subset; known: {', '.join(self.subsets())}"
            )
        return year, setting or None

    def spec(self, subset: str) -> TaskSpec:
        year, setting = self._parse(subset)
        short, topics, qrels, irds = _YEARS[year]
        return TaskSpec(
            name=f"trec-dl/{subset}",
            family=self.family,
            subset=subset,
            split="test",
            description=f"TREC DL {year} passage" + (f", reranking {setting}" if setting else ""),
            metrics=("ndcg@10", "map", "recall@100", "recall@1000", "mrr@10"),
            main_metric="ndcg@10",
            relevance_threshold=2,
            average_over="qrels",
            run_depth=1000,
            rerank_depth=100,
            sources=(
                DataSourceSpec(
                    kind="local",
                    location=f"trec-dl/{_CANDIDATES[setting].format(short=short) if setting else qrels}",
                ),
                *([] if setting else [DataSourceSpec(kind="ir_datasets", location=irds)]),
            ),
            reference=_REFERENCE[year],
        )

    def load(self, subset: str, data_dir: Path | None) -> TaskData:
        year, setting = self._parse(subset)
        short, topics, qrels_name, irds = _YEARS[year]
        name = f"trec-dl/{subset}"

        def local(root: Path) -> TaskData:
            base = root / "trec-dl"
            qrels = read_trec_qrels(base / qrels_name)
            queries = {q: t for q, t in read_tsv_queries(base / topics).items() if q in qrels}
            if setting:
                cand_path = base / _CANDIDATES[setting].format(short=short)
                cands, corpus, _ = read_rankgpt_candidates(cand_path)
                cands = {q: v for q, v in cands.items() if q in qrels}
                return TaskData(
                    corpus=corpus,
                    queries=queries,
                    qrels=qrels,
                    candidates=cands,
                    source=str(cand_path),
                )
            corpus = read_jsonl_corpus(
                base / f"{short}_judged_passages.jsonl.gz", id_fields=("docid", "_id")
            )
            return TaskData(
                corpus=corpus, queries=queries, qrels=qrels, source=f"{base} (judged-passage pool)"
            )

        def online() -> TaskData:
            from tasks._irds import load_irds

            return load_irds(irds)

        expected = Path("trec-dl") / (
            _CANDIDATES[setting].format(short=short) if setting else qrels_name
        )
        return load_local_or_online(
            name, data_dir, expected, local, None if setting else online, f"ir_datasets {irds!r}"
        )
