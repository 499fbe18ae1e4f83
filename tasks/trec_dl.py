"""TREC Deep Learning 2019-2023, passage and document ranking, with the official trec_eval conventions.

Conventions (Pyserini 2CR / Anserini regressions): nDCG@10 with graded labels and linear gain
(``-c -m ndcg_cut.10``); a judged query with no results scores 0 (``-c``); unjudged topics never
count. Passage ranking counts grade >= 2 as relevant for MAP, recall and MRR (``-l 2``; a
passage graded 1 is only "related"); document ranking counts grade >= 1 and reports MAP@100
(``-M 100 -m map``) instead of full MAP. DL 2021-2023 passage also report MAP@100 and MRR@100.

Settings:
* ``trec-dl/2019``: online, the full MS MARCO passage corpus (ir_datasets
  ``msmarco-passage/trec-dl-2019/judged``). Offline, retrieval over the judged-passage pool in
  ``<data>/trec-dl`` -- a much easier corpus; numbers are not comparable with full-corpus ones.
* ``trec-dl/2019/bm25-top100`` (and ``contriever-top100``): reranking the candidate lists RankGPT-
  style papers use; systems reorder each query's 100 candidates.
* Online only, through ir_datasets (the full corpora are large: MS MARCO v2 passage has 138M
  passages, v1 documents 3.2M):

  - ``trec-dl/2021``, ``2022``, ``2023``: passage, ``msmarco-passage-v2/trec-dl-<year>/judged``.
  - ``trec-dl/2019-doc``, ``2020-doc``: document, ``msmarco-document/trec-dl-<year>/judged``
    (whole documents, title + body, as the unsegmented Anserini ``msmarco-doc`` index).
  - ``trec-dl/2021-doc``: document, ``msmarco-document-v2/trec-dl-2021/judged``.

  DL 2022/2023 document ranking (ir_datasets has them) is left out: their qrels are inferred from
  passage labels and the scoring convention was not verified.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ir_harness.data.formats import read_jsonl_corpus, read_trec_qrels, read_tsv_queries, text_lines
from ir_harness.data.model import Corpus, Document, Run, TaskData
from ir_harness.data.spec import DataSourceSpec, TaskSpec
from ir_harness.errors import ConfigError, DataFormatError, DataNotFoundError
from ir_harness.task import Task, load_local_or_online

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


_PASSAGE_V2_METRICS = ("ndcg@10", "map@100", "mrr@100", "recall@100", "recall@1000")
_DOC_METRICS = ("ndcg@10", "map@100", "recall@100", "recall@1000")


@dataclass(frozen=True)
class _OnlineSetting:
    irds: str
    description: str
    metrics: tuple[str, ...]
    relevance_threshold: int
    # BM25 default (k1=0.9, b=0.4) from Anserini's regression pages (dl21-passage.yaml, ...).
    reference: dict[str, float]


_ONLINE = {
    "2021": _OnlineSetting(
        "msmarco-passage-v2/trec-dl-2021/judged",
        "TREC DL 2021 passage (MS MARCO v2 passage)",
        _PASSAGE_V2_METRICS,
        2,
        {"bm25 ndcg@10": 0.4458, "bm25 map@100": 0.1357, "bm25 recall@1000": 0.6149},
    ),
    "2022": _OnlineSetting(
        "msmarco-passage-v2/trec-dl-2022/judged",
        "TREC DL 2022 passage (MS MARCO v2 passage)",
        _PASSAGE_V2_METRICS,
        2,
        {"bm25 ndcg@10": 0.2692, "bm25 map@100": 0.0325, "bm25 recall@1000": 0.3321},
    ),
    "2023": _OnlineSetting(
        "msmarco-passage-v2/trec-dl-2023/judged",
        "TREC DL 2023 passage (MS MARCO v2 passage)",
        _PASSAGE_V2_METRICS,
        2,
        {"bm25 ndcg@10": 0.2627, "bm25 map@100": 0.0793, "bm25 recall@1000": 0.4346},
    ),
    "2019-doc": _OnlineSetting(
        "msmarco-document/trec-dl-2019/judged",
        "TREC DL 2019 document (MS MARCO v1 documents)",
        _DOC_METRICS,
        1,
        {"bm25 ndcg@10": 0.5176, "bm25 map@100": 0.2434, "bm25 recall@1000": 0.6966},
    ),
    "2020-doc": _OnlineSetting(
        "msmarco-document/trec-dl-2020/judged",
        "TREC DL 2020 document (MS MARCO v1 documents)",
        _DOC_METRICS,
        1,
        {"bm25 ndcg@10": 0.5286, "bm25 map@100": 0.3793, "bm25 recall@1000": 0.8085},
    ),
    "2021-doc": _OnlineSetting(
        "msmarco-document-v2/trec-dl-2021/judged",
        "TREC DL 2021 document (MS MARCO v2 documents)",
        (*_DOC_METRICS, "mrr@100"),
        1,
        {"bm25 ndcg@10": 0.5116, "bm25 map@100": 0.2126, "bm25 recall@1000": 0.6739},
    ),
}


def read_rankgpt_candidates(path: str | Path) -> tuple[Run, Corpus, dict[str, str]]:
    """RankGPT-style jsonl: one query per line, ``{"query", "hits": [{"qid","docid","score","content"}]}``."""
    run: Run = {}
    docs: dict[str, Document] = {}
    queries: dict[str, str] = {}
    for n, line in text_lines(path):
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


class TrecDLTask(Task):
    """TREC DL passage and document ranking under Pyserini's and Anserini's trec_eval
    conventions: 2019/2020 from local files or online, the other years online only."""

    family: ClassVar[str] = "trec-dl"
    description: ClassVar[str] = (
        "TREC Deep Learning 2019-2023 passage (graded nDCG@10; MAP/recall at rel>=2) and "
        "2019-2021 document (MAP@100); 2019/2020 offline, the rest via ir_datasets"
    )

    def subsets(self) -> list[str]:
        """The years that run offline with their reranking settings, then the online-only years."""
        offline = [y + s for y in _YEARS for s in ["", *(f"/{c}" for c in _CANDIDATES)]]
        return [*offline, *_ONLINE]

    def _online_spec(self, subset: str) -> TaskSpec:
        o = _ONLINE[subset]
        return TaskSpec(
            name=f"trec-dl/{subset}",
            family=self.family,
            subset=subset,
            split="test",
            description=o.description,
            metrics=o.metrics,
            main_metric="ndcg@10",
            relevance_threshold=o.relevance_threshold,
            average_over="qrels",
            run_depth=1000,
            rerank_depth=100,
            sources=(DataSourceSpec(kind="ir_datasets", location=o.irds),),
            reference=o.reference,
        )

    def _online_load(self, subset: str) -> TaskData:
        """Online only: no offline copy of the full corpora exists."""
        from ir_harness.tasks._irds import load_irds

        irds = _ONLINE[subset].irds
        try:
            return load_irds(irds)
        except Exception as e:  # noqa: BLE001 - any loader failure becomes one clear message
            raise DataNotFoundError(
                f"trec-dl/{subset} is online only (no local copy of its corpus is read) and "
                f"ir_datasets {irds!r} failed: {type(e).__name__}: {e}"
            ) from e

    def _parse(self, subset: str) -> tuple[str, str | None]:
        year, _, setting = subset.partition("/")
        if year not in _YEARS or (setting and setting not in _CANDIDATES):
            raise ConfigError(
                f"trec-dl/{subset}: unknown subset; known: {', '.join(self.subsets())}"
            )
        return year, setting or None

    def spec(self, subset: str) -> TaskSpec:
        """The setting's trec_eval conventions (relevance grade, metrics, run and rerank depths),
        with the published BM25 scores as its reference."""
        if subset in _ONLINE:
            return self._online_spec(subset)
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
        """Online-only years from ir_datasets; 2019/2020 from ``<data>/trec-dl`` (the judged pool,
        or a candidate file to rerank), else the full corpus from ir_datasets. A candidate setting
        has no online fallback."""
        if subset in _ONLINE:
            return self._online_load(subset)
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
            from ir_harness.tasks._irds import load_irds

            return load_irds(irds)

        expected = Path("trec-dl") / (
            _CANDIDATES[setting].format(short=short) if setting else qrels_name
        )
        return load_local_or_online(
            name, data_dir, expected, local, None if setting else online, f"ir_datasets {irds!r}"
        )
